#!/bin/sh
# Installs the pinned npm clients (idempotent): runs `npm ci` only when node_modules is missing or older than the lock file.
set -eu
cd "$(dirname "$0")"
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
