#!/usr/bin/env bash
# Installs what Mesh needs and a fresh Debian machine with the .NET SDK lacks. Idempotent: it
# installs only what is missing, so it is cheap to run before every command.
set -euo pipefail

if ! command -v dotnet >/dev/null 2>&1; then
  echo "install-prerequisites: the .NET 10 SDK is required and was not found on PATH" >&2
  exit 1
fi

missing=()
# nats-server (with JetStream) for the node and the integration tests; Debian puts it in /usr/sbin.
if ! command -v nats-server >/dev/null 2>&1 && [ ! -x /usr/sbin/nats-server ]; then
  missing+=(nats-server)
fi

# Node.js and npm, for the AssemblyScript example and SDK.
if ! command -v npm >/dev/null 2>&1; then
  missing+=(nodejs npm)
fi

# clang and lld (wasm-ld), for the C example built against sdk/c/mesh.h.
if ! command -v clang >/dev/null 2>&1 || ! command -v wasm-ld >/dev/null 2>&1; then
  missing+=(clang lld)
fi

# WASI toolchains for the Rust and C examples and `mesh new --lang rust|c`: Debian's rustc and
# cargo with the wasm32 standard library (target wasm32-wasi; builds offline, no crates registry),
# and wasi-libc with clang's wasm32 builtins. Debian's own, whatever rustup may have put on PATH.
if [ ! -x /usr/bin/cargo ] || [ ! -x /usr/bin/rustc ]; then
  missing+=(rustc cargo)
fi
if [ ! -d /usr/lib/rustlib/wasm32-wasi ]; then
  missing+=(libstd-rust-dev-wasm32)
fi
if [ ! -f /usr/lib/wasm32-wasi/libc.a ]; then
  missing+=(wasi-libc)
fi
if command -v clang >/dev/null 2>&1; then
  clang_major="$(clang -dumpversion | cut -d. -f1)"
  if [ ! -f "$(clang -print-resource-dir)/lib/wasi/libclang_rt.builtins-wasm32.a" ]; then
    missing+=("libclang-rt-${clang_major}-dev-wasm32")
  fi
else
  missing+=(libclang-rt-dev-wasm32)
fi

# Debian's chromium, for the dashboard's tests (Playwright drives it by its path; it downloads no browser).
if [ ! -x /usr/bin/chromium ]; then
  missing+=(chromium)
fi

# docker-compose (Debian's, v1), only so the tests can validate docker-compose.yml with
# `docker-compose config`, which needs no Docker engine.
if ! command -v docker-compose >/dev/null 2>&1; then
  missing+=(docker-compose)
fi

# faketime (libfaketime), so the fault tests can run a node whose clock is off.
if ! command -v faketime >/dev/null 2>&1; then
  missing+=(faketime)
fi

# curl, for the README's HTTP tour (the gateway) and its test.
if ! command -v curl >/dev/null 2>&1; then
  missing+=(curl)
fi

if [ ${#missing[@]} -gt 0 ]; then
  echo "install-prerequisites: installing ${missing[*]}" >&2
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
