// The auto-sized table layout, against the exact outputs in reference/virsh-output.md.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { displayWidth, escapeCell, renderTable } from '../../src/cli/table.js';

test('list: header, divider of sum(width+3) dashes, padded cells', () => {
  assert.equal(renderTable(['Id', 'Name', 'State'], [['1', 'test', 'running']]),
    ' Id   Name   State\n----------------------\n 1    test   running\n');
  assert.equal(renderTable(['Id', 'Name', 'State'], [['1', 'test', 'running'], ['-', 'vm1', 'shut off']]),
    ' Id   Name   State\n-----------------------\n 1    test   running\n -    vm1    shut off\n');
});

test('an empty table is the header and a 20-dash divider', () => {
  assert.equal(renderTable(['Id', 'Name', 'State'], []), ' Id   Name   State\n--------------------\n');
});

test('an empty last cell leaves the padding of the column before it', () => {
  assert.equal(renderTable(['Id', 'Name', 'State', 'Title'], [['1', 'test', 'running', ''], ['-', 'vm1', 'shut off', 'My first VM']]),
    ' Id   Name   State      Title\n-------------------------------------\n 1    test   running    \n -    vm1    shut off   My first VM\n');
});

test('quiet mode drops the header and sizes columns from the rows alone', () => {
  assert.equal(renderTable(['Id', 'Name', 'State'], [['1', 'test', 'running']], false), ' 1   test   running\n');
});

test('control characters are shown as \\xNN and wide characters count double', () => {
  assert.equal(escapeCell('a\tb\x7f'), 'a\\x09b\\x7f');
  assert.equal(escapeCell('c:\\x'), 'c:\\x5cx');
  assert.equal(escapeCell('c:\\y'), 'c:\\y');
  assert.equal(displayWidth('日本'), 4);
  assert.equal(displayWidth('e\u0301'), 1);
  assert.equal(renderTable(['Name', 'X'], [['日本', 'y']]), ' Name   X\n-----------\n 日本   y\n');
});
