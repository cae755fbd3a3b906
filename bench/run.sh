#!/usr/bin/env bash
# Runs a benchmark suite in Release and rewrites its section of docs/benchmarks.md.
# Usage: bench/run.sh [tokens|sandbox|wasi|secrets|node|gateway|chain|soak]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scripts/install-prerequisites.sh
if [ "${1:-tokens}" = wasi ]; then
  bench/wasi/build.sh
fi
dotnet run -c Release --project bench/Mesh.Bench -- "${1:-tokens}" docs/benchmarks.md
