# Stand-in for postgres:15 on a machine that reaches no container registry: Debian's PostgreSQL 15 with
# an entrypoint that honours what compose.yaml uses of the official image (POSTGRES_USER,
# POSTGRES_PASSWORD, POSTGRES_DB, the data volume, pg_isready). Built by infra/test/base-images.sh.
FROM debian:bookworm
RUN mkdir -p /etc/postgresql-common \
 && echo 'create_main_cluster = false' > /etc/postgresql-common/createcluster.conf \
 && apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      -o Dpkg::Options::=--force-confold postgresql-15 \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /var/lib/postgresql/data /var/run/postgresql \
 && chown -R postgres:postgres /var/lib/postgresql /var/run/postgresql
ENV PATH=/usr/lib/postgresql/15/bin:$PATH \
    PGDATA=/var/lib/postgresql/data
COPY postgres-entrypoint.sh /usr/local/bin/docker-entrypoint.sh
VOLUME /var/lib/postgresql/data
ENTRYPOINT ["docker-entrypoint.sh"]
# The official image's choice: SIGINT is PostgreSQL's fast shutdown (SIGTERM waits for every client).
STOPSIGNAL SIGINT
EXPOSE 5432
CMD ["postgres"]
