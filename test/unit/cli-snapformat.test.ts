// snapshot-list / --tree / snapshot-info output against what virsh 9.0 printed (libvirt-ref) for
// the tree s1 <- s2 <- c5, s1 <- b3 <- a4.
import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import type { SnapshotSummary } from '../../src/api/snapshot-types.js';
import { snapshotInfo, snapshotTable, snapshotTree } from '../../src/cli/snapformat.js';

process.env.TZ = 'UTC'; // virsh printed local time on a UTC machine
const T1 = Date.UTC(2026, 11, 2, 8, 46, 14) / 1000;
const T2 = Date.UTC(2026, 11, 2, 8, 48, 48) / 1000;
const s = (name: string, parent: string | undefined, t: number): SnapshotSummary => ({
  name, ...(parent !== undefined ? { parent } : {}), creationTime: t, state: 'shutoff', location: 'internal', current: false, children: 0, descendants: 0,
});
const BY_NAME = [s('a4', 'b3', T2), s('b3', 's1', T2), s('c5', 's2', T2), s('s1', undefined, T1), s('s2', 's1', T1)];

describe('snapshot output', () => {
  test('table, with and without --parent', () => {
    assert.equal(snapshotTable(BY_NAME.slice(3)), [
      ' Name   Creation Time               State',
      '---------------------------------------------',
      ' s1     2026-12-02 08:46:14 +0000   shutoff',
      ' s2     2026-12-02 08:46:14 +0000   shutoff',
      '',
    ].join('\n'));
    assert.equal(snapshotTable(BY_NAME, { parent: true }), [
      ' Name   Creation Time               State     Parent',
      '------------------------------------------------------',
      ' a4     2026-12-02 08:48:48 +0000   shutoff   b3',
      ' b3     2026-12-02 08:48:48 +0000   shutoff   s1',
      ' c5     2026-12-02 08:48:48 +0000   shutoff   s2',
      ' s1     2026-12-02 08:46:14 +0000   shutoff   ',
      ' s2     2026-12-02 08:46:14 +0000   shutoff   s1',
      '',
    ].join('\n'));
    assert.equal(snapshotTable([]), ' Name   Creation Time   State\n-------------------------------\n');
  });
  test('--tree', () => {
    assert.equal(snapshotTree(BY_NAME), [
      's1', '  |', '  +- b3', '  |   |', '  |   +- a4', '  |     ', '  +- s2', '      |', '      +- c5', '        ', '',
    ].join('\n'));
    // Two roots (after s1 was deleted), one after the other.
    const two = [s('a4', 'b3', T2), s('b3', undefined, T2), s('c5', 's2', T2), s('s2', undefined, T1)];
    assert.equal(snapshotTree(two), ['b3', '  |', '  +- a4', '    ', 's2', '  |', '  +- c5', '    ', ''].join('\n'));
    // --from s1 without --descendants: s1 and its children only.
    assert.equal(snapshotTree([s('s1', undefined, T1), s('b3', 's1', T2), s('s2', 's1', T1)]), ['s1', '  |', '  +- b3', '  +- s2', '    ', ''].join('\n'));
  });
  test('snapshot-info', () => {
    assert.equal(snapshotInfo('sg1', { ...s('s1', undefined, T1), children: 2, descendants: 4 }), [
      'Name:           s1', 'Domain:         sg1', 'Current:        no', 'State:          shutoff', 'Location:       internal',
      'Parent:         -', 'Children:       2', 'Descendants:    4', 'Metadata:       yes', '',
    ].join('\n'));
  });
});
