#!/usr/bin/env bash
# The tests, from a clean clone: installs the interop peers when they are missing (Debian's
# python3-websockets and chromium, Node's ws and playwright-core: see .ci/install-peers.sh), then runs
# `dotnet test ActorWs.sln` with whatever arguments are given (--filter, --no-build, ...).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
bash .ci/install-peers.sh
exec dotnet test ActorWs.sln "$@"
