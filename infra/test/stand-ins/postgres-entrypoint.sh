#!/bin/sh
# First start on an empty volume: initdb with POSTGRES_USER/POSTGRES_PASSWORD, create POSTGRES_DB, accept
# password logins from the network; then run PostgreSQL in the foreground as the postgres user.
set -eu
if [ "$(id -u)" = 0 ]; then
  mkdir -p "$PGDATA"
  chown -R postgres:postgres "$PGDATA"
  chmod 700 "$PGDATA"
  exec setpriv --reuid postgres --regid postgres --init-groups "$0" "$@"
fi
user=${POSTGRES_USER:-postgres}
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  : "${POSTGRES_PASSWORD:?POSTGRES_PASSWORD must be set}"
  password_file=$(mktemp)
  printf '%s\n' "$POSTGRES_PASSWORD" > "$password_file"
  initdb --username="$user" --pwfile="$password_file" --auth-local=trust --auth-host=scram-sha-256 >/dev/null
  rm -f "$password_file"
  echo "listen_addresses = '*'" >> "$PGDATA/postgresql.conf"
  echo 'host all all all scram-sha-256' >> "$PGDATA/pg_hba.conf"
  database=${POSTGRES_DB:-$user}
  if [ "$database" != postgres ]; then
    # Only the Unix socket while setting up, so a health check cannot pass early.
    pg_ctl --wait --silent -o "-c listen_addresses=''" start
    psql --username="$user" --dbname=postgres --quiet --set=ON_ERROR_STOP=1 \
      --command="create database \"$database\" owner \"$user\""
    pg_ctl --wait --silent --mode=fast stop
  fi
  echo "PostgreSQL initialised: user $user, database $database"
fi
exec "$@"
