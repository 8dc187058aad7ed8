# Stand-in for node:20-bookworm (the Dockerfile's build stage) on a machine that reaches no container
# registry: Debian bookworm, a C/C++ toolchain for native modules, and this machine's own Node.js and
# npm (they need only glibc and libstdc++). Built by infra/test/base-images.sh, never pushed.
FROM debian:bookworm
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ca-certificates python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY node/ /usr/local/
COPY node-include/ /usr/local/include/node/
# The official image's user (uid 1000) that the runtime stages switch to.
RUN groupadd --gid 1000 node && useradd --uid 1000 --gid node --create-home --shell /bin/bash node \
 && ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx
# How npm reaches its registry from this machine: its registry, its CA bundle (the machine's trust store,
# which may hold a CA Debian's package lacks), and the Node headers for native builds (node-gyp cannot
# download them here).
COPY ca-certificates.crt /etc/ssl/certs/tandem-machine-ca.crt
ARG NPM_REGISTRY=https://registry.npmjs.org/
ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/tandem-machine-ca.crt \
    npm_config_registry=$NPM_REGISTRY \
    npm_config_nodedir=/usr/local
CMD ["node"]
