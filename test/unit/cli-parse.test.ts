// The option parser: named and positional forms, --opt=value, booleans, and virsh's error texts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TABLE } from '../../src/cli/commands/index.js';
import { ParseError, parseCommands, type ParsedCommand } from '../../src/cli/parse.js';
import { argvTokens, stringTokens } from '../../src/cli/tokenize.js';

const parse = (s: string): ParsedCommand[] => parseCommands(stringTokens(s), TABLE);
const one = (s: string): ParsedCommand => {
  const cmds = parse(s);
  assert.equal(cmds.length, 1);
  return cmds[0]!;
};
const fails = (s: string, message: string): void => {
  assert.throws(() => parse(s), (e: unknown) => e instanceof ParseError && e.message === message, `${s} -> ${message}`);
};

test('positional and named forms are the same', () => {
  for (const s of ['start vm1', 'start --domain vm1', 'start --domain=vm1', 'start -- vm1']) {
    const c = one(s);
    assert.equal(c.def.name, 'start');
    assert.equal(c.args.str('domain'), 'vm1', s);
  }
});

test('booleans and string options, in any order', () => {
  const c = one('shutdown --mode acpi vm1');
  assert.equal(c.args.str('domain'), 'vm1');
  assert.equal(c.args.str('mode'), 'acpi');
  const d = one('shutdown vm1 acpi');
  assert.equal(d.args.str('mode'), 'acpi', 'a string option also fills the next position');
  const l = one('list --all --name');
  assert.equal(l.args.bool('all'), true);
  assert.equal(l.args.bool('name'), true);
  assert.equal(l.args.bool('uuid'), false);
  assert.equal(one('start vm1 --paused').args.bool('paused'), true);
  assert.equal(one('shutdown vm1 --mode=').args.str('mode'), '', 'an empty value parses; the command rejects it');
});

test('argv options take every remaining word', () => {
  assert.deepEqual(one('echo a b c').args.list('string'), ['a', 'b', 'c']);
  assert.deepEqual(one('echo --shell a -- --b').args.list('string'), ['a', '--b']);
  assert.deepEqual(one('echo - -x').args.list('string'), ['-', '-x']);
});

test('several commands parse in order', () => {
  assert.deepEqual(parse('start a; list; destroy b').map((c) => c.def.name), ['start', 'list', 'destroy']);
  assert.deepEqual(parse('# comment\nlist').map((c) => c.def.name), ['list']);
  assert.deepEqual(parseCommands(argvTokens(['list', '--all']), TABLE).map((c) => c.def.name), ['list']);
});

test('errors carry virsh texts', () => {
  fails('foo', "unknown command: 'foo'");
  fails('list; foo', "unknown command: 'foo'");
  fails('list --bogus', "command 'list' doesn't support option --bogus");
  fails('start', "command 'start' requires <domain> option");
  fails('dominfo vm1 x', "unexpected data 'x'");
  fails('start --domain vm1 vm2', "unexpected data 'vm2'");
  fails('dominfo vm1 --domain vm1', 'option --domain already seen');
  fails('list --all --all', 'option --all already seen');
  fails('list --all=1', "invalid '=' after option --all");
  fails('shutdown vm1 --mode', 'expected syntax: --mode <string>');
  fails('dominfo --domain', 'expected syntax: --domain <string>');
  fails('echo "x', 'missing "');
});

test('--help on any command asks for its help page, even without required options', () => {
  const c = one('start --help');
  assert.equal(c.def.name, 'help');
  assert.equal(c.args.str('command'), 'start');
});

test('help ignores stray options and words, as virsh does', () => {
  const c = one('help --foo bar start');
  assert.equal(c.def.name, 'help');
  assert.equal(c.args.str('command'), 'bar');
});
