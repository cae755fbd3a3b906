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

# docker-compose (Debian's, v1), only so the tests can validate docker-compose.yml with
# `docker-compose config`, which needs no Docker engine.
if ! command -v docker-compose >/dev/null 2>&1; then
  missing+=(docker-compose)
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
