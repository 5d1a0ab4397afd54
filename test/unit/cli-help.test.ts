// The command table drives help: every command is documented, and the pages have virsh's layout.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { GROUPS, TABLE } from '../../src/cli/commands/index.js';
import { allHelp, commandHelp, groupHelp, synopsis, usage } from '../../src/cli/help.js';
import { VERSION } from '../../src/cli/version.js';

test('every command has a group, a one-line help, a description and documented options', () => {
  const keys = new Set(GROUPS.map((g) => g.key));
  for (const c of TABLE.commands) {
    assert.ok(keys.has(c.group), `${c.name}: unknown group ${c.group}`);
    assert.ok(c.help.length > 0 && !c.help.includes('\n'), `${c.name}: help must be one line`);
    assert.ok(c.desc.length > 0, `${c.name}: description missing`);
    const names = new Set<string>();
    for (const o of c.opts) {
      assert.ok(o.help.length > 0, `${c.name} --${o.name}: help missing`);
      assert.ok(!names.has(o.name), `${c.name}: option --${o.name} twice`);
      assert.notEqual(o.name, 'help', `${c.name}: --help is reserved`);
      names.add(o.name);
    }
    // A required positional after an optional one could never be reached by position.
    const positional = c.opts.filter((o) => o.type !== 'bool' && o.namedOnly !== true);
    const firstOptional = positional.findIndex((o) => o.required !== true);
    if (firstOptional >= 0) assert.ok(positional.slice(firstOptional).every((o) => o.required !== true || o.type === 'argv'), `${c.name}: required option after an optional one`);
  }
});

test('the commands the brief names are all in the table', () => {
  for (const n of ['define', 'undefine', 'create', 'start', 'destroy', 'shutdown', 'reboot', 'reset', 'suspend', 'resume', 'list',
    'dominfo', 'domstate', 'domid', 'domuuid', 'domname', 'dumpxml', 'autostart', 'version', 'uri', 'connect', 'help', 'echo',
    'quit', 'exit', 'cd', 'pwd', 'console-log', 'console', 'event']) {
    assert.ok(TABLE.find(n) !== undefined, n);
  }
  assert.equal(TABLE.findGroup('virsh')?.key, 'vireo');
});

test('help CMD page layout', () => {
  const start = TABLE.find('start')!;
  assert.equal(synopsis(start), 'start <domain> [--console] [--paused] [--force-boot]');
  assert.equal(commandHelp(start), `  NAME
    start - ${start.help}

  SYNOPSIS
    start <domain> [--console] [--paused] [--force-boot]

  DESCRIPTION
    ${start.desc}

  OPTIONS
    [--domain] <string>  ${start.opts[0]!.help}
    --console        ${start.opts[1]!.help}
    --paused         ${start.opts[2]!.help}
    --force-boot     ${start.opts[3]!.help}

`);
  assert.equal(synopsis(TABLE.find('echo')!), 'echo [--shell] [--xml] [--err] [<string>]...');
  assert.equal(synopsis(TABLE.find('shutdown')!), 'shutdown <domain> [--mode <string>]');
  assert.match(commandHelp(TABLE.find('uri')!), /\n  SYNOPSIS\n    uri \[--json\]\n\n  DESCRIPTION\n    .*\n\n  OPTIONS\n    --json           print the result as one JSON document \(docs\/cli-json\.md\)\n\n$/);
  assert.equal(synopsis(TABLE.find('pwd')!), 'pwd', 'commands that print no data take no --json');
  assert.match(commandHelp(TABLE.find('echo')!), /\n    <string>         the words to print\n\n$/);
});

test('group listings', () => {
  const all = allHelp(TABLE);
  assert.ok(all.startsWith("Grouped commands:\n\n Domain Management (help keyword 'domain'):\n"));
  assert.match(all, /\n {4}dominfo {24}print basic facts about a domain\n/);
  for (const g of GROUPS) assert.ok(all.includes(groupHelp(TABLE, g) + '\n'), g.key);
  const order = GROUPS.map((g) => all.indexOf(` ${g.title} (`));
  assert.deepEqual([...order].sort((a, b) => a - b), order);
  assert.match(usage(TABLE), /\n Domain Monitoring \(help keyword 'monitor'\)\n {4}domblkerror /);
});

test('the CLI version is the package version', () => {
  const pkg = JSON.parse(readFileSync(fileURLToPath(new URL('../../../package.json', import.meta.url)), 'utf8')) as { version: string };
  assert.equal(VERSION, pkg.version);
});

test('docs/cli-json.md documents exactly the commands that take --json', () => {
  const doc = readFileSync(fileURLToPath(new URL('../../../docs/cli-json.md', import.meta.url)), 'utf8');
  const documented = new Set<string>();
  for (const m of doc.matchAll(/^### (.+)$/gm)) for (const n of (m[1] as string).split(',')) documented.add(n.trim());
  const withJson = TABLE.commands.filter((c) => c.opts.some((o) => o.name === 'json')).map((c) => c.name).sort();
  assert.deepEqual([...documented].sort(), withJson);
});

test('every command is run by a golden script (test/cli-golden) or the terminal tests', () => {
  const dir = fileURLToPath(new URL('../../../test/cli-golden/', import.meta.url));
  const scripts = readdirSync(dir).filter((f) => f.endsWith('.in')).map((f) => readFileSync(dir + f, 'utf8')).join('\n');
  const terminal = ['cli-pty.test.ts', 'cli-edit.test.ts']
    .map((f) => readFileSync(fileURLToPath(new URL(`../../../test/integration/${f}`, import.meta.url)), 'utf8')).join('\n');
  const runs = (text: string, name: string): boolean => new RegExp(`(^|[\\s;'"])${name}(\\s|$|;|')`, 'm').test(text);
  assert.deepEqual(TABLE.commands.map((c) => c.name).filter((n) => !runs(scripts, n) && !runs(terminal, n)), []);
});
