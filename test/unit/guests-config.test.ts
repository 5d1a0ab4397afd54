// vireo-guests' settings file (libvirt-guests' keys) and its list of guests to bring back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_GUESTS_CONFIG, formatGuestList, parseGuestList, parseGuestsConfig } from '../../src/cli/guests-config.js';

test('an empty or commented file gives libvirt-guests defaults', () => {
  assert.deepEqual(parseGuestsConfig('# nothing\n\n#ON_BOOT=ignore\n', 'f'), DEFAULT_GUESTS_CONFIG);
  assert.deepEqual(DEFAULT_GUESTS_CONFIG, {
    uris: ['default'], onBoot: 'start', startDelay: 0, onShutdown: 'suspend', parallelShutdown: 0, shutdownTimeout: 300,
    bypassCache: false, persistentOnly: 'default',
  });
});

test('every setting, quoted or bare, with export and trailing comments', () => {
  const c = parseGuestsConfig([
    'URIS="vireo:///system vireo+unix:///system?socket=/run/x.sock"',
    "export ON_BOOT='ignore'",
    'START_DELAY=5 # seconds',
    'ON_SHUTDOWN=shutdown',
    'PARALLEL_SHUTDOWN=4',
    'SHUTDOWN_TIMEOUT=0',
    'BYPASS_CACHE=1',
    'PERSISTENT_ONLY=true',
    'SYNC_TIME=0',
  ].join('\n'), 'f');
  assert.deepEqual(c, {
    uris: ['vireo:///system', 'vireo+unix:///system?socket=/run/x.sock'], onBoot: 'ignore', startDelay: 5, onShutdown: 'shutdown',
    parallelShutdown: 4, shutdownTimeout: 0, bypassCache: true, persistentOnly: 'true',
  });
});

test('a bad line names the file, the line and what is wrong', () => {
  const bad = (text: string, msg: string): void => assert.throws(() => parseGuestsConfig(text, '/etc/default/vireo-guests'), { message: `/etc/default/vireo-guests:${msg}` });
  bad('\nON_BOOT=maybe', "2: ON_BOOT must be start, ignore (not 'maybe')");
  bad('SHUTDOWN_TIMEOUT=-1', "1: SHUTDOWN_TIMEOUT must be a whole number of seconds (not '-1')");
  bad('PARALLEL_SHUTDOWN=two', "1: PARALLEL_SHUTDOWN must be a whole number of guests (not 'two')");
  bad('ON_SHUTDOWM=suspend', '1: unknown setting ON_SHUTDOWM');
  bad('just words', "1: expected KEY=VALUE, got 'just words'");
  bad('URIS="vireo:///system', '1: unterminated quote in "vireo:///system');
  bad('URIS=$(hostname)', "1: shell syntax is not supported in values ('$(hostname)')");
  bad('URIS=""', '1: URIS names no connection');
  bad('SYNC_TIME=1', '1: SYNC_TIME=1 needs the guest agent, which vireo does not support yet');
});

test('the list of guests to bring back: a line per connection', () => {
  const m = new Map([['vireo:///system', ['u1', 'u2']], ['vireo:///session', []], ['qemu:///system', ['u3']]]);
  const text = formatGuestList(m);
  assert.equal(text, 'vireo:///system u1 u2\nqemu:///system u3\n');
  assert.deepEqual([...parseGuestList(text)], [['vireo:///system', ['u1', 'u2']], ['qemu:///system', ['u3']]]);
  assert.deepEqual([...parseGuestList('a u1\n\na u2\n')], [['a', ['u1', 'u2']]]);
});
