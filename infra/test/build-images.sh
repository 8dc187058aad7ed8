#!/usr/bin/env bash
# The container round trip's first half, on its own: starts the engine, makes the base images and builds
# every image of infra/compose.yaml, on the host's network (infra/test/compose.host-network-build.yaml
# says why). Changes no network interface once the engine runs, so CI runs it beside the test passes,
# browser tests included; `bash infra/test.sh` afterwards finds every layer in the build cache and only
# brings the stack up (that half adds and removes interfaces, so CI runs it when no browser test runs).
# Needs what infra/test.sh needs (root, docker.io, docker-compose, mmdebstrap), but not node_modules.
#   bash infra/test/build-images.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
started=$SECONDS
bash infra/test/start-engine.sh
bash infra/test/base-images.sh
# compose.yaml refuses to load without a secret key; no container is started, so any value does.
TANDEM_SECRET_KEY=build-only-no-container-runs \
  docker-compose --project-name tandem-e2e --file infra/compose.yaml \
  --file infra/test/compose.host-network-build.yaml build --quiet 2>&1 | tail -n 20
echo "build-images: every image built in $((SECONDS - started)) s"
