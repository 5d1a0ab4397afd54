#!/usr/bin/env bash
# The whole test suite on a fresh Debian 12 machine: set-up first, then every test.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$SECONDS
bash scripts/setup.sh
echo "timing: setup $((SECONDS - start)) s"
VIREO_SETUP_SECONDS=$((SECONDS - start)) node scripts/run-tests.mjs "$@"
