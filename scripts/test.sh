#!/usr/bin/env bash
# The README's test command (`npm test`). Installs what the suite needs, idempotently, then runs
# lint, type-check/build and every test suite. Safe to run again and again.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh

echo "== build (tsc, strict)"
npx --no-install tsc -p tsconfig.json
node scripts/build-templates.mjs
echo "== lint (layering and core purity)"
npx --no-install eslint src test bench
echo "== tests"
exec node scripts/run-tests.mjs "$@"
