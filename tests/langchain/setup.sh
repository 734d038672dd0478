#!/usr/bin/env bash
# Installs the npm packages of the LangChain.js tests exactly as package-lock.json pins them (npm ci). Idempotent:
# skipped when node_modules was installed from the same lock file. Called by eng/test.sh (every tests/*/setup.sh).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
if ! command -v npm >/dev/null 2>&1; then
  echo "tests/langchain: npm not found; the LangChain.js tests will be skipped" >&2
  exit 0
fi
want="$(sha256sum package-lock.json | cut -d' ' -f1)"
if [ -d node_modules ] && [ "$(cat node_modules/.opendesk-lock-sha256 2>/dev/null)" = "$want" ]; then
  exit 0
fi
npm ci --no-audit --no-fund --loglevel=error
echo "$want" > node_modules/.opendesk-lock-sha256
