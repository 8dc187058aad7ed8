# Stand-in for node:20-bookworm-slim (the Dockerfile's runtime stages): Debian bookworm with this
# machine's Node.js and npm and the official image's `node` user (uid 1000). Built by
# infra/test/base-images.sh, never pushed.
FROM debian:bookworm
COPY node/ /usr/local/
RUN groupadd --gid 1000 node && useradd --uid 1000 --gid node --create-home --shell /bin/bash node \
 && ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx
CMD ["node"]
