#!/usr/bin/env bash
# Makes a Docker engine answer: nothing to do when `docker info` works; otherwise, as root with Debian's
# docker.io installed, starts dockerd in the background (cgroupfs, runc; storage overlay2, else
# fuse-overlayfs, else vfs) and waits for it. Exit 3: no engine can be had here (not installed, not
# root); the container round trip then skips. Its log: /var/log/tandem-dockerd.log.
set -uo pipefail
NO_ENGINE=3
LOG=/var/log/tandem-dockerd.log

if ! command -v docker >/dev/null 2>&1 || ! command -v docker-compose >/dev/null 2>&1; then
  echo "start-engine: docker or docker-compose is not installed (apt-get install docker.io docker-compose mmdebstrap)"
  exit $NO_ENGINE
fi
if docker info >/dev/null 2>&1; then
  echo "start-engine: the Docker engine is running ($(docker version --format '{{.Server.Version}}'))"
  exit 0
fi
if ! command -v dockerd >/dev/null 2>&1 || [ "$(id -u)" != 0 ]; then
  echo "start-engine: no engine answers and dockerd cannot be started here (needs dockerd and root)"
  exit $NO_ENGINE
fi

for driver in overlay2 fuse-overlayfs vfs; do
  echo "start-engine: starting dockerd (storage driver $driver)"
  setsid dockerd --storage-driver="$driver" --exec-opt native.cgroupdriver=cgroupfs \
    </dev/null >>"$LOG" 2>&1 &
  pid=$!
  for _ in $(seq 1 60); do
    if docker info >/dev/null 2>&1; then
      echo "start-engine: dockerd $pid is up ($(docker version --format '{{.Server.Version}}'), $driver)"
      exit 0
    fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.5
  done
  echo "start-engine: dockerd did not come up with $driver; last lines of $LOG:"
  tail -n 5 "$LOG"
  kill "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
done
exit 1
