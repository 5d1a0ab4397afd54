// The command-string tokenizer: virsh's quoting, escapes, separators and comments.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ParseError, argvTokens, splitCommands, stringTokens } from '../../src/cli/tokenize.js';

test('blanks separate words; ; and newlines separate commands', () => {
  assert.deepEqual(splitCommands('start a; list --all'), [['start', 'a'], ['list', '--all']]);
  assert.deepEqual(splitCommands('start a\nlist\t--all'), [['start', 'a'], ['list', '--all']]);
  assert.deepEqual(splitCommands('list;;  ;\n'), [['list']]);
  assert.deepEqual(splitCommands('echo a;echo b'), [['echo', 'a'], ['echo', 'b']]);
});

test('single quotes keep everything, double quotes keep blanks and honour backslash', () => {
  assert.deepEqual(splitCommands(`echo 'a b;c' "d e" 'x\\y'`), [['echo', 'a b;c', 'd e', 'x\\y']]);
  assert.deepEqual(splitCommands(`echo "say \\"hi\\"" it"'"s`), [['echo', 'say "hi"', "it's"]]);
  assert.deepEqual(splitCommands(`echo a'b'"c"d`), [['echo', 'abcd']]);
  assert.deepEqual(splitCommands(`echo '' ""`), [['echo', '', '']]);
});

test('backslash escapes one character; backslash-newline joins lines', () => {
  assert.deepEqual(splitCommands('echo a\\ b c\\;d'), [['echo', 'a b', 'c;d']]);
  assert.deepEqual(splitCommands('echo a \\\n b'), [['echo', 'a', 'b']]);
  assert.deepEqual(splitCommands('echo ab\\\ncd'), [['echo', 'abcd']]);
});

test('# at the start of a word comments out the rest of the line only', () => {
  assert.deepEqual(splitCommands('echo a#b #c d\nlist'), [['echo', 'a#b'], ['list']]);
  assert.deepEqual(splitCommands('# nothing here'), []);
});

test('unbalanced quotes and a dangling backslash are errors with virsh texts', () => {
  assert.throws(() => splitCommands('echo "abc'), new ParseError('missing "'));
  assert.throws(() => splitCommands("echo 'abc"), new ParseError("missing '"));
  assert.throws(() => splitCommands('echo abc\\'), new ParseError('dangling \\'));
});

test('a quoting error is found only when its word is reached', () => {
  const src = stringTokens('list; echo "x');
  assert.deepEqual(src.next(), { kind: 'arg', text: 'list' });
  assert.deepEqual(src.next(), { kind: 'end-cmd' });
  assert.deepEqual(src.next(), { kind: 'arg', text: 'echo' });
  assert.throws(() => src.next(), ParseError);
});

test('argv words are taken as they are, with no splitting', () => {
  const src = argvTokens(['echo', 'a;b', "'c'"]);
  assert.deepEqual([src.next(), src.next(), src.next(), src.next()], [
    { kind: 'arg', text: 'echo' }, { kind: 'arg', text: 'a;b' }, { kind: 'arg', text: "'c'" }, { kind: 'end' },
  ]);
});
