// The interactive shell and the console, in a real pseudo-terminal (util-linux script), against a
// real vireod and a real guest: what a person at a terminal sees and types.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { Duplex } from 'node:stream';
import { VireoClient } from '../../src/client/client.js';
import { TestDaemon, guestXml, waitFor, READY_LINE, SOON, BOOT } from './harness.js';
import { KEY, Pty } from './cli-pty.js';

const PROMPT = 'vireo # ';

describe('the shell on a terminal', () => {
  const d = new TestDaemon();
  const home = mkdtempSync(path.join(tmpdir(), 'vireo-home-'));
  const env = { VIREO_DEFAULT_URI: d.uri, HOME: home, XDG_STATE_HOME: path.join(home, 'state') };
  before(async () => {
    await d.start();
    writeFileSync(path.join(home, 'vm1.xml'), guestXml('vm1'));
    writeFileSync(path.join(home, 'vm2.xml'), guestXml('vm2'));
    assert.equal((await d.vireo([`define ${path.join(home, 'vm1.xml')}; define ${path.join(home, 'vm2.xml')}; start --paused vm1`])).code, 0);
  });
  after(async () => {
    Pty.killAll();
    await d.cleanup();
    rmSync(home, { recursive: true, force: true });
  });

  test('banner, prompt, line editing, errors, Ctrl+C and quit', async () => {
    const t = new Pty('vireo', env);
    await t.expect("Welcome to vireo, the virtualization interactive terminal.\n\nType:  'help' for help with commands\n       'quit' to quit\n\nvireo # ");
    // Type with a typo, go back three characters and insert the missing letter.
    await t.press('echo wrld', KEY.left, KEY.left, KEY.left, 'o', KEY.enter);
    await t.expect(/echo world\nworld\nvireo # $/); // readline redraws the edited line whole; echo adds no blank line
    // Ctrl+A goes to the start of the line.
    await t.press('vm1', KEY.ctrlA, 'domid ', KEY.enter);
    await t.expect(/1\n\nvireo # $/);
    // A parse error is not followed by a blank line; a command's failure is (virsh's rules).
    t.line('bogus');
    await t.expect(/error: unknown command: 'bogus'\nvireo # $/);
    t.line('dominfo nosuch');
    await t.expect(/error: failed to get domain 'nosuch'\n\nvireo # $/);
    // Ctrl+C drops the line being typed and gives a fresh prompt; the shell stays.
    await t.press('destroy vm1', KEY.ctrlC);
    await t.expect(PROMPT);
    t.line('domstate vm1');
    await t.expect(/paused\n\nvireo # $/);
    t.line('quit');
    assert.equal(await t.exit(), 0);
  });

  test('history is kept between runs in the XDG state directory', async () => {
    const first = new Pty('vireo', env);
    await first.expect(PROMPT);
    first.line('domname 1');
    await first.expect(/vm1\n\nvireo # $/);
    first.line('exit');
    assert.equal(await first.exit(), 0);
    const hist = readFileSync(path.join(home, 'state', 'vireo', 'history'), 'utf8');
    assert.ok(hist.endsWith('domname 1\nexit\n'), hist);

    const second = new Pty('vireo', env);
    await second.expect(PROMPT);
    // Up once: exit; twice: the command before it.
    await second.press(KEY.up, KEY.up);
    await second.expect('domname 1');
    await second.press(KEY.enter);
    await second.expect(/vm1\n\nvireo # $/);
    // Ctrl+D on an empty line leaves, like quit.
    second.type(KEY.ctrlD);
    assert.equal(await second.exit(), 0);
  });

  test('Tab completes commands, options, file names and the domains a command can act on', async () => {
    const t = new Pty('vireo', env, home);
    await t.expect(PROMPT);
    // domstate and domstats share "domstat": Tab completes that far, the next key picks one.
    await t.press('doms', KEY.tab);
    await t.expect('domstat');
    await t.press('e', KEY.tab);
    await t.expect('e '); // the line is now 'domstate ' (the command's output below says so)
    await t.press('--re', KEY.tab);
    await t.expect('--reason ');
    await t.press('v', KEY.tab);
    await t.expect('vm'); // vm1 and vm2 share "vm"
    await t.press(KEY.tab, KEY.tab);
    await t.expect(/vm1\s+vm2/);
    await t.press('2', KEY.enter);
    await t.expect(/shut off \(unknown\)\n\nvireo # $/);
    // start offers only shut-off domains: vm1 is running, so vm2 is the one.
    await t.press('start v', KEY.tab);
    await t.expect('start vm2 ');
    await t.press(KEY.ctrlU, 'resume v', KEY.tab);
    await t.expect('resume vm1 ');
    await t.press(KEY.ctrlU, 'define v', KEY.tab, KEY.tab);
    await t.expect(/vm1\.xml\s+vm2\.xml/);
    await t.press('2', KEY.tab);
    await t.expect('define vm2.xml ');
    await t.press(KEY.ctrlU, 'quit', KEY.enter);
    assert.equal(await t.exit(), 0);
  });

  test('a read-only shell has its own prompt and refuses changes', async () => {
    const t = new Pty('vireo -r', env);
    await t.expect('vireo > ');
    t.line('destroy vm1');
    await t.expect(/error: Failed to destroy domain 'vm1'\nerror: operation forbidden: read only access prevents this operation\n\nvireo > $/);
    t.line('quit');
    assert.equal(await t.exit(), 0);
  });
});

describe('console on a terminal', () => {
  const d = new TestDaemon();
  const home = mkdtempSync(path.join(tmpdir(), 'vireo-home-'));
  const env = { VIREO_DEFAULT_URI: d.uri, HOME: home, XDG_STATE_HOME: path.join(home, 'state') };
  let client: VireoClient;
  before(async () => {
    await d.start();
    client = VireoClient.open(d.uri);
    writeFileSync(path.join(home, 'c1.xml'), guestXml('c1'));
    writeFileSync(path.join(home, 'c2.xml'), guestXml('c2'));
    writeFileSync(path.join(home, 't1.xml'), guestXml('t1'));
    await client.define(guestXml('c1'));
    await client.define(guestXml('c2'));
    await client.start('c1');
    await d.waitShell('c1');
  });
  after(async () => {
    Pty.killAll();
    client.close();
    await d.cleanup();
    rmSync(home, { recursive: true, force: true });
  });

  /** Type a command into the guest's shell (there since before()) and see its answer. */
  async function guestAnswers(t: Pty): Promise<void> {
    t.type('echo vireo-$((6*7))\r');
    await t.expect('vireo-42');
  }

  /** The console is free again once the daemon has seen the previous reader go. */
  async function consoleFree(): Promise<void> {
    await waitFor(async () => {
      const s = await client.attachConsole('c1').catch(() => undefined);
      s?.destroy();
      return s !== undefined;
    }, SOON, 'the console to be free');
  }

  test('attach, type into the guest, Ctrl+] detaches and the terminal is restored', async () => {
    const t = new Pty('stty -a | grep -o -- "-\\?icanon"; vireo console c1; echo "rc=$?"; stty -a | grep -o -- "-\\?icanon"', env);
    await t.expect("icanon\nConnected to domain 'c1'\nEscape character is ^] (Ctrl + ])\n");
    await guestAnswers(t);
    t.type(KEY.escape);
    await t.expect(/\nrc=0\nicanon\n/);
    assert.equal(await t.exit(), 0);
  });

  test('a second console is refused; --force takes over and the first one ends', async () => {
    await consoleFree();
    const first = new Pty('vireo console c1; echo "first rc=$?"', env);
    await first.expect('Escape character is');
    const second = new Pty('vireo console c1; echo "second rc=$?"', env);
    await second.expect(/error: operation failed: Active console session exists for this domain\n\nsecond rc=1/);
    await second.exit();
    const forced = new Pty('vireo console --force c1; echo "forced rc=$?"', env);
    await forced.expect("Connected to domain 'c1'");
    await first.expect('first rc=0');
    assert.equal(await first.exit(), 0);
    await guestAnswers(forced);
    forced.type(KEY.escape);
    await forced.expect('forced rc=0');
    assert.equal(await forced.exit(), 0);
  });

  test('--devname, -e and a read-only watcher', async () => {
    await consoleFree();
    const t = new Pty('vireo -e ^a console --devname serial0 c1; echo "rc=$?"', env);
    await t.expect('Escape character is ^a (Ctrl + a)');
    await guestAnswers(t);
    t.type(KEY.ctrlA);
    await t.expect('rc=0');
    await t.exit();
    const bad = new Pty('vireo console --devname serial7 c1; echo "rc=$?"', env);
    await bad.expect(/error: cannot find character device serial7\n\nrc=1/);
    await bad.exit();
    // A read-only connection watches: what it types does not reach the guest.
    await consoleFree();
    const rw: Duplex = await client.attachConsole('c1');
    const ro = new Pty('vireo -r console c1; echo "rc=$?"', env);
    await ro.expect("Connected to domain 'c1'");
    ro.type('echo typed-$((1+1))\r');
    rw.write('echo watched-$((2+3))\r');
    await ro.expect('watched-5');
    assert.ok(!ro.all.includes('typed-2'), 'keys of a read-only console reach nobody');
    ro.type(KEY.escape);
    await ro.expect('rc=0');
    await ro.exit();
    rw.destroy();
  });

  test('console inside the shell: Ctrl+] comes back to the prompt', async () => {
    await consoleFree();
    const t = new Pty('vireo', env);
    await t.expect(PROMPT);
    t.line('console c1');
    await t.expect('Escape character is ^] (Ctrl + ])');
    await guestAnswers(t);
    t.type(KEY.escape);
    await t.expect(/\n\nvireo # $/);
    // The line editor has its keys back.
    await t.press('domid c2', KEY.left, KEY.left, KEY.left, KEY.left, KEY.left, 'x', KEY.enter);
    await t.expect(/error: unknown command: 'domxid'\nvireo # $/);
    t.line('domstate c1');
    await t.expect(/running\n\nvireo # $/);
    t.line('quit');
    assert.equal(await t.exit(), 0);
  });

  test('start --console and create --console attach once the guest runs', async () => {
    const s = new Pty('vireo start --console c2; echo "rc=$?"', env);
    await s.expect("Domain 'c2' started\nConnected to domain 'c2'\nEscape character is ^] (Ctrl + ])\n");
    await s.expect(READY_LINE, BOOT);
    s.type(KEY.escape);
    await s.expect('rc=0');
    await s.exit();
    const c = new Pty(`vireo create --console ${path.join(home, 't1.xml')}; echo "rc=$?"`, env);
    await c.expect(`Domain 't1' created from ${path.join(home, 't1.xml')}\nConnected to domain 't1'\n`);
    c.type(KEY.escape);
    await c.expect('rc=0');
    await c.exit();
    assert.equal((await d.vireo(['destroy c2; destroy t1'])).code, 0);
  });

  test('errors: a shut-off guest, no terminal', async () => {
    const state = await d.domstate('c2');
    assert.match(state, /^shut off/);
    const t = new Pty('vireo console c2; echo "rc=$?"', env);
    await t.expect(/error: The domain is not running\n\nrc=1/);
    await t.exit();
    const noTty = await d.vireo(['console', 'c1']);
    assert.deepEqual([noTty.code, noTty.stderr], [1, 'error: Cannot run interactive console without a controlling TTY\n']);
    const startNoTty = await d.vireo(['start', '--console', 'c2']);
    assert.deepEqual([startNoTty.code, startNoTty.stderr], [1, 'error: Cannot run interactive console without a controlling TTY\n']);
    assert.equal(await d.domstate('c2'), state, 'nothing was started');
  });
});
