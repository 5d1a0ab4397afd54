// edit on a real terminal: the default editor (vi) gets the keyboard and the screen, and a refused
// result brings virsh's "Failed. Try again? [y,n,i,f,?]" question. (Without a terminal, edit is
// covered by test/cli-golden/edit.in.)
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { TestDaemon, guestXml } from './harness.js';
import { KEY, Pty } from './cli-pty.js';

/** An editor that breaks the XML on its first run and leaves the file as it was given after. */
const FLAKY = `n=$(cat "$0.count" 2>/dev/null || echo 0); echo $((n+1)) > "$0.count"
if [ "$n" = 0 ]; then sed -i 's|</devices>|<hostdev mode="subsystem" type="usb"/></devices>|' "$1"; else sed -i 's|<hostdev[^>]*/>||; s|<title>.*</title>|<title>fixed</title>|' "$1"; fi
`;

describe('edit on a terminal', () => {
  const d = new TestDaemon();
  const home = mkdtempSync(path.join(tmpdir(), 'vireo-home-'));
  const env = { VIREO_DEFAULT_URI: d.uri, HOME: home, TMPDIR: home };
  before(async () => {
    await d.start();
    writeFileSync(path.join(home, 'vm1.xml'), guestXml('vm1', { title: 'first guest' }));
    writeFileSync(path.join(home, 'flaky.sh'), FLAKY);
    writeFileSync(path.join(home, 'bad.sh'), `sed -i 's|</devices>|<hostdev mode="subsystem" type="usb"/></devices>|' "$1"\n`);
    assert.equal((await d.vireo(['define', path.join(home, 'vm1.xml')])).code, 0);
  });
  after(async () => {
    Pty.killAll();
    await d.cleanup();
    rmSync(home, { recursive: true, force: true });
  });

  const title = async (): Promise<string> => (await d.vireo(['-q', 'list', '--all', '--title'])).stdout.trim().split(/\s{2,}/).pop() ?? '';

  test('the default editor is vi, on the terminal', async () => {
    const t = new Pty('vireo edit vm1; echo "rc=$?"', env, home);
    await t.expect('<title>first guest</title>');
    await t.press(':');
    await t.press(...':%s/first guest/typed in vi/'.slice(1), KEY.enter);
    t.line(':wq');
    await t.expect(/Domain 'vm1' XML configuration edited\.\n\nrc=0/);
    assert.equal(await t.exit(), 0);
    assert.equal(await title(), 'typed in vi');
  });

  test('a refused result: ? shows the choices, y edits again', async () => {
    const t = new Pty(`EDITOR="sh ${path.join(home, 'flaky.sh')}" vireo edit vm1; echo "rc=$?"`, env, home);
    await t.expect(/error: XML document failed to validate against schema: .*\n(.*\n)*\nFailed\. Try again\? \[y,n,i,f,\?\]: $/);
    t.type('?');
    await t.expect(/\ny - yes, start editor again\nn - no, throw away my changes\ni - turn off validation and try to redefine again\nf - force, try to redefine again\n\? - print this help\nFailed\. Try again\? \[y,n,i,f,\?\]: $/);
    t.type('x'); // not an answer: asked again
    await t.expect('Failed. Try again? [y,n,i,f,?]: ');
    t.type('y');
    await t.expect(/Domain 'vm1' XML configuration edited\.\n\nrc=0/);
    assert.equal(await t.exit(), 0);
    assert.equal(await title(), 'fixed');
  });

  test('i turns validation off; then only y, n, f are offered; n throws the changes away', async () => {
    const before = await title();
    const t = new Pty(`EDITOR="sh ${path.join(home, 'bad.sh')}" vireo edit vm1; echo "rc=$?"`, env, home);
    await t.expect('Failed. Try again? [y,n,i,f,?]: ');
    t.type('i');
    await t.expect(/error: unsupported element <devices>\/<hostdev>.*\n\nFailed\. Try again\? \[y,n,f,\?\]: $/);
    t.type('f');
    await t.expect(/error: unsupported element <devices>\/<hostdev>.*\n\nFailed\. Try again\? \[y,n,f,\?\]: $/);
    t.type('n');
    await t.expect(/\n\nrc=1/);
    assert.equal(await t.exit(), 0);
    assert.equal(await title(), before, 'nothing changed');
    assert.doesNotMatch((await d.vireo(['dumpxml', '--inactive', 'vm1'])).stdout, /hostdev/);
  });

  test('inside the shell, the prompt and the editor give the line editor its keys back', async () => {
    const t = new Pty(`EDITOR="sh ${path.join(home, 'bad.sh')}" vireo`, env, home);
    await t.expect('vireo # ');
    t.line('edit vm1');
    await t.expect('Failed. Try again? [y,n,i,f,?]: ');
    t.type(KEY.ctrlC); // as n
    await t.expect(/\n\nvireo # $/);
    await t.press('domstae vm1', KEY.left, KEY.left, KEY.left, KEY.left, KEY.left, 't', KEY.enter);
    await t.expect(/shut off\n\nvireo # $/);
    t.line('quit');
    assert.equal(await t.exit(), 0);
  });
});
