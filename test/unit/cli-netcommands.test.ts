// The network commands against an in-memory daemon, for what the golden transcripts cannot show
// until vireod starts networks (issue 8): an active network's messages, net-update's live default,
// the leases table and net-event's Started/Stopped lines. End to end: test/cli-golden/network.in.
process.env.TZ = 'UTC';

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VireoError } from '../../src/api/errors.js';
import type { NetworkEvent, NetworkLease, NetworkSummary, NetworkUpdateRequest } from '../../src/api/types.js';
import { TABLE } from '../../src/cli/commands/index.js';
import type { CliClient } from '../../src/cli/commands/types.js';
import { parseCommands } from '../../src/cli/parse.js';
import { Session } from '../../src/cli/session.js';
import { stringTokens } from '../../src/cli/tokenize.js';

/** Networks only: the domain calls are never made by these commands. */
class FakeNetworks {
  readonly uri = 'vireo:///system';
  calls: string[] = [];
  nets: NetworkSummary[] = [
    { name: 'nat1', uuid: '6f1c5a2e-8d3b-4c7a-9e21-5b0d4a3c2f01', active: true, persistent: true, autostart: false, bridge: 'virbr1' },
    { name: 'iso1', uuid: '6f1c5a2e-8d3b-4c7a-9e21-5b0d4a3c2f02', active: false, persistent: true, autostart: false, bridge: 'virbr2' },
  ];
  leases: NetworkLease[] = [
    { expiryTime: 1796170000, mac: '52:54:00:6f:1c:11', type: 'ipv4', ip: '192.168.150.57', prefix: 24, hostname: 'guest1', clientId: null },
  ];
  listeners: ((e: NetworkEvent) => void)[] = [];
  close(): void {}
  private find(ref: string): NetworkSummary {
    const n = this.nets.find((x) => x.uuid === ref || x.name === ref);
    if (n === undefined) throw VireoError.of('NO_NETWORK', `no network with matching name '${ref}'`);
    return n;
  }
  private act(what: string, ref: string, check: (n: NetworkSummary) => string | null, change: Partial<NetworkSummary>): Promise<NetworkSummary> {
    this.calls.push(`${what} ${ref}`);
    const n = this.find(ref);
    const bad = check(n);
    if (bad !== null) return Promise.reject(VireoError.of('OPERATION_INVALID', bad));
    Object.assign(n, change);
    return Promise.resolve({ ...n });
  }
  async listNetworks(): Promise<NetworkSummary[]> {
    return this.nets.map((n) => ({ ...n }));
  }
  async getNetwork(ref: string): Promise<NetworkSummary> {
    return { ...this.find(ref) };
  }
  async createNetwork(xml: string): Promise<NetworkSummary> {
    const name = /<name>(.*)<\/name>/.exec(xml)?.[1] ?? '?';
    const n: NetworkSummary = { name, uuid: 'aa000000-0000-4000-8000-000000000001', active: true, persistent: false, autostart: false, bridge: 'virbr9' };
    this.nets.push(n);
    return n;
  }
  startNetwork(ref: string): Promise<NetworkSummary> {
    return this.act('start', ref, (n) => (n.active ? 'network is already active' : null), { active: true });
  }
  destroyNetwork(ref: string): Promise<NetworkSummary> {
    return this.act('destroy', ref, (n) => (n.active ? null : `network '${n.name}' is not active`), { active: false });
  }
  undefineNetwork(ref: string): Promise<NetworkSummary> {
    return this.act('undefine', ref, (n) => (n.persistent ? null : "can't undefine transient network"), { persistent: false, autostart: false });
  }
  async updateNetwork(ref: string, r: NetworkUpdateRequest): Promise<void> {
    this.calls.push(`update ${ref} ${JSON.stringify(r)}`);
    this.find(ref);
  }
  async networkLeases(ref: string, o: { mac?: string } = {}): Promise<NetworkLease[]> {
    this.calls.push(`leases ${ref}${o.mac === undefined ? '' : ` ${o.mac}`}`);
    this.find(ref);
    return this.leases.filter((l) => o.mac === undefined || l.mac === o.mac);
  }
  async networkEvents(on: (e: NetworkEvent) => void): Promise<() => void> {
    this.listeners.push(on);
    return () => (this.listeners = this.listeners.filter((l) => l !== on));
  }
  emit(name: string, event: string): void {
    const n = this.find(name);
    for (const l of this.listeners) l({ type: 'network-lifecycle', network: { name: n.name, uuid: n.uuid }, event, timestamp: Date.UTC(2026, 11, 1, 8, 0, 0, 250) });
  }
}

async function run(line: string, fake = new FakeNetworks(), quiet = false): Promise<{ out: string; err: string; ok: boolean; fake: FakeNetworks }> {
  let out = '';
  let err = '';
  const s = new Session({
    table: TABLE, quiet,
    out: { stdout: (t) => void (out += typeof t === 'string' ? t : Buffer.from(t).toString()), stderr: (t) => void (err += t) },
    openClient: () => fake as unknown as CliClient,
    defaultUri: () => fake.uri,
  });
  const ok = await s.runAll(parseCommands(stringTokens(line), TABLE));
  return { out, err, ok, fake };
}

test('start, destroy and undefine name the network as typed; an active network undefined stays as transient', async () => {
  const r = await run('net-start iso1; net-start iso1; net-destroy 6f1c5a2e-8d3b-4c7a-9e21-5b0d4a3c2f01; net-undefine iso1; net-list --all');
  assert.equal(r.err, 'error: Failed to start network iso1\nerror: Requested operation is not valid: network is already active\n');
  assert.equal(r.out, [
    'Network iso1 started', '', '', 'Network 6f1c5a2e-8d3b-4c7a-9e21-5b0d4a3c2f01 destroyed', '', 'Network iso1 has been undefined', '',
    ' Name   State      Autostart   Persistent', '-------------------------------------------',
    ' iso1   active     no          no', ' nat1   inactive   no          yes', '', '',
  ].join('\n'));
  const t = await run('net-undefine iso1; net-destroy iso1', r.fake);
  assert.equal(t.err, "error: Failed to undefine network iso1\nerror: Requested operation is not valid: can't undefine transient network\n");
});

test('net-create names the network from its XML', async () => {
  const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const dir = mkdtempSync(`${tmpdir()}/vireo-netcli-`);
  try {
    writeFileSync(`${dir}/t.xml`, '<network><name>tr1</name></network>');
    const r = await run(`net-create ${dir}/t.xml; net-list --transient`);
    assert.equal(r.out, `Network tr1 created from ${dir}/t.xml\n\n Name   State    Autostart   Persistent\n-----------------------------------------\n tr1    active   no          no\n\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('net-update: the running network by default, the stored one with --config; a negative index is the default', async () => {
  const r = await run(`net-update nat1 add ip-dhcp-host "<host mac='52:54:00:00:00:01' ip='192.168.150.9'/>"; `
    + `net-update nat1 delete dns-host "<host ip='192.168.150.9'/>" --config --parent-index -1; `
    + `net-update nat1 modify ip-dhcp-host "<host mac='52:54:00:00:00:01' ip='192.168.150.8'/>" 0 --live --config`);
  assert.equal(r.out, 'Updated network nat1 live state\nUpdated network nat1 persistent config\nUpdated network nat1 persistent config and live state\n');
  const uuid = '6f1c5a2e-8d3b-4c7a-9e21-5b0d4a3c2f01';
  assert.deepEqual(r.fake.calls, [
    `update ${uuid} {"command":"add","section":"ip-dhcp-host","xml":"<host mac='52:54:00:00:00:01' ip='192.168.150.9'/>","live":false,"config":false}`,
    `update ${uuid} {"command":"delete","section":"dns-host","xml":"<host ip='192.168.150.9'/>","live":false,"config":true}`,
    `update ${uuid} {"command":"modify","section":"ip-dhcp-host","xml":"<host mac='52:54:00:00:00:01' ip='192.168.150.8'/>","live":true,"config":true,"parentIndex":0}`,
  ]);
  const q = await run(`net-update nat1 add ip-dhcp-host "<host/>"`, new FakeNetworks(), true);
  assert.equal(q.out, '', '-q drops the message');
});

test('net-dhcp-leases prints the table, or only one MAC\'s leases', async () => {
  const r = await run('net-dhcp-leases nat1 --mac 52:54:00:6f:1c:11; net-dhcp-leases nat1 --mac 52:54:00:00:00:99');
  assert.equal(r.out, [
    ' Expiry Time           MAC address         Protocol   IP address          Hostname   Client ID or DUID',
    '-'.repeat(104),
    ' 2026-12-02 00:06:40   52:54:00:6f:1c:11   ipv4       192.168.150.57/24   guest1     -',
    '',
    ' Expiry Time   MAC address   Protocol   IP address   Hostname   Client ID or DUID',
    '-----------------------------------------------------------------------------------',
    '', '',
  ].join('\n'));
  assert.deepEqual(r.fake.calls, ['leases nat1 52:54:00:6f:1c:11', 'leases nat1 52:54:00:00:00:99']);
  const j = await run('net-dhcp-leases nat1 --json');
  assert.deepEqual(JSON.parse(j.out), r.fake.leases);
});

test('net-event prints lifecycle events of the network asked for, then the count', async () => {
  const fake = new FakeNetworks();
  const done = run('net-event --network nat1 --event lifecycle --loop --timestamp --timeout 1', fake);
  // The command subscribes once it has looked the network up; wait for that, as a script would.
  while (fake.listeners.length === 0) await new Promise((r) => setImmediate(r));
  fake.emit('nat1', 'Stopped');
  fake.emit('iso1', 'Started');
  fake.emit('nat1', 'Started');
  const r = await done;
  assert.equal(r.out, [
    "2026-12-01 08:00:00.250+0000: event 'lifecycle' for network nat1: Stopped",
    "2026-12-01 08:00:00.250+0000: event 'lifecycle' for network nat1: Started",
    'event loop timed out', 'events received: 2', '', '',
  ].join('\n'));
  assert.equal(r.ok, true);
  const one = new FakeNetworks();
  const first = run('net-event --event lifecycle', one);
  while (one.listeners.length === 0) await new Promise((res) => setImmediate(res));
  one.emit('iso1', 'Defined');
  assert.equal((await first).out, "event 'lifecycle' for network iso1: Defined\nevents received: 1\n\n");
});
