#!/usr/bin/env bash
# Quick start: installs what is missing, builds and installs the `opendesk` tool into ./.dotnet-tools,
# then runs the main job.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

bash eng/install-packages.sh
dotnet pack OpenDesk.Serve -c Release -o artifacts/tool -v quiet -p:WarningLevel=4 >/dev/null
tools="$root/.dotnet-tools"
dotnet tool uninstall --tool-path "$tools" OpenDesk >/dev/null 2>&1 || true
dotnet tool install --tool-path "$tools" --add-source artifacts/tool OpenDesk --version "$(sed -n 's:.*<Version>\(.*\)</Version>.*:\1:p' Directory.Build.props)" >/dev/null
echo "installed: $tools/opendesk ($("$tools/opendesk" --version))"
echo "add it to PATH with: export PATH=\"$tools:\$PATH\""
echo
"$tools/opendesk" demo
