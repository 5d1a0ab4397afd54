// The program as a whole: modes, global options, the stdin reader, the shell, and the bin/vireo shim.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { TABLE } from '../../src/cli/commands/index.js';
import { BANNER, historyFile, runInteractive, runStdin } from '../../src/cli/interactive.js';
import { complete, type CompletionSource } from '../../src/cli/complete.js';
import { editorCommand } from '../../src/client/editor.js';
import type { DomainSummary } from '../../src/api/types.js';
import { main } from '../../src/cli/main.js';
import { Session } from '../../src/cli/session.js';

interface Result {
  code: number;
  out: string;
  err: string;
}

async function vireo(...argv: string[]): Promise<Result> {
  let out = '';
  let err = '';
  const code = await main(argv, { stdout: (t) => (out += String(t)), stderr: (t) => (err += t) }, false);
  return { code, out, err };
}

function session(o: { readonly?: boolean } = {}): { s: Session; out: () => string; err: () => string } {
  let out = '';
  let err = '';
  const s = new Session({
    table: TABLE, interactive: true, ...o,
    out: { stdout: (t) => (out += String(t)), stderr: (t) => (err += t) },
    openClient: () => { throw new Error('no daemon in this test'); },
  });
  return { s, out: () => out, err: () => err };
}

test('versions and usage', async () => {
  assert.deepEqual(await vireo('-v'), { code: 0, out: '0.1.0\n', err: '' });
  assert.deepEqual(await vireo('--version'), { code: 0, out: '0.1.0\n', err: '' });
  assert.match((await vireo('-V')).out, /^Vireo command line tool, version 0\.1\.0\n/);
  const h = await vireo('-h');
  assert.equal(h.code, 0);
  assert.match(h.out, /^\nvireo \[options\]\.\.\. \[<command_string>\]\n/);
});

test('one argument is a command string, several are one command\'s words', async () => {
  assert.deepEqual(await vireo('echo a; echo "b c"'), { code: 0, out: 'a\nb c\n', err: '' });
  assert.deepEqual(await vireo('echo', 'a;', 'b'), { code: 0, out: 'a; b\n', err: '' });
  assert.deepEqual(await vireo('-q', 'echo', 'x'), { code: 0, out: 'x\n', err: '' });
});

test('a parse error anywhere runs nothing and exits 1', async () => {
  assert.deepEqual(await vireo('echo a; foo'), { code: 1, out: '', err: "error: unknown command: 'foo'\n" });
  assert.deepEqual(await vireo('list', '--bogus'), { code: 1, out: '', err: "error: command 'list' doesn't support option --bogus\n" });
  assert.deepEqual(await vireo('start'), { code: 1, out: '', err: "error: command 'start' requires <domain> option\n" });
  assert.deepEqual(await vireo('echo "x'), { code: 1, out: '', err: 'error: missing "\n' });
  assert.deepEqual(await vireo('--bogus', 'list'), { code: 1, out: '', err: "error: unsupported option '--bogus'. See --help.\n" });
});

test('a daemon that is not there: two connection lines, a hint, and exit 1', async () => {
  const r = await vireo('-c', 'vireo+unix:///system?socket=/nonexistent/vireod.sock', 'list');
  assert.equal(r.code, 1);
  assert.match(r.err, /^error: failed to connect to the hypervisor\nerror: Failed to connect socket to '\/nonexistent\/vireod\.sock': No such file or directory\nhint: .*vireod.*\n$/);
  assert.equal(r.out, '\n');
  const bad = await vireo('-c', 'http://x', 'uri');
  assert.match(bad.err, /^error: failed to connect to the hypervisor\nerror: no connection driver available for URI 'http:\/\/x'\n$/);
});

test('stdin: one line at a time, no banner, the status is the last command\'s', async () => {
  const run = async (text: string): Promise<[number, string, string]> => {
    const { s, out, err } = session();
    const input = new PassThrough();
    input.end(text);
    const code = await runStdin(s, input);
    return [code, out(), err()];
  };
  assert.deepEqual(await run('echo a\nfoo\necho "b\n'), [1, 'a\n', "error: unknown command: 'foo'\nerror: missing \"\n"]);
  assert.deepEqual(await run('foo\necho a\n\n# done\n'), [0, 'a\n', "error: unknown command: 'foo'\n"]);
  assert.deepEqual(await run('echo a; quit\necho b\n'), [0, 'a\n', '']);
  const here = process.cwd();
  try {
    assert.deepEqual(await run('pwd; cd /'), [0, `${here}\n\n\n`, ''], 'cd is allowed: stdin is interactive mode');
    assert.equal(process.cwd(), '/');
  } finally {
    process.chdir(here);
  }
});

test('the shell prints the banner and prompt, runs lines and leaves on quit', async () => {
  const { s, err } = session();
  const input = new PassThrough();
  const output = new PassThrough();
  let screen = '';
  output.on('data', (d: Buffer) => (screen += d.toString()));
  const done = runInteractive(s, input, output);
  input.write('echo hi\n');
  input.write('foo\n');
  input.write('quit\n');
  const code = await done;
  assert.equal(code, 0, 'the status is the last command\'s: quit');
  assert.ok(screen.startsWith(BANNER), JSON.stringify(screen));
  // readline draws the prompt with cursor escapes: one prompt at start and one after each command.
  assert.equal(screen.split('vireo # ').length - 1, 3, JSON.stringify(screen));
  assert.match(err(), /^error: unknown command: 'foo'\n$/);
});

test('the read-only shell prompt', () => {
  assert.equal(session({ readonly: true }).s.prompt(), 'vireo > ');
  assert.equal(session().s.prompt(), 'vireo # ');
});

test('completion of commands, options, domains and files', async () => {
  const c = (line: string, src?: CompletionSource): Promise<[string[], string]> => complete(TABLE, line, src);
  assert.deepEqual(await c('domi'), [['domid', 'domif-getlink', 'domif-setlink', 'domifaddr', 'domiflist', 'domifstat', 'domiftune', 'dominfo'], 'domi']);
  assert.deepEqual(await c('list --al'), [['--all '], '--al'], 'a single candidate comes with its space');
  assert.deepEqual(await c('echo x; start vm1 --'), [['--domain', '--console', '--paused', '--force-boot'], '--']);
  assert.deepEqual(await c('start vm'), [[], 'vm'], 'no connection, no domain names');
  const dom = (name: string, id: number | null, state = id === null ? 'shut off' : 'running'): DomainSummary => ({
    id, name, uuid: `uuid-${name}`, state, reason: 'unknown', persistent: true, autostart: false, managedSave: false,
    hasSnapshot: false, title: '', osType: 'hvm', vcpus: 1, maxMemoryKiB: 1, usedMemoryKiB: 1, cpuTimeNs: 0,
  } as DomainSummary);
  const src: CompletionSource = {
    domains: async () => [dom('vm2', 1), dom('vm1', null), dom('web', 2, 'paused')],
    files: async (p) => [`${p}x.xml`],
  };
  assert.deepEqual(await c('start ', src), [['vm1 '], ''], 'start offers shut-off domains');
  assert.deepEqual(await c('destroy v', src), [['vm2 '], 'v'], 'destroy offers running ones');
  assert.deepEqual(await c('resume ', src), [['web '], ''], 'resume offers paused ones');
  assert.deepEqual(await c('dominfo ', src), [['vm1', 'vm2', 'web'], '']);
  assert.deepEqual(await c('start --paused --domain v', src), [['vm1 '], 'v']);
  assert.deepEqual(await c('dominfo vm1 ', src), [[], ''], 'the one positional is taken');
  assert.deepEqual(await c('define d', src), [['dx.xml '], 'd']);
  const failing: CompletionSource = { domains: () => Promise.reject(new Error('down')), files: () => Promise.reject(new Error('x')) };
  assert.deepEqual(await c('start v', failing), [[], 'v']);
});

test('the history lives in the XDG state directory', () => {
  assert.equal(historyFile({ XDG_STATE_HOME: '/s', HOME: '/h' }), '/s/vireo/history');
  assert.equal(historyFile({ HOME: '/h' }), '/h/.local/state/vireo/history');
  assert.equal(historyFile({ XDG_STATE_HOME: 'relative', HOME: '/h' }), '/h/.local/state/vireo/history', 'a relative XDG path is ignored, per the spec');
});

test('bin/vireo runs the built CLI', () => {
  const bin = fileURLToPath(new URL('../../../bin/vireo', import.meta.url));
  const v = spawnSync(bin, ['-v'], { encoding: 'utf8' });
  assert.equal(v.stdout, '0.1.0\n');
  assert.equal(v.status, 0);
  const s = spawnSync(bin, [], { input: 'echo one\nlist --bogus\n', encoding: 'utf8' });
  assert.deepEqual([s.status, s.stdout, s.stderr], [1, 'one\n', "error: command 'list' doesn't support option --bogus\n"]);
});

test('edit runs $VISUAL, else $EDITOR, else vi', () => {
  assert.equal(editorCommand({ VISUAL: 'code --wait', EDITOR: 'nano' }), 'code --wait');
  assert.equal(editorCommand({ VISUAL: ' ', EDITOR: 'nano' }), 'nano');
  assert.equal(editorCommand({}), 'vi');
});
