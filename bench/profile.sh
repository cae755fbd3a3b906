#!/usr/bin/env bash
# Where a node's CPU goes at 64 calls in flight: samples the node process with perf (Debian's
# linux-perf) while bench/Mesh.Bench loads it, and prints the hottest symbols, .NET methods
# included (the node runs with DOTNET_PerfMapEnabled=1). Usage: bench/profile.sh [SECONDS]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
seconds="${1:-10}"
scripts/install-prerequisites.sh
command -v perf >/dev/null || apt-get install -y linux-perf >/dev/null
dotnet build -c Release bench/Mesh.Bench --nologo -v quiet >/dev/null
out=$(mktemp -d)
dotnet bench/Mesh.Bench/bin/Release/net10.0/Mesh.Bench.dll load $((seconds + 5)) > "$out/load.log" 2>&1 &
load=$!
until grep -q "node pid" "$out/load.log" 2>/dev/null; do
  kill -0 "$load" 2>/dev/null || { cat "$out/load.log"; exit 1; }
  sleep 0.5
done
pid=$(grep -o "node pid [0-9]*" "$out/load.log" | grep -o "[0-9]*$")
perf record -o "$out/perf.data" -F 999 -g -p "$pid" -- sleep "$seconds" 2>/dev/null
wait "$load"
cat "$out/load.log" | grep "calls/s"
echo "by library:"
perf report -i "$out/perf.data" --stdio --no-children --sort dso 2>/dev/null | grep -E "^ +[0-9.]+%" | head -12 | sed -E 's/ +$//'
echo "hottest symbols:"
perf report -i "$out/perf.data" --stdio --no-children --sort dso,symbol 2>/dev/null | grep -E "^ +[0-9.]+%" | head -40 | cut -c1-180 | sed -E 's/ +$//'
echo "perf data: $out/perf.data"
