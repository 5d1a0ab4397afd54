#!/usr/bin/env bash
# Compile the vireo CLI into one executable (dist/vireo-cli) with Bun's bundler.
#
# Why: scripts call one-shot commands (`vireo list`, `vireo domstate`) in loops, and Node's own
# start-up (60-85 ms here) is most of what such a command costs; virsh's whole command takes
# 15-30 ms. The compiled CLI starts in a few ms. bin/vireo runs it when present and falls back to
# Node otherwise (VIREO_CLI_RUNTIME=node forces Node). Same TypeScript sources either way; the
# daemon always runs on Node.
set -euo pipefail
cd "$(dirname "$0")/.."
bun=node_modules/bun/bin/bun.exe
out=dist/vireo-cli
if ! "$bun" --version >/dev/null 2>&1; then
  echo "build-cli: no working Bun binary ($bun); bin/vireo will run on Node" >&2
  rm -f "$out"
  exit 0
fi
"$bun" build --compile --minify --bytecode --sourcemap=none scripts/cli-entry.mjs --outfile "$out.tmp" >/dev/null
# A binary this CPU cannot run (e.g. no AVX2) must not shadow the Node CLI.
if "$out.tmp" -v >/dev/null 2>&1; then
  mv "$out.tmp" "$out"
else
  echo "build-cli: the compiled CLI does not run here; bin/vireo will run on Node" >&2
  rm -f "$out.tmp" "$out"
fi
