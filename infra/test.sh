#!/usr/bin/env bash
# The container round trip (issue 18): builds infra/docker/Dockerfile, brings up infra/compose.yaml
# (PostgreSQL, Redis, migrate, admin, auth, relay, applier, two fast replicas, nginx) and drives it end
# to end; see e2e/test/containers.test.ts for the steps. Needs root and Debian's docker.io, docker-compose and
# mmdebstrap (apt-get install -y docker.io docker-compose mmdebstrap): it starts dockerd when none is
# running (infra/test/start-engine.sh) and, with no registry to pull from, makes the base images the
# files name (infra/test/base-images.sh; about 10 minutes the first time, seconds after that).
#   bash infra/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
started=$SECONDS
export TURBO_TELEMETRY_DISABLED=1
# The test is compiled with the rest of e2e (and the packages it imports); up to date after `npm test`.
npx turbo run build --filter=@tandem/e2e --output-logs=errors-only
TANDEM_CONTAINER_TEST=1 node --enable-source-maps --test e2e/dist/test/containers.test.js
echo "infra/test.sh: container round trip done in $((SECONDS - started)) s"
