#!/usr/bin/env bash
# The main job: installs what is missing, then runs a local mesh (its own nats-server, two nodes,
# the example functions built, deployed and called) until Ctrl-C. Arguments go to `mesh up`,
# e.g. scripts/up.sh --nodes 3, or scripts/up.sh --once to run the examples and stop.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

scripts/install-prerequisites.sh
# `mesh` on PATH as well as ./mesh: the lines mesh up prints run from any directory. A failed
# install is said and does not stop the mesh.
scripts/install-cli.sh || echo "up: the mesh command was not installed as a .NET tool; ./mesh works from here" >&2
exec ./mesh up "$@"
