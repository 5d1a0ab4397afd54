// Runs the whole suite: unit tests, then integration tests (real vireod + QEMU).
// Integration files run one at a time: each boots TCG guests, and this machine has 2 cores.
import { spawnSync } from 'node:child_process';
import { readdirSync, existsSync } from 'node:fs';

// Tests drive the CLI users get: the compiled one, rebuilt from the current dist/ (it is skipped,
// and bin/vireo falls back to Node, where Bun cannot run).
spawnSync('bash', ['scripts/build-cli.sh'], { stdio: 'inherit' });

const files = (dir) => (existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.test.js')).sort().map((f) => `${dir}/${f}`) : []);
const unit = files('dist/test/unit');
const integration = files('dist/test/integration');
const only = process.argv.slice(2);
const selected = only.length > 0 ? [...unit, ...integration].filter((f) => only.some((o) => f.includes(o))) : [...unit, ...integration];
const r = spawnSync(process.execPath, ['--test', '--test-concurrency=1', '--test-reporter=spec', ...selected], { stdio: 'inherit' });
process.exit(r.status ?? 1);
