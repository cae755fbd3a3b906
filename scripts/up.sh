#!/usr/bin/env bash
# The main job: installs what is missing, then runs a local mesh (its own nats-server, two nodes,
# the example functions built, deployed and called) until Ctrl-C. Arguments go to `mesh up`,
# e.g. scripts/up.sh --nodes 3, or scripts/up.sh --once to run the examples and stop.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

scripts/install-prerequisites.sh
exec ./mesh up "$@"
