#!/usr/bin/env bash
# Installs what is missing, then builds and runs every test in the solution.
# Ends with one summary line: "tests: N passed, N failed, N skipped".
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

scripts/install-prerequisites.sh
scripts/build-examples.sh

log="$(mktemp)"
trap 'rm -f "$log"' EXIT
status=0
dotnet test Mesh.sln --nologo 2>&1 | tee "$log" || status=$?

# dotnet test prints one "Passed!/Failed! - Failed: N, Passed: N, Skipped: N" line per test assembly.
read -r passed failed skipped < <(awk '
  /(Passed|Failed)! +- Failed:/ {
    gsub(/,/, " ");
    for (i = 1; i <= NF; i++) {
      if ($i == "Failed:") f += $(i + 1);
      if ($i == "Passed:") p += $(i + 1);
      if ($i == "Skipped:") s += $(i + 1);
    }
  }
  END { printf "%d %d %d\n", p, f, s }' "$log")

echo "tests: $passed passed, $failed failed, $skipped skipped"
if [ "$status" -ne 0 ] || [ "$failed" -ne 0 ]; then
  exit 1
fi
if [ "$passed" -eq 0 ]; then
  echo "tests: no test ran" >&2
  exit 1
fi
