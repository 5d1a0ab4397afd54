// The network commands' pure parts (net-list, net-info and net-dhcp-leases layouts, UUID parsing,
// net-update's message, completion) and the client's network calls against the declared routes.
// Expected tables are what virsh 9.0 printed for the same data (test/cli-golden/README.md).
process.env.TZ = 'UTC';

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findRoute } from '../../src/api/routes.js';
import type { NetworkLease, NetworkSummary, NetworkUpdateRequest } from '../../src/api/types.js';
import { TABLE } from '../../src/cli/commands/index.js';
import { updatedMessage } from '../../src/cli/commands/netupdate.js';
import { complete, type CompletionSource } from '../../src/cli/complete.js';
import { formatLeases, formatNetInfo, formatNetList, leaseTime, parseUuid, selectNetworks } from '../../src/cli/netformat.js';
import { VireoClient } from '../../src/client/core/client.js';
import type { Transport } from '../../src/client/core/transport.js';

const net = (name: string, p: Partial<NetworkSummary> = {}): NetworkSummary => ({
  name, uuid: `6f1c5a2e-8d3b-4c7a-9e21-5b0d4a3c2f${String(name.length).padStart(2, '0')}`, active: false, persistent: true,
  autostart: false, bridge: `br-${name}`, ...p,
});

const NETS = [
  net('default', { active: true, autostart: true, uuid: '0b3e8f2c-1d4a-4f6e-9a7b-2c5d8e1f3a40' }),
  net('iso1', { uuid: '6f1c5a2e-8d3b-4c7a-9e21-5b0d4a3c2f02' }),
  net('Lab', { active: true, persistent: false, uuid: 'aa000000-0000-4000-8000-000000000001' }),
  net('nat1', { autostart: true, uuid: '6f1c5a2e-8d3b-4c7a-9e21-5b0d4a3c2f01' }),
];

test('net-list: active networks only, or with --all every one, by name case-insensitively', () => {
  assert.equal(formatNetList(NETS, {}), [
    ' Name      State    Autostart   Persistent',
    '--------------------------------------------',
    ' default   active   yes         yes',
    ' Lab       active   no          no',
    '',
  ].join('\n'));
  assert.equal(formatNetList(NETS, { all: true }), [
    ' Name      State      Autostart   Persistent',
    '----------------------------------------------',
    ' default   active     yes         yes',
    ' iso1      inactive   no          yes',
    ' Lab       active     no          no',
    ' nat1      inactive   yes         yes',
    '',
  ].join('\n'));
  // virsh's empty table: the header sized by its own words.
  assert.equal(formatNetList([], {}), ' Name   State   Autostart   Persistent\n----------------------------------------\n');
  assert.equal(formatNetList(NETS, { all: true, quiet: true }), [
    ' default   active     yes   yes', ' iso1      inactive   no    yes', ' Lab       active     no    no', ' nat1      inactive   yes   yes', '',
  ].join('\n'));
});

test('net-list filters: --inactive, --persistent/--transient, --autostart/--no-autostart; --name and --uuid', () => {
  const names = (o: Parameters<typeof selectNetworks>[1]): string[] => selectNetworks(NETS, o).map((n) => n.name);
  assert.deepEqual(names({ inactive: true }), ['iso1', 'nat1']);
  assert.deepEqual(names({ all: true, transient: true }), ['Lab']);
  assert.deepEqual(names({ all: true, persistent: true, transient: true }), ['default', 'iso1', 'Lab', 'nat1'], 'both sides of a pair: either');
  assert.deepEqual(names({ all: true, autostart: true }), ['default', 'nat1']);
  assert.deepEqual(names({ inactive: true, noAutostart: true }), ['iso1']);
  assert.deepEqual(names({ persistent: true }), ['default'], 'without --all only active ones');
  assert.equal(formatNetList(NETS, { all: true, name: true }), 'default\niso1\nLab\nnat1\n');
  assert.equal(formatNetList(NETS, { inactive: true, uuid: true }), '6f1c5a2e-8d3b-4c7a-9e21-5b0d4a3c2f02\n6f1c5a2e-8d3b-4c7a-9e21-5b0d4a3c2f01\n');
  assert.equal(formatNetList([], { name: true }), '');
});

test('net-info: six lines, no Bridge line for a network without one', () => {
  assert.equal(formatNetInfo(NETS[0]!), [
    'Name:           default',
    'UUID:           0b3e8f2c-1d4a-4f6e-9a7b-2c5d8e1f3a40',
    'Active:         yes',
    'Persistent:     yes',
    'Autostart:      yes',
    'Bridge:         br-default',
    '',
  ].join('\n'));
  assert.equal(formatNetInfo(net('mv', { bridge: null, uuid: '396c91fa-2e05-45f2-8075-3152d3b20dab' })), [
    'Name:           mv', 'UUID:           396c91fa-2e05-45f2-8075-3152d3b20dab', 'Active:         no', 'Persistent:     yes', 'Autostart:      no', '',
  ].join('\n'));
});

const LEASES: NetworkLease[] = [
  { expiryTime: 1796170000, mac: '52:54:00:6f:1c:11', type: 'ipv4', ip: '192.168.150.57', prefix: 24, hostname: 'guest1', clientId: '01:52:54:00:6f:1c:11' },
  { expiryTime: 1796171234, mac: '52:54:00:0a:00:01', type: 'ipv4', ip: '192.168.150.9', prefix: 24, hostname: null, clientId: null },
];

test('net-dhcp-leases: virsh\'s table, by MAC, local expiry time, "-" for what is missing', () => {
  // Byte for byte what virsh 9.0 printed for these two leases (TZ=UTC).
  assert.equal(formatLeases(LEASES), [
    ' Expiry Time           MAC address         Protocol   IP address          Hostname   Client ID or DUID',
    '-----------------------------------------------------------------------------------------------------------',
    ' 2026-12-02 00:27:14   52:54:00:0a:00:01   ipv4       192.168.150.9/24    -          -',
    ' 2026-12-02 00:06:40   52:54:00:6f:1c:11   ipv4       192.168.150.57/24   guest1     01:52:54:00:6f:1c:11',
    '',
  ].join('\n'));
  assert.equal(formatLeases([]), [
    ' Expiry Time   MAC address   Protocol   IP address   Hostname   Client ID or DUID',
    '-----------------------------------------------------------------------------------',
    '',
  ].join('\n'));
  const v6: NetworkLease = { expiryTime: 0, mac: '52:54:00:0a:00:02', type: 'ipv6', ip: 'fd00::2f', prefix: 64, hostname: 'h6', clientId: '00:04:aa' };
  assert.equal(formatLeases([v6], true), ' 1970-01-01 00:00:00   52:54:00:0a:00:02   ipv6   fd00::2f/64   h6   00:04:aa\n');
});

test('lease expiry is printed in local time', () => {
  process.env.TZ = 'Asia/Tokyo';
  try {
    assert.equal(leaseTime(1796170000), '2026-12-02 09:06:40');
  } finally {
    process.env.TZ = 'UTC';
  }
  assert.equal(leaseTime(1796170000), '2026-12-02 00:06:40');
});

test('UUIDs as libvirt reads them', () => {
  const u = '6f1c5a2e-8d3b-4c7a-9e21-5b0d4a3c2f01';
  assert.equal(parseUuid(u), u);
  assert.equal(parseUuid('6F1C5A2E8D3B4C7A9E215B0D4A3C2F01'), u);
  assert.equal(parseUuid(' 6f1c5a2e 8d3b-4c7a-9e21-5b0d4a3c2f01 '), u);
  for (const bad of ['nat1', '', u.slice(0, -1), `${u}0`, `${u}-`, '6f1c5a2e-8d3b-4c7a-9e21-5b0d4a3c2f0g', '6-f1c5a2e8d3b4c7a9e215b0d4a3c2f01']) {
    assert.equal(parseUuid(bad), null, bad);
  }
});

test('net-update says which definition it changed, as virsh does', () => {
  assert.equal(updatedMessage('n', false, true, true), 'Updated network n persistent config');
  assert.equal(updatedMessage('n', true, true, true), 'Updated network n persistent config and live state');
  assert.equal(updatedMessage('n', true, false, true), 'Updated network n live state');
  assert.equal(updatedMessage('n', false, false, true), 'Updated network n live state', 'the default for an active network');
  assert.equal(updatedMessage('n', false, false, false), 'Updated network n persistent config', 'the default for an inactive one');
});

test('Tab completes the networks a command can act on', async () => {
  const src: CompletionSource = { domains: async () => [], networks: async () => NETS, files: async (p) => [`${p}x.xml`] };
  const c = (line: string, s: CompletionSource | undefined = src): Promise<[string[], string]> => complete(TABLE, line, s);
  assert.deepEqual(await c('net-info '), [['Lab', 'default', 'iso1', 'nat1'], '']);
  assert.deepEqual(await c('net-start '), [['iso1', 'nat1'], ''], 'net-start offers the inactive ones');
  assert.deepEqual(await c('net-destroy '), [['Lab', 'default'], ''], 'net-destroy the active ones');
  assert.deepEqual(await c('net-undefine '), [['default', 'iso1', 'nat1'], ''], 'net-undefine the persistent ones');
  assert.deepEqual(await c('net-autostart --disable n'), [['nat1 '], 'n']);
  assert.deepEqual(await c('net-event --network i'), [['iso1 '], 'i']);
  assert.deepEqual(await c('net-update nat1 add ip-dhcp-host h'), [['hx.xml '], 'h'], 'the XML argument may be a file');
  assert.deepEqual(await c('net-define n'), [['nx.xml '], 'n']);
  assert.deepEqual(await c('net-li'), [['net-list '], 'net-li']);
  assert.deepEqual(await c('net-info ', { domains: async () => [], files: async () => [] }), [[], ''], 'a source without networks offers none');
  assert.deepEqual(await c('net-info ', { domains: async () => [], networks: () => Promise.reject(new Error('down')), files: async () => [] }), [[], '']);
});

test('the client\'s network calls are the declared routes', async () => {
  const seen: string[] = [];
  const t: Transport<never> = {
    request: async <T>(method: string, url: string, body?: unknown): Promise<T> => {
      const u = new URL(url, 'http://x');
      const route = findRoute(method, u.pathname);
      seen.push(`${route?.id ?? `UNDECLARED ${method} ${u.pathname}`}${u.search}${body === undefined ? '' : ` ${JSON.stringify(body)}`}`);
      return (route?.id === 'network.xml' ? { xml: '<network/>' } : []) as T;
    },
    events: async () => () => {},
    console: () => Promise.reject(new Error('no console here')),
    close: () => {},
  };
  const c = new VireoClient('vireo:///system', t);
  const upd: NetworkUpdateRequest = { command: 'add', section: 'ip-dhcp-host', xml: '<host/>', config: true };
  await c.listNetworks();
  await c.getNetwork('a b');
  await c.defineNetwork('<network/>');
  await c.createNetwork('<network/>');
  await c.undefineNetwork('n');
  assert.equal(await c.networkXml('n', { inactive: true }), '<network/>');
  await c.networkXml('n');
  await c.startNetwork('n');
  await c.destroyNetwork('n');
  await c.setNetworkAutostart('n', false);
  await c.updateNetwork('n', upd);
  await c.networkLeases('n', { mac: '52:54:00:00:00:01' });
  await c.networkLeases('n');
  assert.deepEqual(seen, [
    'network.list', 'network.get', 'network.define {"xml":"<network/>"}', 'network.create {"xml":"<network/>"}', 'network.undefine',
    'network.xml?inactive=1', 'network.xml', 'network.start {}', 'network.destroy {}', 'network.autostart {"enabled":false}',
    `network.update ${JSON.stringify(upd)}`, 'network.leases?mac=52%3A54%3A00%3A00%3A00%3A01', 'network.leases',
  ]);
});

test('networkEvents passes on network events only; events() domain events only', async () => {
  let feed: (json: string) => void = () => {};
  const t = {
    request: () => Promise.reject(new Error('no requests here')),
    events: async (_p: string, on: (json: string) => void) => {
      feed = on;
      return () => {};
    },
    console: () => Promise.reject(new Error('no console here')),
    close: () => {},
  } as Transport<never>;
  const c = new VireoClient('vireo:///system', t);
  const nets: string[] = [];
  const doms: string[] = [];
  await c.networkEvents((e) => nets.push(`${e.network.name} ${e.event}`));
  const netFeed = feed;
  await c.events((e) => doms.push(`${e.domain.name} ${e.event ?? ''}`));
  const lines = [
    { type: 'network-lifecycle', network: { name: 'nat1', uuid: 'u' }, event: 'Started', timestamp: 1 },
    { type: 'lifecycle', domain: { name: 'vm1', uuid: 'v', id: 1 }, event: 'Started', detail: 'Booted', timestamp: 2 },
  ].map((e) => JSON.stringify(e));
  for (const l of lines) netFeed(l);
  for (const l of lines) feed(l);
  assert.deepEqual([nets, doms], [['nat1 Started'], ['vm1 Started']]);
});
