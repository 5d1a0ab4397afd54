// Formatters of list, dominfo, domstate and version, driven by DomainSummary values.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DomainSummary, HostInfo } from '../../src/api/types.js';
import { filterDomains, fixed1, formatDomInfo, formatDomState, formatList, formatVersion, sortDomains } from '../../src/cli/format.js';

function dom(p: Partial<DomainSummary> & { name: string }): DomainSummary {
  return {
    id: null, uuid: '00000000-0000-0000-0000-000000000000', state: 'shut off', reason: 'unknown',
    persistent: true, autostart: false, managedSave: false, hasSnapshot: false, title: '', osType: 'hvm',
    vcpus: 1, maxMemoryKiB: 131072, usedMemoryKiB: 131072, cpuTimeNs: 0, ...p,
  };
}

const test1 = dom({ name: 'test', id: 1, state: 'running', reason: 'booted', uuid: '6695eb01-f6a4-8304-79aa-97f2502e193f' });
const vm1 = dom({ name: 'vm1', title: 'My first VM' });

test('list shows running domains only, as a table', () => {
  assert.equal(formatList([vm1, test1], {}), ' Id   Name   State\n----------------------\n 1    test   running\n');
  assert.equal(formatList([vm1], {}), ' Id   Name   State\n--------------------\n');
});

test('list --all, --inactive and --title match the reference', () => {
  assert.equal(formatList([vm1, test1], { all: true }), ' Id   Name   State\n-----------------------\n 1    test   running\n -    vm1    shut off\n');
  assert.equal(formatList([vm1, test1], { inactive: true }), ' Id   Name   State\n-----------------------\n -    vm1    shut off\n');
  assert.equal(formatList([vm1, test1], { all: true, title: true }),
    ' Id   Name   State      Title\n-------------------------------------\n 1    test   running    \n -    vm1    shut off   My first VM\n');
  assert.equal(formatList([vm1, test1], { all: true, quiet: true }), ' 1   test   running\n -   vm1    shut off\n');
});

test('list --managed-save shows saved images as "saved"', () => {
  const saved = dom({ name: 'test', managedSave: true });
  assert.equal(formatList([vm1, saved], { all: true, managedSave: true }),
    ' Id   Name   State\n-----------------------\n -    test   saved\n -    vm1    shut off\n');
  assert.match(formatList([saved], { all: true }), / -    test   shut off\n/);
});

test('list --name, --uuid, --id and their combinations', () => {
  assert.equal(formatList([vm1, test1], { name: true }), 'test\n');
  assert.equal(formatList([vm1, test1], { uuid: true }), '6695eb01-f6a4-8304-79aa-97f2502e193f\n');
  assert.equal(formatList([vm1, test1], { all: true, id: true }), '1\n', '--id alone lists active ids only');
  assert.equal(formatList([vm1, test1], { all: true, id: true, name: true }), '1 test\n- vm1\n');
  assert.equal(formatList([test1], { persistent: true, uuid: true, name: true }), '6695eb01-f6a4-8304-79aa-97f2502e193f test\n');
  assert.equal(formatList([], { all: true, name: true }), '');
});

test('active domains sort by id, inactive ones by name ignoring case', () => {
  const ds = [dom({ name: 'zeta' }), dom({ name: 'b', id: 7, state: 'running' }), dom({ name: 'Avm' }), dom({ name: 'a', id: 3, state: 'paused' }), dom({ name: 'beta' })];
  assert.deepEqual(sortDomains(ds).map((d) => d.name), ['a', 'b', 'Avm', 'beta', 'zeta']);
});

test('filters: pairs are OR within, AND across; --state-shutoff implies inactive', () => {
  const t = dom({ name: 't', id: 2, state: 'running', persistent: false });
  const p = dom({ name: 'p', id: 3, state: 'paused', autostart: true });
  const names = (o: Parameters<typeof filterDomains>[1]): string[] => filterDomains([test1, vm1, t, p], o).map((d) => d.name).sort();
  assert.deepEqual(names({ transient: true }), ['t']);
  assert.deepEqual(names({ persistent: true, transient: true }), ['p', 't', 'test']);
  assert.deepEqual(names({ all: true, persistent: true }), ['p', 'test', 'vm1']);
  assert.deepEqual(names({ statePaused: true }), ['p']);
  assert.deepEqual(names({ stateShutoff: true }), ['vm1']);
  assert.deepEqual(names({ all: true, autostart: true }), ['p']);
  assert.deepEqual(names({ all: true, noAutostart: true, stateRunning: true }), ['t', 'test']);
  assert.deepEqual(names({ all: true, withCheckpoint: true }), []);
  assert.deepEqual(names({ all: true, withoutSnapshot: true }).length, 4);
});

test('dominfo of a running qemu guest matches the reference', () => {
  const d = dom({
    name: 'qvm', id: 1, uuid: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee', state: 'running', vcpus: 2,
    maxMemoryKiB: 262144, usedMemoryKiB: 262144, cpuTimeNs: 512_000_000,
  });
  assert.equal(formatDomInfo(d), `Id:             1
Name:           qvm
UUID:           aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee
OS Type:        hvm
State:          running
CPU(s):         2
CPU time:       0.5s
Max memory:     262144 KiB
Used memory:    262144 KiB
Persistent:     yes
Autostart:      disable
Managed save:   no
Security model: none
Security DOI:   0
`);
});

test('dominfo of an inactive domain: Id "-" and no CPU time line', () => {
  const out = formatDomInfo(dom({ name: 'vm1', persistent: false, autostart: true, managedSave: true }));
  assert.match(out, /^Id:             -\n/);
  assert.doesNotMatch(out, /CPU time/);
  assert.match(out, /\nPersistent:     no\nAutostart:      enable\nManaged save:   yes\n/);
});

test('CPU time rounds like printf %.1f', () => {
  assert.equal(fixed1(0.25), '0.2');
  assert.equal(fixed1(0.75), '0.8');
  assert.equal(fixed1(1.25), '1.2');
  assert.equal(fixed1(0.04999), '0.0');
  assert.equal(fixed1(6.46), '6.5');
  assert.equal(fixed1(1795627632.43), '1795627632.4');
});

test('domstate with and without the reason', () => {
  assert.equal(formatDomState(test1, false), 'running\n');
  assert.equal(formatDomState(test1, true), 'running (booted)\n');
});

test('version lines', () => {
  const host: HostInfo = {
    version: '0.1.0', versionNumber: 1000, hypervisor: { name: 'QEMU', version: '7.2.22', versionNumber: 7002022 },
    hostname: 'h', uri: 'vireo:///system', kvm: { usable: false, reason: null },
  };
  assert.equal(formatVersion(host, '0.1.0', false),
    'Compiled against library: vireo 0.1.0\nUsing library: vireo 0.1.0\nUsing API: QEMU 0.1.0\nRunning hypervisor: QEMU 7.2.22\n');
  assert.match(formatVersion(host, '0.1.0', true), /\nRunning against daemon: 0\.1\.0\n$/);
  assert.match(formatVersion({ ...host, hypervisor: null }, '0.1.0', false), /\nCannot extract running QEMU hypervisor version\n$/);
});
