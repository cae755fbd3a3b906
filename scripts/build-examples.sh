#!/usr/bin/env bash
# Builds the example functions written in a real language from source: AssemblyScript, compiled
# with the compiler from npm (pinned in sdk/assemblyscript/package-lock.json). The WAT examples
# need no build: mesh deploy and mesh grant read .wat files directly.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

sdk=sdk/assemblyscript
if [ ! -x "$sdk/node_modules/.bin/asc" ]; then
  echo "build-examples: installing the AssemblyScript compiler" >&2
  (cd "$sdk" && npm ci --no-audit --no-fund --loglevel=error)
fi

for example in hello-as counter-as payments-as notify-as quote-as; do
  mkdir -p "examples/$example/build"
  "$sdk/node_modules/.bin/asc" "examples/$example/assembly/index.ts" \
    -o "examples/$example/build/$example.wasm" \
    --runtime stub -O3 --use abort=sdk/assemblyscript/assembly/index/abort
  echo "build-examples: examples/$example/build/$example.wasm" >&2
done
