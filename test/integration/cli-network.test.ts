// A virtual network through the vireo CLI, against a real vireod: define, list, info, dumpxml,
// update of the stored definition, autostart, undefine; net-edit's question and the shell's Tab
// on a real terminal. vireod runs in a network namespace of its own, so that net-start can never
// touch the host's interfaces (starting networks is tested with bridges in namespaces).
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { REPO, SOON, runCli, scenario, waitFor, type CliResult } from './harness.js';
import { KEY, Pty } from './cli-pty.js';

const NETNS = `vireo-t-netcli-${process.pid}`;
const UUID = '3e0c7d1a-5b2f-4a68-8c90-1d2e3f4a5b6c';
const NET_XML = `<network>
  <name>lan1</name>
  <uuid>${UUID}</uuid>
  <forward mode='nat'/>
  <bridge name='vireo-lan1' stp='on' delay='0'/>
  <mac address='52:54:00:3e:0c:7d'/>
  <ip address='192.168.160.1' prefix='24'>
    <dhcp>
      <range start='192.168.160.100' end='192.168.160.200'/>
    </dhcp>
  </ip>
</network>
`;
const HOST = "<host mac='52:54:00:aa:bb:01' name='web' ip='192.168.160.10'/>";

/** vireod in its own network namespace (its socket is a file, so the CLI outside reaches it). */
class NetnsDaemon {
  readonly root = mkdtempSync(path.join(tmpdir(), 'vireo-test-'));
  readonly uri = `vireo+unix:///system?socket=${path.join(this.root, 'run', 'vireod.sock')}`;
  private proc: ChildProcess | undefined;
  private stderr = '';

  async start(): Promise<void> {
    execFileSync('ip', ['netns', 'add', NETNS]);
    // `ip netns exec` and bin/vireod both exec, so the pid is the daemon's own.
    this.proc = spawn('ip', ['netns', 'exec', NETNS, path.join(REPO, 'bin', 'vireod'), '--root', this.root], { stdio: ['ignore', 'ignore', 'pipe'] });
    this.proc.stderr!.setEncoding('utf8').on('data', (d: string) => (this.stderr += d));
    await waitFor(async () => {
      if (this.proc?.exitCode !== null) throw new Error(`vireod exited during start-up:\n${this.stderr}`);
      return existsSync(path.join(this.root, 'run', 'vireod.sock')) && (await this.vireo(['uri'])).code === 0;
    }, SOON, 'vireod to answer');
  }

  vireo(args: string[]): Promise<CliResult> {
    return runCli(['-c', this.uri, ...args]);
  }

  /**
   * Start a command that waits for events (net-event --loop); resolves once it listens. `until(text)`
   * waits for text in its output, interrupts it as Ctrl+C would and resolves to all it printed.
   */
  async follow(args: string[]): Promise<{ until(text: string): Promise<string> }> {
    const p = spawn(path.join(REPO, 'bin', 'vireo'), ['-c', this.uri, '-d', '1', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.setEncoding('utf8').on('data', (x: string) => (out += x));
    p.stderr.setEncoding('utf8').on('data', (x: string) => (err += x));
    const exited = new Promise((resolve) => p.once('close', resolve));
    await waitFor(() => err.includes('listening for events'), SOON, `${args[0] ?? ''} to listen`);
    return {
      until: async (text) => {
        await waitFor(() => out.includes(text), SOON, `'${text}' from ${args[0] ?? ''}`);
        p.kill('SIGINT');
        await exited;
        return out;
      },
    };
  }

  /** SIGTERM (vireod then writes its coverage), the namespace and the root removed. */
  async cleanup(): Promise<void> {
    const p = this.proc;
    if (p !== undefined && p.exitCode === null && p.signalCode === null) {
      const gone = new Promise((resolve) => p.once('exit', resolve));
      const hung = setTimeout(() => p.kill('SIGKILL'), SOON);
      p.kill('SIGTERM');
      await gone;
      clearTimeout(hung);
    }
    // Networks outlive vireod (dnsmasq keeps running); whatever is left in the namespace goes with it.
    for (const pid of execFileSync('ip', ['netns', 'pids', NETNS], { encoding: 'utf8' }).split('\n').filter((p) => p !== '')) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // already gone
      }
    }
    execFileSync('ip', ['netns', 'del', NETNS]);
    rmSync(this.root, { recursive: true, force: true });
  }
}

describe('a virtual network through the CLI', () => {
  const d = new NetnsDaemon();
  const dir = mkdtempSync(path.join(tmpdir(), 'vireo-netcli-'));
  const file = path.join(dir, 'lan1.xml');
  before(async () => {
    writeFileSync(file, NET_XML);
    await d.start();
  });
  after(async () => {
    Pty.killAll();
    await d.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  const ok = async (args: string[]): Promise<string> => {
    const r = await d.vireo(args);
    assert.equal(r.code, 0, `vireo ${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stderr, '');
    return r.stdout;
  };

  test('define, list, info, dumpxml, update, autostart, undefine', async (t) => {
    const step = scenario(t);
    await step('net-define keeps it inactive and persistent', async () => {
      assert.equal(await ok(['net-define', file]), `Network lan1 defined from ${file}\n\n`);
      assert.equal(await ok(['net-list']), ' Name   State   Autostart   Persistent\n----------------------------------------\n\n');
      assert.equal(await ok(['net-list', '--all']), [
        ' Name   State      Autostart   Persistent', '-------------------------------------------', ' lan1   inactive   no          yes', '', '',
      ].join('\n'));
      assert.equal(await ok(['net-info', 'lan1']), [
        'Name:           lan1', `UUID:           ${UUID}`, 'Active:         no', 'Persistent:     yes', 'Autostart:      no',
        'Bridge:         vireo-lan1', '', '',
      ].join('\n'));
      assert.equal(await ok(['net-uuid', 'lan1']), `${UUID}\n\n`);
      assert.equal(await ok(['net-name', UUID]), 'lan1\n\n');
    });

    await step('net-dumpxml prints the definition as it was written', async () => {
      assert.equal(await ok(['net-dumpxml', 'lan1']), `${NET_XML}\n`);
      assert.equal(await ok(['net-dumpxml', '--inactive', UUID]), `${NET_XML}\n`);
    });

    await step('net-update --config adds a DHCP host to the stored definition, and deletes it again', async () => {
      assert.equal(await ok(['net-update', 'lan1', 'add', 'ip-dhcp-host', HOST, '--config']), 'Updated network lan1 persistent config\n');
      const xml = await ok(['net-dumpxml', '--inactive', 'lan1']);
      assert.ok(xml.includes(`      <range start='192.168.160.100' end='192.168.160.200'/>\n      ${HOST}\n    </dhcp>`), xml);
      const again = await d.vireo(['net-update', 'lan1', 'add', 'ip-dhcp-host', HOST, '--config']);
      assert.equal(again.code, 1);
      assert.match(again.stderr, /^error: Failed to update network lan1\nerror: Requested operation is not valid: there is an existing dhcp host entry/);
      assert.equal(await ok(['net-update', 'lan1', 'delete', 'ip-dhcp-host', HOST, '--config']), 'Updated network lan1 persistent config\n');
      assert.equal(await ok(['net-dumpxml', 'lan1']), `${NET_XML}\n`);
    });

    await step('net-start brings it up (in this namespace); leases, a live net-update and net-destroy on it', async () => {
      const events = await d.follow(['net-event', '--network', 'lan1', '--event', 'lifecycle', '--loop']);
      assert.equal(await ok(['net-start', 'lan1']), 'Network lan1 started\n\n');
      const again = await d.vireo(['net-start', 'lan1']);
      assert.deepEqual([again.code, again.stderr], [1, 'error: Failed to start network lan1\nerror: Requested operation is not valid: network is already active\n']);
      assert.equal(await ok(['net-list']), ' Name   State    Autostart   Persistent\n-----------------------------------------\n lan1   active   no          yes\n\n');
      assert.match(await ok(['net-info', 'lan1']), /\nActive: {9}yes\n/);
      assert.match(await ok(['net-dumpxml', 'lan1']), /<forward mode='nat'>\n {4}<nat>\n {6}<port start='1024' end='65535'\/>/);
      assert.equal(await ok(['net-dhcp-leases', 'lan1']), ' Expiry Time   MAC address   Protocol   IP address   Hostname   Client ID or DUID\n'
        + `${'-'.repeat(83)}\n\n`);
      assert.equal(await ok(['net-update', 'lan1', 'add', 'ip-dhcp-host', HOST]), 'Updated network lan1 live state\n');
      assert.ok((await ok(['net-dumpxml', 'lan1'])).includes(HOST), 'the live definition has the host');
      assert.equal(await ok(['net-dumpxml', '--inactive', 'lan1']), `${NET_XML}\n`, 'the stored one does not');
      assert.equal(await ok(['net-destroy', 'lan1']), 'Network lan1 destroyed\n\n');
      assert.match(await ok(['net-info', 'lan1']), /\nActive: {9}no\n/);
      assert.equal(await events.until('Stopped'), "event 'lifecycle' for network lan1: Started\nevent 'lifecycle' for network lan1: Stopped\nevent loop interrupted\nevents received: 2\n\n");
    });

    await step('net-autostart marks it, --disable unmarks it', async () => {
      assert.equal(await ok(['net-autostart', 'lan1']), 'Network lan1 marked as autostarted\n\n');
      assert.equal(await ok(['net-list', '--all', '--autostart', '--name']), 'lan1\n\n');
      assert.match(await ok(['net-info', 'lan1']), /\nAutostart: {6}yes\n/);
      assert.equal(await ok(['net-autostart', '--disable', 'lan1']), 'Network lan1 unmarked as autostarted\n\n');
      assert.equal(await ok(['net-list', '--all', '--autostart', '--name']), '\n');
      await ok(['net-autostart', 'lan1']);
    });

    await step('net-undefine forgets it', async () => {
      assert.equal(await ok(['net-undefine', 'lan1']), 'Network lan1 has been undefined\n\n');
      assert.equal(await ok(['net-list', '--all', '--name']), '\n');
      const r = await d.vireo(['net-info', 'lan1']);
      assert.deepEqual([r.code, r.stderr], [1, "error: failed to get network 'lan1'\nerror: Network not found: no network with matching name 'lan1'\n"]);
    });
  });

  test('on a terminal, a refused net-edit asks again, without the validation choice', async () => {
    await ok(['net-define', file]);
    const bad = path.join(dir, 'bad.sh');
    writeFileSync(bad, 'sed -i "s|</network>|<foo/></network>|" "$1"\n');
    const t = new Pty(`EDITOR="sh ${bad}" vireo net-edit lan1; echo "rc=$?"`, { VIREO_DEFAULT_URI: d.uri, TMPDIR: dir, HOME: dir }, dir);
    await t.expect(/error: unsupported element <foo>.*\n\nFailed\. Try again\? \[y,n,f,\?\]: $/);
    t.type('?');
    await t.expect(/\ny - yes, start editor again\nn - no, throw away my changes\nf - force, try to redefine again\n\? - print this help\nFailed\. Try again\? \[y,n,f,\?\]: $/);
    t.type('n');
    await t.expect(/\n\nrc=1/);
    assert.equal(await t.exit(), 0);
    assert.equal(await ok(['net-dumpxml', '--inactive', 'lan1']), `${NET_XML}\n`, 'nothing changed');
  });

  test('the shell completes network names', async () => {
    // HOME: the shell keeps its history there.
    const t = new Pty('vireo', { VIREO_DEFAULT_URI: d.uri, HOME: dir }, dir);
    await t.expect('vireo # ');
    await t.press('net-info la', KEY.tab);
    await t.expect('net-info lan1 ');
    t.line('');
    await t.expect(/Name: {11}lan1\n/);
    await t.expect('vireo # ');
    t.line('quit');
    assert.equal(await t.exit(), 0);
  });
});
