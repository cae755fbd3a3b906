#!/usr/bin/env bash
# Where a node's (or the HTTP gateway's) CPU goes at 64 calls in flight: samples that process with
# perf (Debian's linux-perf) while bench/Mesh.Bench loads it, and prints the hottest symbols, .NET
# methods included (it runs with DOTNET_PerfMapEnabled=1). Usage: bench/profile.sh [SECONDS] [node|gateway]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
seconds="${1:-10}"
target="${2:-node}"
mode=load; [ "$target" = gateway ] && mode=gateway-load
scripts/install-prerequisites.sh
command -v perf >/dev/null || apt-get install -y linux-perf >/dev/null
dotnet build -c Release bench/Mesh.Bench --nologo -v quiet >/dev/null
out=$(mktemp -d)
dotnet bench/Mesh.Bench/bin/Release/net10.0/Mesh.Bench.dll "$mode" $((seconds + 5)) > "$out/load.log" 2>&1 &
load=$!
until grep -q "$target pid" "$out/load.log" 2>/dev/null; do
  kill -0 "$load" 2>/dev/null || { cat "$out/load.log"; exit 1; }
  sleep 0.5
done
pid=$(grep -o "$target pid [0-9]*" "$out/load.log" | grep -o "[0-9]*$")
perf record -o "$out/perf.data" -F 999 -g -p "$pid" -- sleep "$seconds" 2>/dev/null
wait "$load"
cat "$out/load.log" | grep "calls/s"
echo "by library:"
perf report -i "$out/perf.data" --stdio --no-children --sort dso 2>/dev/null | grep -E "^ +[0-9.]+%" | head -12 | sed -E 's/ +$//'
echo "hottest symbols:"
perf report -i "$out/perf.data" --stdio --no-children --sort dso,symbol 2>/dev/null | grep -E "^ +[0-9.]+%" | head -40 | cut -c1-180 | sed -E 's/ +$//'
echo "perf data: $out/perf.data"
