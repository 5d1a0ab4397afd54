// Global options before the command, parsed like virsh's getopt_long.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GlobalsError, parseGlobals } from '../../src/cli/globals.js';

const err = (argv: string[], message: string): void => {
  assert.throws(() => parseGlobals(argv), (e: unknown) => e instanceof GlobalsError && e.message === message, argv.join(' '));
};

test('options before the command; the first other word starts the command', () => {
  const g = parseGlobals(['-c', 'vireo:///system', '-q', 'list', '-r', '--all']);
  assert.equal(g.uri, 'vireo:///system');
  assert.equal(g.quiet, true);
  assert.equal(g.readonly, false, '-r after the command belongs to the command');
  assert.deepEqual(g.rest, ['list', '-r', '--all']);
  assert.equal(g.action, 'run');
});

test('long forms, = values, attached short values, bundles and prefixes', () => {
  assert.equal(parseGlobals(['--connect=qemu:///system']).uri, 'qemu:///system');
  assert.equal(parseGlobals(['--connect', 'qemu:///session']).uri, 'qemu:///session');
  assert.equal(parseGlobals(['-cvireo:///session']).uri, 'vireo:///session');
  assert.equal(parseGlobals(['--conn', 'x:///']).uri, 'x:///');
  const g = parseGlobals(['-qrt', '-e', 'x', '-d', '2', '-k', '5', '-K', '0x3', '-l', '/tmp/log', '--', '-x']);
  assert.deepEqual([g.quiet, g.readonly, g.timing, g.escape, g.debug, g.keepaliveInterval, g.keepaliveCount, g.logFile],
    [true, true, true, 'x', 2, 5, 3, '/tmp/log']);
  assert.deepEqual(g.rest, ['-x']);
  assert.equal(parseGlobals(['-qc', 'u', 'list']).uri, 'u');
  assert.equal(parseGlobals([]).escape, '^]');
});

test('version and help', () => {
  assert.equal(parseGlobals(['-v']).action, 'version-short');
  assert.equal(parseGlobals(['--version']).action, 'version-short');
  assert.equal(parseGlobals(['--version=short']).action, 'version-short');
  assert.equal(parseGlobals(['--version=other']).action, 'version-short');
  assert.equal(parseGlobals(['--version=long']).action, 'version-long');
  assert.equal(parseGlobals(['-V']).action, 'version-long');
  assert.equal(parseGlobals(['-h']).action, 'help');
  assert.equal(parseGlobals(['--help', '-x']).action, 'help', 'stops at -h like getopt does');
});

test('errors with virsh texts', () => {
  err(['-x'], "unsupported option '-x'. See --help.");
  err(['--bogus'], "unsupported option '--bogus'. See --help.");
  err(['--quiet=1'], "unsupported option '--quiet=1'. See --help.");
  err(['-c'], "option '-c'/'--connect' requires an argument");
  err(['--log'], "option '-l'/'--log' requires an argument");
  err(['-d', 'x'], 'option -d takes a numeric argument');
  err(['--debug=x'], 'option --debug takes a numeric argument');
  err(['-k', '-1'], 'option -k requires a positive integer argument');
  err(['-K', 'z'], 'Invalid value for option -K');
  err(['-e', '^'], "Invalid string '^' for escape sequence");
  err(['-e', 'ab'], "Invalid string 'ab' for escape sequence");
  err(['--ke', '1'], "unsupported option '--ke'. See --help.");
  assert.equal(parseGlobals(['-e', '^a']).escape, '^a', 'a control letter in either case');
  assert.equal(parseGlobals(['-e', '^]']).escape, '^]');
  err(['-e', '^1'], "Invalid string '^1' for escape sequence");
});

test('an out-of-range debug level is a warning, not an error', () => {
  const g = parseGlobals(['-d', '9', 'list']);
  assert.deepEqual(g.warnings, ['ignoring debug level 9 out of range [0-4]']);
  assert.equal(g.debug, undefined);
});
