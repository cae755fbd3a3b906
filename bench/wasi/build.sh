#!/usr/bin/env bash
# Builds the WASI benchmark's echo programs (C with wasi-libc, Rust with std) into bench/wasi/build.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
mkdir -p build
clang --target=wasm32-wasi -O2 -o build/echo-c.wasm echo-c/echo.c
export PATH="/usr/bin:$PATH" RUSTC=/usr/bin/rustc
cargo build --quiet --offline --release --target wasm32-wasi --manifest-path echo-rust/Cargo.toml
cp echo-rust/target/wasm32-wasi/release/echo-rust.wasm build/echo-rust.wasm
