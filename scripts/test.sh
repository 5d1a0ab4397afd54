#!/usr/bin/env bash
# The whole test suite on a fresh Debian 12 machine: set-up first, then every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
node scripts/run-tests.mjs "$@"
