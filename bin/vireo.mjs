#!/usr/bin/env node
// The vireo CLI on Node. Build first (npx tsc -p .); the code lives in dist/src/cli/.
import('../dist/src/cli/main.js').then((m) => m.run());
