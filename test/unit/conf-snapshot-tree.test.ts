// snapshot-list's selections over a tree, as libvirt 9.0 answered them for the same tree
// (libvirt-ref: s1 <- s2 <- c5, s1 <- b3 <- a4, created in the order s1 s2 b3 a4 c5).
import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import { MomentTree, type MomentFilter } from '../../src/conf/snapshot-tree.js';

const tree = new MomentTree([
  { name: 's1' }, { name: 's2', parent: 's1' }, { name: 'b3', parent: 's1' }, { name: 'a4', parent: 'b3' }, { name: 'c5', parent: 's2' },
]);
const names = (f: MomentFilter): string[] => tree.select(f).map((m) => m.name);

describe('snapshot tree', () => {
  test('selections match libvirt', () => {
    assert.deepEqual(names({}), ['a4', 'b3', 'c5', 's1', 's2']);
    assert.deepEqual(names({ roots: true }), ['s1']);
    assert.deepEqual(names({ leaves: true }), ['a4', 'c5']);
    assert.deepEqual(names({ noLeaves: true }), ['b3', 's1', 's2']);
    assert.deepEqual(names({ from: 's1' }), ['b3', 's2']);
    assert.deepEqual(names({ from: 's1', descendants: true }), ['a4', 'b3', 'c5', 's2']);
    assert.deepEqual(names({ topological: true }), ['s1', 'b3', 'a4', 's2', 'c5']);
  });
  test('ancestors and descendants', () => {
    assert.deepEqual(tree.ancestors('a4').map((m) => m.name), ['b3', 's1']);
    assert.equal(tree.descendants('s1').length, 4);
    assert.equal(tree.children('s1').length, 2);
  });
});
