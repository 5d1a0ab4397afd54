// Running commands against a fake client: virsh's framing (blank lines, -q, -t), error lines, exit status.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { Duplex, PassThrough, Writable } from 'node:stream';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { VireoError } from '../../src/api/errors.js';
import type { DomainEvent, DomainSummary, HostInfo } from '../../src/api/types.js';
import { TABLE } from '../../src/cli/commands/index.js';
import type { CliClient } from '../../src/cli/commands/types.js';
import type { DomainDevices, DomainJob, FreeCell, HostCheck, NodeCpuStats, NodeInfo, NodeMemStats } from '../../src/api/types.js';
import { parseCommands } from '../../src/cli/parse.js';
import { Session, type SessionOptions } from '../../src/cli/session.js';
import { stringTokens } from '../../src/cli/tokenize.js';

function dom(p: Partial<DomainSummary> & { name: string }): DomainSummary {
  return {
    id: null, uuid: `uuid-${p.name}`, state: 'shut off', reason: 'unknown', persistent: true, autostart: false,
    managedSave: false, hasSnapshot: false, title: '', osType: 'hvm', vcpus: 1, maxMemoryKiB: 1024, usedMemoryKiB: 1024,
    cpuTimeNs: 0, ...p,
  };
}

/** Networks have their own fake daemon (cli-network.test.ts); this one has none. */
const noNetworks = (): Promise<never> => Promise.reject(new Error('this fake has no networks'));

/** An in-memory daemon: enough behaviour to see what the CLI prints and which calls it makes. */
class FakeClient implements CliClient {
  listNetworks = noNetworks; getNetwork = noNetworks; defineNetwork = noNetworks; createNetwork = noNetworks;
  blockInfo = noNetworks; undefineNetwork = noNetworks; networkXml = noNetworks; startNetwork = noNetworks; destroyNetwork = noNetworks;
  setNetworkAutostart = noNetworks; updateNetwork = noNetworks; networkLeases = noNetworks; networkEvents = noNetworks;
  interfaceAddresses = noNetworks; linkState = noNetworks; setLinkState = noNetworks; abortJob = noNetworks;
  // Host interfaces are tested against a real vireod (test/integration/iface.test.ts).
  listInterfaces = noNetworks; getInterface = noNetworks; defineInterface = noNetworks; undefineInterface = noNetworks;
  interfaceXml = noNetworks; startInterface = noNetworks; destroyInterface = noNetworks; bridgeInterface = noNetworks;
  unbridgeInterface = noNetworks; interfaceTransaction = noNetworks;
  attachDevice = noNetworks; detachDevice = noNetworks; updateDevice = noNetworks; blockResize = noNetworks; blockThreshold = noNetworks; ioTune = noNetworks; setIoTune = noNetworks; ifTune = noNetworks; setIfTune = noNetworks;
  setMemory = noNetworks; setMaxMemory = noNetworks; setVcpus = noNetworks; nodeMemoryParameters = noNetworks;
  listPools = noNetworks; getPool = noNetworks; definePool = noNetworks; createPool = noNetworks; undefinePool = noNetworks;
  poolXml = noNetworks; startPool = noNetworks; buildPool = noNetworks; destroyPool = noNetworks; deletePool = noNetworks;
  setPoolAutostart = noNetworks; refreshPool = noNetworks; poolCapabilities = noNetworks; findPoolSources = noNetworks; poolEvents = noNetworks;
  listVolumes = noNetworks; getVolume = noNetworks; volumeXml = noNetworks; createVolume = noNetworks;
  createVolumeFrom = noNetworks; deleteVolume = noNetworks; wipeVolume = noNetworks; resizeVolume = noNetworks;
  uploadVolume = noNetworks; downloadVolume = noNetworks;
  save = noNetworks; dump = noNetworks; screenshot = noNetworks; restore = noNetworks; saveImageXml = noNetworks; saveImageDefine = noNetworks;
  managedSave = noNetworks; managedSaveRemove = noNetworks; managedSaveXml = noNetworks; managedSaveDefine = noNetworks;
  nodeCpuMap = noNetworks; domainStats = noNetworks; vcpuInfo = noNetworks; vcpuCount = noNetworks; blockStats = noNetworks; interfaceStats = noNetworks;
  memoryStats = noNetworks; setMemoryStatsPeriod = noNetworks; blockErrors = noNetworks; cpuStats = noNetworks;
  tuning = noNetworks; setTuning = noNetworks;
  iothreads = noNetworks; addIothread = noNetworks; delIothread = noNetworks; pinIothread = noNetworks; setIothread = noNetworks;
  createSnapshot = noNetworks; listSnapshots = noNetworks; snapshotInfo = noNetworks; snapshotXml = noNetworks;
  setCurrentSnapshot = noNetworks; revertSnapshot = noNetworks; deleteSnapshot = noNetworks;
  calls: string[] = [];
  domains: DomainSummary[] = [dom({ name: 'vm1' }), dom({ name: 'run1', id: 1, state: 'running', reason: 'booted' })];
  constructor(readonly uri = 'vireo:///session', private readonly down = false) {}
  close(): void {}
  private find(ref: string): DomainSummary {
    if (this.down) throw new VireoError('DAEMON_UNREACHABLE', "Failed to connect socket to '/x.sock': No such file or directory");
    const d = this.domains.find((x) => x.name === ref || x.uuid === ref || String(x.id) === ref);
    if (d === undefined) throw new VireoError('NO_DOMAIN', `no domain with matching name '${ref}'`);
    return d;
  }
  private act(what: string, ref: string, change: Partial<DomainSummary>, valid: (d: DomainSummary) => string | null): Promise<DomainSummary> {
    this.calls.push(`${what} ${ref}`);
    const d = this.find(ref);
    const bad = valid(d);
    if (bad !== null) return Promise.reject(new VireoError('OPERATION_INVALID', `Requested operation is not valid: ${bad}`));
    Object.assign(d, change);
    return Promise.resolve(d);
  }
  async host(): Promise<HostInfo> {
    this.find('run1');
    return { version: '0.1.0', versionNumber: 1000, hypervisor: { name: 'QEMU', version: '7.2.22', versionNumber: 7002022 }, hostname: 'h', uri: this.uri, kvm: { usable: false, reason: null } };
  }
  // Host facts: the numbers of virsh's own examples where it has them.
  async nodeInfo(): Promise<NodeInfo> {
    return { model: 'x86_64', cpus: 2, mhz: 2445, nodes: 1, sockets: 1, cores: 2, threads: 1, memoryKiB: 5596960 };
  }
  async nodeCpuStats(cpu?: number): Promise<NodeCpuStats> {
    if (cpu !== undefined && cpu > 1) throw new VireoError('INVALID_ARG', `invalid argument: CPU ${cpu} does not exist on this host`);
    this.cpuReads++;
    const k = this.cpuReads;
    return { user: 1000e9 * k, system: 100e9 * k, idle: 300e9 * k, iowait: 0 };
  }
  cpuReads = 0;
  async nodeMemStats(cell?: number): Promise<NodeMemStats> {
    return cell === undefined ? { total: 24684084, free: 22963656, buffers: 29936, cached: 1080820 } : { total: 8087756, free: 6367380 };
  }
  async freeCells(): Promise<FreeCell[]> {
    return [{ cell: 0, freeKiB: 2048 }, { cell: 1, freeKiB: 4096 }];
  }
  async maxVcpus(): Promise<number> {
    return 255;
  }
  async capabilities(): Promise<string> {
    return '<capabilities>\n</capabilities>\n';
  }
  async domainCapabilities(): Promise<string> {
    return '<domainCapabilities>\n</domainCapabilities>\n';
  }
  async sysinfo(): Promise<string> {
    return "<sysinfo type='smbios'>\n</sysinfo>\n";
  }
  async validateHost(): Promise<HostCheck[]> {
    return [
      { check: 'for hardware virtualization', result: 'FAIL', advice: 'Only emulated CPUs are available' },
      { check: 'if device /dev/net/tun exists', result: 'PASS' },
      { check: 'if device /dev/vhost-net exists', result: 'WARN', advice: "Load the 'vhost_net' module" },
    ];
  }
  // The table commands are covered end to end by the golden tests; here they only need to exist.
  devices(): Promise<DomainDevices> {
    return Promise.resolve({ disks: [], interfaces: [], graphics: [] });
  }
  job(): Promise<DomainJob> {
    return Promise.resolve({ job: null, waiting: 0 });
  }
  description(): Promise<string | null> {
    return Promise.resolve(null);
  }
  setDescription(): Promise<void> {
    return Promise.resolve();
  }
  metadata(): Promise<string> {
    return Promise.reject(new VireoError('NOT_FOUND', 'metadata not found: Requested metadata element is not present'));
  }
  setMetadata(): Promise<void> {
    return Promise.resolve();
  }
  rename(ref: string): Promise<DomainSummary> {
    return Promise.resolve(this.find(ref));
  }
  async listDomains(): Promise<DomainSummary[]> {
    this.find('run1');
    return this.domains;
  }
  async getDomain(ref: string): Promise<DomainSummary> {
    return this.find(ref);
  }
  async define(xml: string): Promise<DomainSummary> {
    this.calls.push('define');
    const name = /<name>(.*)<\/name>/.exec(xml)?.[1];
    if (name === undefined) throw new VireoError('XML_INVALID', 'missing <name>');
    const d = dom({ name });
    this.domains.push(d);
    return d;
  }
  async create(xml: string, o: { paused?: boolean } = {}): Promise<DomainSummary> {
    const d = await this.define(xml);
    Object.assign(d, { id: 9, state: o.paused === true ? 'paused' : 'running', persistent: false });
    return d;
  }
  async undefine(ref: string): Promise<DomainSummary> {
    return this.act('undefine', ref, { persistent: false }, () => null);
  }
  async dumpXml(ref: string): Promise<string> {
    return `<domain><name>${this.find(ref).name}</name></domain>\n`;
  }
  async consoleTail(ref: string): Promise<Buffer> {
    this.find(ref);
    return Buffer.from([0x6f, 0x6b, 0xff]);
  }
  start(ref: string, o: { paused?: boolean } = {}): Promise<DomainSummary> {
    return this.act('start', ref, { id: 2, state: o.paused === true ? 'paused' : 'running' }, (d) => (d.id !== null ? 'domain is already running' : null));
  }
  destroy(ref: string): Promise<DomainSummary> {
    return this.act('destroy', ref, { id: null, state: 'shut off' }, (d) => (d.id === null ? 'domain is not running' : null));
  }
  shutdown(ref: string, o: { mode?: string } = {}): Promise<DomainSummary> {
    return this.act(`shutdown${o.mode === undefined ? '' : `(${o.mode})`}`, ref, {}, () => null);
  }
  reboot(ref: string): Promise<DomainSummary> {
    return this.act('reboot', ref, {}, () => null);
  }
  reset(ref: string): Promise<DomainSummary> {
    return this.act('reset', ref, {}, () => null);
  }
  suspend(ref: string): Promise<DomainSummary> {
    return this.act('suspend', ref, { state: 'paused' }, (d) => (d.state !== 'running' ? 'domain is not running' : null));
  }
  resume(ref: string): Promise<DomainSummary> {
    return this.act('resume', ref, { state: 'running' }, (d) => (d.state !== 'paused' ? 'domain is not paused' : null));
  }
  setAutostart(ref: string, on: boolean): Promise<DomainSummary> {
    return this.act(`autostart=${on}`, ref, { autostart: on }, () => null);
  }
  /** What the guest "prints" on its console, and what the CLI typed into it. */
  guestOut = new PassThrough();
  typed: Buffer[] = [];
  async attachConsole(ref: string, o: { readOnly?: boolean; force?: boolean } = {}): Promise<Duplex> {
    this.calls.push(`console ${ref}${o.readOnly === true ? ' ro' : ''}${o.force === true ? ' force' : ''}`);
    this.find(ref);
    const typed = this.typed;
    return Duplex.from({ readable: this.guestOut, writable: new Writable({ write(c: Buffer, _e, cb) { typed.push(c); cb(); } }) });
  }
  listeners: ((e: DomainEvent) => void)[] = [];
  closeStream: () => void = () => {};
  async events(onEvent: (e: DomainEvent) => void, onEnd: () => void = () => {}): Promise<() => void> {
    this.find('run1');
    this.listeners.push(onEvent);
    this.closeStream = onEnd;
    return () => {
      this.listeners = this.listeners.filter((l) => l !== onEvent);
    };
  }
  emit(name: string, type: DomainEvent['type'], event?: string, detail?: string, params?: Array<[string, string]>): void {
    const e: DomainEvent = { type, domain: { name, uuid: `uuid-${name}`, id: 1 }, timestamp: Date.UTC(2026, 10, 25, 16, 12, 0, 123), ...(event === undefined ? {} : { event }), ...(detail === undefined ? {} : { detail }), ...(params === undefined ? {} : { params }) };
    for (const l of this.listeners) l(e);
  }
}

interface Run {
  out: string;
  err: string;
  ok: boolean;
  fake: FakeClient;
  /** stdout and stderr interleaved, each chunk tagged. */
  both: string;
}

async function run(line: string, o: Partial<SessionOptions> = {}, fake = new FakeClient()): Promise<Run> {
  let out = '';
  let err = '';
  let both = '';
  const s = new Session({
    table: TABLE,
    out: {
      stdout: (t) => { const x = typeof t === 'string' ? t : Buffer.from(t).toString('latin1'); out += x; both += x; },
      stderr: (t) => { err += t; both += `[${t}]`; },
    },
    openClient: () => fake,
    defaultUri: () => 'vireo:///session',
    ...o,
  });
  const ok = await s.runAll(parseCommands(stringTokens(line), TABLE));
  return { out, err, ok, fake, both };
}

test('a single command is followed by one newline: a blank line after its output', async () => {
  assert.deepEqual(await run('start vm1').then((r) => [r.out, r.err, r.ok]), ["Domain 'vm1' started\n\n", '', true]);
  assert.equal((await run('domstate run1 --reason')).out, 'running (booted)\n\n');
  assert.equal((await run('domid vm1')).out, '-\n\n');
  assert.equal((await run('list --name')).out, 'run1\n\n');
  assert.equal((await run('list --all')).out, ' Id   Name   State\n-----------------------\n 1    run1   running\n -    vm1    shut off\n\n');
});

test('several commands: each output then a blank line; echo has none', async () => {
  const r = await run('echo hi; domname 1; echo; echo a b');
  assert.equal(r.out, 'hi\nrun1\n\n\na b\n');
});

test('-q drops messages, headers and blank lines, but keeps data and ends echo lines', async () => {
  const r = await run('start vm1; list --all; domid vm1; echo x; echo', { quiet: true });
  assert.equal(r.out, ' 1   run1   running\n 2   vm1    running\n2\nx\n');
});

test('-t prints a timing block after each command', async () => {
  const r = await run('echo x; domid run1', { timing: true });
  assert.match(r.out, /^x\n\(Time: \d+\.\d{3} ms\)\n\n1\n\n\(Time: \d+\.\d{3} ms\)\n\n$/);
});

test('errors go to stderr with virsh lines; the blank line still follows on stdout', async () => {
  const r = await run('start run1');
  assert.deepEqual([r.out, r.err, r.ok], ['\n', 'error: Domain is already active\n', false]);
  const s = await run('suspend vm1');
  assert.equal(s.err, "error: Failed to suspend domain 'vm1'\nerror: Requested operation is not valid: domain is not running\n");
  const n = await run('dominfo nosuch');
  assert.equal(n.err, "error: failed to get domain 'nosuch'\n");
  const d = await run('destroy nosuch');
  assert.equal(d.err, "error: failed to get domain 'nosuch'\n", 'a missing domain is one line, whatever the command');
});

test('the status is the last command\'s, and later commands still run after a failure', async () => {
  assert.equal((await run('dominfo nosuch; domid vm1')).ok, true);
  const r = await run('domid vm1; dominfo nosuch');
  assert.equal(r.ok, false);
  assert.equal(r.both, "-\n\n[error: failed to get domain 'nosuch'\n]\n");
});

test('quit stops the sequence and prints nothing after it', async () => {
  const r = await run('echo a; quit; echo b');
  assert.deepEqual([r.out, r.ok], ['a\n', true]);
});

test('a daemon that cannot be reached is a connection failure, whatever the command', async () => {
  const down = new FakeClient('vireo:///session', true);
  const r = await run('start vm1; version', {}, down);
  assert.equal(r.err, "error: failed to connect to the hypervisor\nerror: Failed to connect socket to '/x.sock': No such file or directory\n".repeat(2));
  assert.equal(r.out, '\n\n', 'version prints nothing before it has an answer');
  const bad = await run('list', { openClient: () => { throw new VireoError('INVALID_ARG', "invalid connection URI 'x'"); } });
  assert.equal(bad.err, "error: failed to connect to the hypervisor\nerror: invalid connection URI 'x'\n");
});

test('only an unreachable daemon gets a hint line; other errors are virsh\'s lines alone', async () => {
  const fake = new FakeClient();
  fake.start = () => Promise.reject(new VireoError('KVM_UNAVAILABLE', "domain 'vm1' asks for KVM; use type='qemu'", { hint: "use <domain type='qemu'>" }));
  fake.getDomain = (ref) => (ref === 'vm1' ? Promise.resolve(fake.domains[0]!) : Promise.reject(new VireoError('NO_DOMAIN', 'no such', { hint: 'try list --all' })));
  fake.host = () => Promise.reject(new VireoError('DAEMON_UNREACHABLE', "Failed to connect socket to '/s': No such file or directory", { hint: 'start vireod' }));
  const r = await run('start vm1; start nosuch; version', {}, fake);
  assert.equal(r.err, [
    "error: Failed to start domain 'vm1'", "error: domain 'vm1' asks for KVM; use type='qemu'", "error: failed to get domain 'nosuch'",
    'error: failed to connect to the hypervisor', "error: Failed to connect socket to '/s': No such file or directory", 'hint: start vireod', ''].join('\n'));
});

test('help, echo and parse-free commands never open a connection', async () => {
  let opened = 0;
  const r = await run('help start; echo x; pwd', { openClient: () => { opened++; return new FakeClient(); } });
  assert.equal(opened, 0);
  assert.ok(r.out.startsWith('  NAME\n    start - '));
});

test('define and create read the file and name the domain; read errors are virsh\'s', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'vireo-cli-'));
  try {
    const f = path.join(dir, 'vm2.xml');
    writeFileSync(f, '<domain><name>vm2</name></domain>');
    assert.equal((await run(`define ${f}`)).out, `Domain 'vm2' defined from ${f}\n\n`);
    assert.equal((await run(`create ${f} --paused`)).out, `Domain 'vm2' created from ${f}\n\n`);
    const missing = await run(`define ${dir}/nope.xml`);
    assert.equal(missing.err, `error: Failed to open file '${dir}/nope.xml': No such file or directory\n`);
    assert.equal((await run(`define ${dir}`)).err, `error: Failed to read file '${dir}': Is a directory\n`);
    writeFileSync(f, '<domain/>');
    assert.equal((await run(`define ${f}`)).err, `error: Failed to define domain from ${f}\nerror: missing <name>\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('lifecycle messages name the domain as the user wrote it', async () => {
  const r = await run('destroy 1; suspend vm1; autostart vm1; autostart --disable vm1; undefine vm1; shutdown run1 --mode acpi; reboot run1; reset run1');
  assert.equal(r.err, "error: Failed to suspend domain 'vm1'\nerror: Requested operation is not valid: domain is not running\n");
  assert.equal(r.out, [
    "Domain '1' destroyed", '', "Domain 'vm1' marked as autostarted", "Domain 'vm1' unmarked as autostarted",
    "Domain 'vm1' has been undefined", "Domain 'run1' is being shutdown", "Domain 'run1' is being rebooted", "Domain 'run1' was reset",
  ].map((l) => (l === '' ? '\n' : `${l}\n\n`)).join(''));
  assert.deepEqual(r.fake.calls, ['destroy 1', 'suspend vm1', 'autostart=true vm1', 'autostart=false vm1', 'undefine uuid-vm1', 'shutdown(acpi) run1', 'reboot run1', 'reset run1']);
});

test('shutdown and reboot check --mode before anything else', async () => {
  const r = await run('shutdown nosuch --mode acpi,bogus; reboot run1 --mode=x; shutdown run1 --mode=');
  assert.equal(r.err, [
    "error: Unknown mode bogus value, expecting 'acpi', 'agent', 'initctl', 'signal', or 'paravirt'",
    "error: Unknown mode x value, expecting 'acpi', 'agent', 'initctl', 'signal' or 'paravirt'",
    "error: Failed to get option 'mode': Option argument is empty", ''].join('\n'));
  assert.deepEqual(r.fake.calls, []);
});

test('list refuses --table with --name, --uuid or --id', async () => {
  const r = await run('list --table --name');
  assert.deepEqual([r.err, r.out, r.ok], ['error: Options --table and --name are mutually exclusive\n', '\n', false]);
  assert.equal((await run('list --uuid --table')).err, 'error: Options --table and --uuid are mutually exclusive\n');
});

test('read-only sessions refuse changes but still report a missing domain first', async () => {
  const r = await run('destroy run1; destroy nosuch; dominfo run1', { readonly: true });
  assert.equal(r.err, "error: Failed to destroy domain 'run1'\nerror: operation forbidden: read only access prevents this operation\nerror: failed to get domain 'nosuch'\n");
  assert.deepEqual(r.fake.calls, []);
  assert.match(r.out, /State: {10}running/);
});

test('version, uri, dumpxml and console-log', async () => {
  assert.equal((await run('version --daemon')).out,
    'Compiled against library: vireo 0.1.0\nUsing library: vireo 0.1.0\nUsing API: QEMU 0.1.0\nRunning hypervisor: QEMU 7.2.22\nRunning against daemon: 0.1.0\n\n');
  assert.equal((await run('uri')).out, 'vireo:///session\n\n');
  assert.equal((await run('dumpxml vm1')).out, '<domain><name>vm1</name></domain>\n\n');
  assert.equal((await run('console-log vm1')).out, 'ok\xff\n', 'raw bytes; the newline ends the open line');
});

test('connect switches the URI, and a failed connect is reported', async () => {
  const opened: string[] = [];
  const open = (uri: string): FakeClient => { opened.push(uri); return new FakeClient(uri, uri.includes('down')); };
  const r = await run('uri; connect vireo:///system; uri; connect vireo+unix:///down', { openClient: open });
  assert.equal(r.out, 'vireo:///session\n\n\nvireo:///system\n\n\n', 'connect itself prints only the separator');
  assert.match(r.err, /^error: failed to connect to the hypervisor\n/);
  assert.deepEqual(opened, ['vireo:///session', 'vireo:///system', 'vireo+unix:///down']);
});

test('cd only in the shell; help errors', async () => {
  assert.equal((await run('cd /')).err, 'error: cd: command valid only in interactive mode\n');
  const here = process.cwd();
  try {
    const r = await run('cd /nonexistent-dir; cd /; pwd', { interactive: true });
    assert.equal(r.err, 'error: cd: No such file or directory: /nonexistent-dir\n');
    assert.equal(r.out, '\n\n/\n\n');
  } finally {
    process.chdir(here);
  }
  assert.equal((await run('help nosuch')).err, "error: command or command group 'nosuch' doesn't exist\n");
  assert.match((await run('help monitor')).out, /^ Domain Monitoring \(help keyword 'monitor'\):\n {4}domblkerror/);
});

test('echo escapes for the shell and XML, and --err writes an error line', async () => {
  assert.equal((await run(`echo --shell "a b" "it's" x ""`)).out, "'a b' 'it'\\''s' x ''\n");
  assert.equal((await run('echo --xml "<a&b>"')).out, '&lt;a&amp;b&gt;\n');
  const e = await run('echo --err oops');
  assert.deepEqual([e.out, e.err], ['\n', 'error: oops\n']);
});

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

test('event: one event, or --loop until the timeout; none received fails silently', async () => {
  const fake = new FakeClient();
  const one = run('event --all', {}, fake);
  await tick();
  fake.emit('vm1', 'lifecycle', 'Started', 'Booted');
  fake.emit('vm1', 'reboot');
  assert.deepEqual(await one.then((r) => [r.out, r.err, r.ok]), ["event 'lifecycle' for domain 'vm1': Started Booted\nevents received: 1\n\n", '', true]);

  const loop = run('event --loop --timestamp --event reboot --domain vm1 --timeout 1', {}, fake);
  await tick();
  fake.emit('vm1', 'lifecycle', 'Stopped', 'Destroyed');
  fake.emit('run1', 'reboot');
  fake.emit('vm1', 'reboot');
  const r = await loop;
  assert.equal(r.out, "2026-11-25 16:12:00.123+0000: event 'reboot' for domain 'vm1'\nevent loop timed out\nevents received: 1\n\n");
  assert.equal(r.ok, true);

  // tunable: the changed parameters, one per line, as virsh prints them.
  const tunable = run('event --event tunable', {}, fake);
  await tick();
  fake.emit('vm1', 'tunable', undefined, undefined, [['cputune.cpu_shares', '700'], ['cputune.vcpu_quota', '30000']]);
  assert.equal((await tunable).out, "event 'tunable' for domain 'vm1':\n\tcputune.cpu_shares: 700\n\tcputune.vcpu_quota: 30000\nevents received: 1\n\n");

  const none = await run('event --all --timeout 1', {}, fake);
  assert.deepEqual([none.out, none.err, none.ok], ['event loop timed out\nevents received: 0\n\n', '', false]);
  assert.equal(fake.listeners.length, 0, 'every subscription was closed');
});

test('event: Ctrl+C ends the loop; argument errors are virsh\'s', async () => {
  const fake = new FakeClient();
  const p = run('event --all --loop', {}, fake);
  await tick();
  process.emit('SIGINT');
  assert.equal((await p).out, 'event loop interrupted\nevents received: 0\n\n');
  assert.equal(process.listenerCount('SIGINT'), 0, 'Ctrl+C is given back');
  const errs = await run('event; event --list --all; event --event bogus; event --all --timeout 0; event --all --domain nosuch', {}, fake);
  assert.equal(errs.err, [
    'error: one of --list, --all, or --event <type> is required', 'error: Options --list and --all are mutually exclusive',
    'error: unknown event type bogus', "error: Numeric value '0' for <timeout> option is malformed or out of range",
    "error: failed to get domain 'nosuch'", ''].join('\n'));
  const list = (await run('event --list')).out.split('\n');
  assert.equal(list.length, 28 + 2);
  assert.deepEqual(list.slice(0, 2), ['lifecycle', 'reboot']);
});

function fakeTerminal(isTTY = true): { term: { input: PassThrough & { isRaw: boolean; setRawMode(r: boolean): void }; output: PassThrough; isTTY: boolean }; screen: () => string } {
  const input = Object.assign(new PassThrough(), { isRaw: false, setRawMode(r: boolean) { this.isRaw = r; } });
  const output = new PassThrough();
  let screen = '';
  output.on('data', (d: Buffer) => (screen += d.toString('latin1')));
  return { term: { input, output, isTTY }, screen: () => screen };
}

test('console: connects, copies both ways, and leaves on the escape key', async () => {
  const fake = new FakeClient();
  const { term, screen } = fakeTerminal();
  const p = run('console run1', { terminal: term }, fake);
  await tick();
  await tick();
  assert.equal(term.input.isRaw, true, 'the terminal is raw while attached');
  fake.guestOut.write('login: ');
  term.input.write('root\r');
  await tick();
  term.input.write(Buffer.from([0x61, 0x1d, 0x62]));
  const r = await p;
  assert.equal(r.out, "Connected to domain 'run1'\nEscape character is ^] (Ctrl + ])\n\n\n");
  assert.equal(screen(), 'login: ');
  assert.equal(Buffer.concat(fake.typed).toString(), 'root\ra', 'nothing after the escape is sent');
  assert.equal(term.input.isRaw, false, 'the terminal is restored');
  assert.deepEqual(fake.calls, ['console uuid-run1']);
});

test('console: -e, read-only watching, and the refusals', async () => {
  const fake = new FakeClient();
  const { term } = fakeTerminal();
  const p = run('console run1 --force', { terminal: term, escape: 'x', readonly: true }, fake);
  await tick();
  await tick();
  term.input.write('typed x');
  const r = await p;
  assert.match(r.out, /^Connected to domain 'run1'\nEscape character is x\n/);
  assert.deepEqual([fake.typed, fake.calls], [[], ['console uuid-run1 ro force']]);
  const errs = await run('console run1; console vm1', { terminal: fakeTerminal(false).term });
  // virsh's order: a shut-off guest (vm1) is reported as such even without a terminal.
  assert.equal(errs.err, 'error: Cannot run interactive console without a controlling TTY\nerror: The domain is not running\n');
  assert.equal((await run('console vm1', { terminal: term })).err, 'error: The domain is not running\n');
});

test('host commands: nodeinfo, nodememstats, nodecpustats, freecell, maxvcpus, host-validate in virsh\'s layouts', async () => {
  const fake = new FakeClient();
  const r = await run('nodeinfo; nodememstats; nodememstats --cell 0; nodecpustats; maxvcpus --type kvm', {}, fake);
  assert.equal(r.out, `CPU model:           x86_64
CPU(s):              2
CPU frequency:       2445 MHz
CPU socket(s):       1
Core(s) per socket:  2
Thread(s) per core:  1
NUMA cell(s):        1
Memory size:         5596960 KiB

total  :             24684084 KiB
free   :             22963656 KiB
buffers:                29936 KiB
cached :              1080820 KiB

total  :              8087756 KiB
free   :              6367380 KiB

user:                  1000000000000
system:                 100000000000
idle:                   300000000000
iowait:                            0

255

`);
  const cells = await run('freecell; freecell --all; freecell 1; freecell --cellno 7; freecell --all --cellno 0', {}, fake);
  assert.equal(cells.out, 'Total: 6144 KiB\n\n    0:       2048 KiB\n    1:       4096 KiB\n--------------------\nTotal:       6144 KiB\n\n1: 4096 KiB\n\n\n\n');
  assert.equal(cells.err, 'error: internal error: start cell 7 out of range (0-1)\nerror: Options --all and --cellno are mutually exclusive\n');
  const bad = await run('nodememstats --cell x; nodecpustats --cpu 9', {}, fake);
  assert.equal(bad.err, "error: Numeric value 'x' for <cell> option is malformed or out of range\nerror: Unable to get node cpu stats\nerror: invalid argument: CPU 9 does not exist on this host\n");
  const v = await run('host-validate', {}, fake);
  assert.equal(v.ok, false, 'a FAIL line fails the command');
  assert.equal(v.err, '');
  assert.equal(v.out, [
    '  QEMU: Checking for hardware virtualization                                 : FAIL (Only emulated CPUs are available)',
    '  QEMU: Checking if device /dev/net/tun exists                               : PASS',
    "  QEMU: Checking if device /dev/vhost-net exists                             : WARN (Load the 'vhost_net' module)",
    '', ''].join('\n'));
});

test('nodecpustats --percent: the shares over one second', async () => {
  const r = await run('nodecpustats --percent', {}, new FakeClient());
  // Over the second: user 1000, system 100, idle 300, iowait 0 (seconds).
  assert.equal(r.out, 'usage:           78.6%\nuser:            71.4%\nsystem:           7.1%\nidle:            21.4%\niowait:           0.0%\n\n');
});
