#!/usr/bin/env bash
# Builds the example functions written in a real language from source: AssemblyScript, compiled
# with the compiler from npm (pinned in sdk/assemblyscript/package-lock.json); C, compiled by
# clang for wasm32 against sdk/c/mesh.h, freestanding and with wasi-libc; and Rust, built by
# Debian's cargo for wasm32-wasi against sdk/rust, offline. The WAT examples
# need no build: mesh deploy and mesh grant read .wat files directly. An example whose .wasm is
# newer than its sources and the SDK's is left alone, so a second run takes no time.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

sdk=sdk/assemblyscript
if [ ! -x "$sdk/node_modules/.bin/asc" ]; then
  echo "build-examples: installing the AssemblyScript compiler" >&2
  (cd "$sdk" && npm ci --no-audit --no-fund --loglevel=error)
fi

for example in hello-as counter-as payments-as notify-as quote-as; do
  out="examples/$example/build/$example.wasm"
  if [ -f "$out" ] && [ -z "$(find "examples/$example/assembly" "$sdk/assembly" -newer "$out" -print -quit)" ]; then
    continue
  fi

  mkdir -p "examples/$example/build"
  "$sdk/node_modules/.bin/asc" "examples/$example/assembly/index.ts" \
    -o "$out" \
    --runtime stub -O3 --use abort=sdk/assemblyscript/assembly/index/abort
  echo "build-examples: $out" >&2
done

for example in reverse-c; do
  out="examples/$example/build/$example.wasm"
  if [ -f "$out" ] && [ -z "$(find "examples/$example" sdk/c -name '*.[ch]' -newer "$out" -print -quit)" ]; then
    continue
  fi

  mkdir -p "examples/$example/build"
  clang --target=wasm32 -O2 -nostdlib -ffreestanding -Wl,--no-entry -o "$out" "examples/$example"/*.c
  echo "build-examples: $out" >&2
done

for example in hello-c; do
  out="examples/$example/build/$example.wasm"
  if [ -f "$out" ] && [ -z "$(find "examples/$example" sdk/c -name '*.[ch]' -newer "$out" -print -quit)" ]; then
    continue
  fi

  mkdir -p "examples/$example/build"
  clang --target=wasm32-wasi -O2 -o "$out" "examples/$example"/*.c
  echo "build-examples: $out" >&2
done

# Debian's toolchain first: a rustup on PATH has no wasm32-wasi standard library of the same version.
export PATH="/usr/bin:$PATH" RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc
for example in hello-rust counter-rust payments-rust; do
  out="examples/$example/build/$example.wasm"
  if [ -f "$out" ] && [ -z "$(find "examples/$example/src" "examples/$example/Cargo.toml" sdk/rust/src -newer "$out" -print -quit)" ]; then
    continue
  fi

  mkdir -p "examples/$example/build"
  cargo build --quiet --offline --release --target wasm32-wasi --manifest-path "examples/$example/Cargo.toml"
  cp "examples/$example/target/wasm32-wasi/release/$example.wasm" "$out"
  echo "build-examples: $out" >&2
done
