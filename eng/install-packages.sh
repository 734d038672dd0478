#!/usr/bin/env bash
# Installs the Debian packages in eng/packages.txt that are missing (and Node.js when absent).
# Idempotent and quick when everything is present. Without root it prints the exact apt line and fails.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
mapfile -t wanted < <(grep -vE '^\s*(#|$)' "$here/packages.txt" | awk '{print $1}')
command -v node >/dev/null 2>&1 || wanted+=(nodejs npm)

missing=()
for p in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && { echo "system packages: all ${#wanted[@]} present"; exit 0; }

line="apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
  echo "Missing system packages. Run as root:" >&2
  echo "  apt-get update && $line" >&2
  exit 1
fi
echo "installing ${#missing[@]} system package(s): ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "system packages: installed"
