#!/usr/bin/env bash
# The one test command: installs what tests need, builds, runs every test project and prints
# "N passed, N failed[, N skipped]" as its last line. Exit code 0 only when nothing failed.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

bash eng/install-packages.sh || exit 1
# npm packages of node-based tests (real MCP clients, LangChain.js): each folder brings its own setup.sh.
for setup in tests/*/setup.sh; do
  [ -f "$setup" ] || continue
  bash "$setup" || { echo "0 passed, 1 failed ($setup failed)"; exit 1; }
done

dotnet build OpenDesk.sln -c Release -warnaserror 2>&1 | tail -n 3
[ "${PIPESTATUS[0]}" -eq 0 ] || { echo "0 passed, 1 failed (build failed)"; exit 1; }

log="$(mktemp)"
dotnet test OpenDesk.sln -c Release --no-build --blame-hang-timeout 10m "$@" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}

summary=$(grep -E '^\s*(Passed|Failed)!' "$log" \
  | sed -E 's/.*Failed: *([0-9]+), Passed: *([0-9]+), Skipped: *([0-9]+).*/\1 \2 \3/' \
  | awk '{f+=$1; p+=$2; s+=$3} END {printf "%d %d %d", p, f, s}')
read -r passed failed skipped <<<"${summary:-0 0 0}"
rm -f "$log"
# A crashed or hung test host prints no summary line: count it as a failure.
if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
if [ "$skipped" -gt 0 ]; then
  echo "$passed passed, $failed failed, $skipped skipped"
else
  echo "$passed passed, $failed failed"
fi
[ "$rc" -eq 0 ] && [ "$failed" -eq 0 ]
