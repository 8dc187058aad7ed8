#!/usr/bin/env bash
# Makes the base images that infra/docker/Dockerfile and infra/compose.yaml name (node:20-bookworm,
# node:20-bookworm-slim, postgres:15, redis:7, nginx:1.27) exist in the local engine, for machines that
# reach no container registry: a debian:bookworm made with mmdebstrap from the Debian mirror apt uses,
# and stand-ins built on it from infra/test/stand-ins/ (this machine's Node.js and npm; Debian's
# PostgreSQL, Redis and nginx). An image that is already there and was built from the same recipe is
# kept, so a second run takes seconds. An engine that can pull the real images needs none of this:
# TANDEM_PULL_BASE_IMAGES=1 pulls them instead.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
stand_ins="$here/stand-ins"
LABEL=dev.tandem.stand-in-recipe

log() { printf 'base-images: %s\n' "$*"; }

if [ "${TANDEM_PULL_BASE_IMAGES:-}" = 1 ]; then
  for image in node:20-bookworm node:20-bookworm-slim postgres:15 redis:7 nginx:1.27; do docker pull -q "$image"; done
  exit 0
fi

work="$(mktemp -d /tmp/tandem-base-images.XXXXXX)"
trap 'rm -rf "$work"' EXIT

# The recipe of an image: its Dockerfile, the files it copies and the Node.js it packs, hashed. An image
# whose label differs (or that is missing) is rebuilt.
recipe() { cat "$@" | sha256sum | cut -c1-16; }
current_recipe() { docker image inspect --format "{{ index .Config.Labels \"$LABEL\" }}" "$1" 2>/dev/null || true; }

if ! docker image inspect debian:bookworm >/dev/null 2>&1; then
  debian_mirror() { apt-cache policy | awk '$3 == "bookworm/main" { print $2; exit }'; }
  mirror="${TANDEM_DEBIAN_MIRROR:-$(debian_mirror)}"
  if [ -z "$mirror" ]; then
    apt-get update -qq # apt's lists may not have been fetched yet on a fresh machine
    mirror="$(debian_mirror)"
  fi
  if [ -z "$mirror" ]; then
    log "no Debian bookworm mirror found in apt's sources (set TANDEM_DEBIAN_MIRROR)" >&2
    exit 1
  fi
  log "debian:bookworm from $mirror (mmdebstrap, about 2 minutes)"
  mmdebstrap --quiet --variant=minbase bookworm "$work/rootfs.tar" "$mirror"
  docker import --change 'CMD ["bash"]' "$work/rootfs.tar" debian:bookworm >/dev/null
  rm -f "$work/rootfs.tar"
fi

node_version="$(node --version)"
case "$node_version" in
  v20.*) ;;
  *) log "this machine's Node.js is $node_version; the Dockerfile's base is Node 20" >&2 ;;
esac
npm_registry="$(npm config get registry)"

# The build context of the Node.js stand-ins (this machine's node, npm, headers and CA bundle), made
# only when one of them is rebuilt.
node_context="$work/node"
make_node_context() {
  [ -d "$node_context" ] && return
  mkdir -p "$node_context/node/bin" "$node_context/node/lib/node_modules" "$node_context/node-include"
  local node_bin node_prefix
  node_bin="$(readlink -f "$(command -v node)")"
  node_prefix="$(dirname "$(dirname "$node_bin")")"
  cp "$node_bin" "$node_context/node/bin/node"
  cp -r "$(npm root -g)/npm" "$node_context/node/lib/node_modules/npm"
  cp -r "$node_prefix/include/node/." "$node_context/node-include/"
  cp /etc/ssl/certs/ca-certificates.crt "$node_context/ca-certificates.crt"
}

# build IMAGE DOCKERFILE CONTEXT EXTRA_RECIPE [docker build args...]: EXTRA_RECIPE is what else, besides
# the Dockerfile and the entrypoint scripts, the image is made of.
build() {
  local image="$1" recipe_file="$2" dockerfile="$stand_ins/$2" context="$3" extra="$4"
  shift 4
  local want
  want="$(recipe "$dockerfile" "$stand_ins"/*.sh <(printf '%s' "$extra"))"
  if [ "$(current_recipe "$image")" = "$want" ]; then
    log "$image: up to date"
    return
  fi
  log "$image: building the stand-in ($recipe_file)"
  if [ "$context" = "$node_context" ]; then make_node_context; fi
  # The host's network: a RUN step on the default bridge adds a network interface, which fails the
  # requests of a Chromium running beside it (infra/test/compose.host-network-build.yaml).
  if ! docker build --network host --label "$LABEL=$want" -t "$image" -f "$dockerfile" "$@" "$context" >"$work/build.log" 2>&1; then
    tail -n 40 "$work/build.log" >&2
    log "$image: build failed" >&2
    exit 1
  fi
}

cp "$stand_ins"/*.sh "$work/"
node_recipe="$node_version $npm_registry $(sha256sum </etc/ssl/certs/ca-certificates.crt)"
build node:20-bookworm node.Dockerfile "$node_context" "$node_recipe" --build-arg "NPM_REGISTRY=$npm_registry"
build node:20-bookworm-slim node-slim.Dockerfile "$node_context" "$node_version"
build postgres:15 postgres.Dockerfile "$work" ''
build redis:7 redis.Dockerfile "$work" ''
build nginx:1.27 nginx.Dockerfile "$work" ''
