// `qemu-system-x86_64 -machine help` parsing: names, and what the aliases stand for.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseMachineHelp } from '../../src/host/qemu-binary.js';

const HELP = `Supported machines are:
microvm              microvm (i386)
pc                   Standard PC (i440FX + PIIX, 1996) (alias of pc-i440fx-7.2)
pc-i440fx-7.2        Standard PC (i440FX + PIIX, 1996) (default)
pc-i440fx-2.0        Standard PC (i440FX + PIIX, 1996) (deprecated)
q35                  Standard PC (Q35 + ICH9, 2009) (alias of pc-q35-7.2)
pc-q35-7.2           Standard PC (Q35 + ICH9, 2009)
none                 empty machine
`;

test('aliases map to the versioned machine they stand for', () => {
  const m = parseMachineHelp(HELP);
  assert.equal(m.aliases.get('q35'), 'pc-q35-7.2');
  assert.equal(m.aliases.get('pc'), 'pc-i440fx-7.2');
  assert.equal(m.aliases.size, 2);
});

test('every machine name is known, the header is not', () => {
  const m = parseMachineHelp(HELP);
  for (const n of ['microvm', 'pc', 'pc-i440fx-7.2', 'pc-i440fx-2.0', 'q35', 'pc-q35-7.2', 'none']) assert.ok(m.names.has(n), n);
  assert.ok(!m.names.has('Supported'));
});
