/**
 * The typed QEMU monitor: every QMP command vireo sends, as a method with typed arguments and a
 * parsed reply, over the protocol-only client (qmp/client.ts). This is where QMP failures become
 * coded VireoErrors: a refused command is QMP_ERROR naming what vireo tried and the command, an
 * unanswered one MONITOR_TIMEOUT, a monitor that went away QEMU_FAILED. QEMU's full reply goes to
 * the debug log and stays reachable as the error's cause.
 */
import { VireoError } from '../api/errors.js';
import { logger } from '../util/log.js';
import type { MonitorCommand } from './argv.js';
import { QmpClient, QmpCommandError, QmpConnectionError, QmpTimeoutError, type QmpClientEvents } from './qmp/client.js';

const log = logger('monitor');

/** QEMU's run states (QAPI RunState), as query-status reports them. */
export const RUN_STATES = [
  'debug', 'inmigrate', 'internal-error', 'io-error', 'paused', 'postmigrate', 'prelaunch', 'finish-migrate',
  'restore-vm', 'running', 'save-vm', 'shutdown', 'suspended', 'watchdog', 'guest-panicked', 'colo',
] as const;
export type RunState = (typeof RUN_STATES)[number];

/** The reply of query-status. */
export interface StatusInfo {
  status: RunState;
  /** True when the guest's CPUs run. */
  running: boolean;
}

/** The reply of query-vnc (the server part; clients are left out). */
export interface VncInfo {
  enabled: boolean;
  host?: string;
  /** The TCP port, when the server listens on one. */
  port?: number;
  family?: string;
  auth?: string;
}

/** What each command does, in the words of the error a user sees when it fails. */
const PURPOSE: Record<string, string> = {
  cont: 'start the CPUs of',
  stop: 'pause',
  system_powerdown: 'press the ACPI power button of',
  system_reset: 'reset',
  quit: 'quit the QEMU process of',
  'query-status': 'report the run state of',
  'query-vnc': 'report the VNC server of',
  set_password: 'set the graphics password of',
  set_link: 'set a network link state of',
  'qom-set': 'set a device property of',
  netdev_add: 'add a network backend to',
  netdev_del: 'remove a network backend from',
  device_add: 'plug a device into',
  device_del: 'unplug a device from',
  'qom-list': 'list the devices of',
  'qom-get': 'read a device property of',
  'query-cpus-fast': 'list the vCPU threads of',
  'query-blockstats': 'read the disk statistics of',
  'query-balloon': 'read the balloon size of',
  'query-block': 'list the disks of',
  balloon: 'change the balloon target of',
  'query-hotpluggable-cpus': 'list the CPU slots of',
  'blockdev-add': 'open a disk image for',
  'blockdev-del': 'close a disk image of',
  block_resize: 'resize a disk of',
  'query-named-block-nodes': 'list the block nodes of',
  'block-set-write-threshold': 'set a write threshold of',
  'watchdog-set-action': 'set the watchdog action of',
  block_set_io_throttle: 'set the I/O limits of a disk of',
  'blockdev-open-tray': 'open a drive tray of',
  'blockdev-close-tray': 'close a drive tray of',
  'blockdev-remove-medium': 'remove a medium from',
  'blockdev-insert-medium': 'insert a medium into',
  'query-iothreads': 'list the I/O threads of',
  'object-add': 'add an object (an I/O thread, a memory or rng backend) to',
  'object-del': 'remove an object (an I/O thread, a memory or rng backend) from',
  'query-memory-devices': 'list the memory modules of',
};

/** What a user can do about a refused command, by QMP error class. */
const CLASS_HINT: Record<string, string> = {
  CommandNotFound: 'this QEMU does not have the command; a newer QEMU may be needed',
  DeviceNotFound: 'the guest has no such device; check the domain XML (vireo dumpxml)',
  DeviceNotActive: 'the device is not active in the guest',
  KVMMissingCap: 'the host\'s KVM lacks a capability the command needs',
};

export interface MonitorOptions {
  /** The guest's name, for messages. */
  name: string;
}

/** One guest's monitor. */
export class Monitor {
  constructor(private readonly qmp: QmpClient, private readonly opts: MonitorOptions) {}

  /** Connect to a monitor socket and negotiate; failures are QEMU_FAILED (MONITOR_TIMEOUT when it does not answer). */
  static async connect(path: string, opts: MonitorOptions & { timeoutMs?: number }): Promise<Monitor> {
    try {
      return new Monitor(await QmpClient.connect(path, opts.timeoutMs === undefined ? {} : { timeoutMs: opts.timeoutMs }), opts);
    } catch (e) {
      if (e instanceof QmpTimeoutError) {
        throw VireoError.of('MONITOR_TIMEOUT', `the QEMU monitor of domain '${opts.name}' did not greet within ${seconds(e.timeoutMs)}`, {
          cause: e, hint: 'QEMU may be hung or stopped; vireo destroy ends it',
        });
      }
      throw VireoError.of('QEMU_FAILED', `cannot connect to the QEMU monitor of domain '${opts.name}': ${(e as Error).message}`, { cause: e });
    }
  }

  /** QEMU's version from the greeting. */
  get version(): { major: number; minor: number; micro: number } | undefined {
    return this.qmp.greeting?.version?.qemu;
  }

  get isClosed(): boolean {
    return this.qmp.isClosed;
  }

  /** Asynchronous QMP events, and the end of the connection (once). */
  on<K extends keyof QmpClientEvents>(event: K, listener: (...args: QmpClientEvents[K]) => void): this {
    this.qmp.on(event, listener as never);
    return this;
  }

  /** Stop listening (a waiter that is done). */
  off<K extends keyof QmpClientEvents>(event: K, listener: (...args: QmpClientEvents[K]) => void): this {
    this.qmp.off(event, listener as never);
    return this;
  }

  close(): void {
    this.qmp.close();
  }

  /** Start (or resume) the guest's CPUs. */
  async cont(): Promise<void> {
    await this.run('cont');
  }

  /** Pause the guest's CPUs. */
  async stop(): Promise<void> {
    await this.run('stop');
  }

  /** Press the ACPI power button: the guest decides whether to power off. */
  async systemPowerdown(): Promise<void> {
    await this.run('system_powerdown');
  }

  /** Reset the machine, as the reset button does. */
  async systemReset(): Promise<void> {
    await this.run('system_reset');
  }

  /** Ask QEMU to exit. */
  async quit(): Promise<void> {
    await this.run('quit');
  }

  /** The guest's run state. */
  async queryStatus(opts: { timeoutMs?: number } = {}): Promise<StatusInfo> {
    const r = await this.run('query-status', undefined, opts);
    const rec = asRecord(r);
    if (rec === undefined || typeof rec.status !== 'string' || typeof rec.running !== 'boolean') throw this.badReply('query-status', r);
    if (!(RUN_STATES as readonly string[]).includes(rec.status)) log.warn(`${this.opts.name}: QEMU reports an unknown run state '${rec.status}'`);
    return { status: rec.status as RunState, running: rec.running };
  }

  /** Each block backend's device and image sizes (query-block), for domblkinfo. */
  async queryBlock(): Promise<BlockImage[]> {
    const r = await this.run('query-block');
    if (!Array.isArray(r)) throw this.badReply('query-block', r);
    return r.flatMap((b) => {
      const rec = asRecord(b);
      if (rec === undefined) return [];
      const image = asRecord(asRecord(rec.inserted)?.image);
      const out: BlockImage = { qdev: typeof rec.qdev === 'string' ? rec.qdev : '', device: typeof rec.device === 'string' ? rec.device : '' };
      if (typeof image?.['virtual-size'] === 'number') out.virtualSize = image['virtual-size'];
      if (typeof image?.['actual-size'] === 'number') out.actualSize = image['actual-size'];
      return [out];
    });
  }

  /** Each vCPU's index and host thread id (query-cpus-fast), in index order. */
  async queryCpusFast(): Promise<VcpuThread[]> {
    const r = await this.run('query-cpus-fast');
    if (!Array.isArray(r)) throw this.badReply('query-cpus-fast', r);
    const out = r.map((c) => {
      const rec = asRecord(c);
      if (rec === undefined || typeof rec['cpu-index'] !== 'number' || typeof rec['thread-id'] !== 'number') throw this.badReply('query-cpus-fast', r);
      return { index: rec['cpu-index'], threadId: rec['thread-id'] };
    });
    return out.sort((a, b) => a.index - b.index);
  }

  /** The VNC server: whether it runs and where it listens. */
  async queryVnc(): Promise<VncInfo> {
    const r = await this.run('query-vnc');
    const rec = asRecord(r);
    if (rec === undefined || typeof rec.enabled !== 'boolean') throw this.badReply('query-vnc', r);
    const info: VncInfo = { enabled: rec.enabled };
    if (typeof rec.host === 'string') info.host = rec.host;
    const port = Number(rec.service);
    if (typeof rec.service === 'string' && Number.isInteger(port) && port > 0) info.port = port;
    if (typeof rec.family === 'string') info.family = rec.family;
    if (typeof rec.auth === 'string') info.auth = rec.auth;
    return info;
  }

  /** Set the password of the VNC or SPICE server (never on the command line, where ps shows it). */
  async setPassword(protocol: 'vnc' | 'spice', password: string): Promise<void> {
    await this.run('set_password', { protocol, password });
  }

  /** Bring a NIC's link up or down (`name` is the netdev's device id, e.g. net0). */
  async setLink(name: string, up: boolean): Promise<void> {
    await this.run('set_link', { name, up });
  }

  /** Add a network backend (a -netdev's properties, e.g. netdevProps). */
  async netdevAdd(props: Record<string, unknown>): Promise<void> {
    await this.run('netdev_add', props);
  }

  /** Remove a network backend by id (its device must be gone first). */
  async netdevDel(id: string): Promise<void> {
    await this.run('netdev_del', { id });
  }

  /** Plug a device into the running guest (a -device's properties). */
  async deviceAdd(props: Record<string, unknown>): Promise<void> {
    await this.run('device_add', props);
  }

  /**
   * Ask for a device's removal. For a PCI device the guest must cooperate: QEMU reports the end
   * with a DEVICE_DELETED event, perhaps much later or never.
   */
  async deviceDel(id: string): Promise<void> {
    await this.run('device_del', { id });
  }

  /** Open a block node (a -blockdev's properties: a storage or format node). */
  async blockdevAdd(props: Record<string, unknown>): Promise<void> {
    await this.run('blockdev-add', props);
  }

  /** Close a block node by name (nothing may use it any more). */
  async blockdevDel(nodeName: string): Promise<void> {
    await this.run('blockdev-del', { 'node-name': nodeName });
  }

  /** The names of QEMU's block nodes, with the file each reads (query-named-block-nodes, flat). */
  async namedBlockNodes(): Promise<Array<{ node: string; file: string }>> {
    const r = await this.run('query-named-block-nodes', { flat: true });
    if (!Array.isArray(r)) throw this.badReply('query-named-block-nodes', r);
    return r.flatMap((n) => {
      const rec = asRecord(n);
      return rec !== undefined && typeof rec['node-name'] === 'string' ? [{ node: rec['node-name'], file: typeof rec.file === 'string' ? rec.file : '' }] : [];
    });
  }

  /** Grow (or shrink) the image under format node `nodeName` to `size` bytes; the guest is told. */
  async blockResize(nodeName: string, size: number): Promise<void> {
    await this.run('block_resize', { 'node-name': nodeName, size });
  }

  /** Report (once: BLOCK_WRITE_THRESHOLD) a write to block node `nodeName` past `bytes`; 0 disarms. */
  async blockSetWriteThreshold(nodeName: string, bytes: number): Promise<void> {
    await this.run('block-set-write-threshold', { 'node-name': nodeName, 'write-threshold': bytes });
  }

  /** Set a disk's I/O limits (block_set_io_throttle's arguments: argv's throttleArgs). */
  async setIoThrottle(args: Record<string, unknown>): Promise<void> {
    await this.run('block_set_io_throttle', args);
  }

  /** The I/O limits QEMU applies to the disk whose device is `qdevId` (query-block), by QEMU's names; undefined: no such disk. */
  async ioThrottle(qdevId: string): Promise<Record<string, number | string> | undefined> {
    const r = await this.run('query-block');
    if (!Array.isArray(r)) throw this.badReply('query-block', r);
    for (const b of r) {
      const rec = asRecord(b);
      const qdev = typeof rec?.qdev === 'string' ? rec.qdev : '';
      if (qdev !== qdevId && !qdev.startsWith(`/machine/peripheral/${qdevId}/`)) continue;
      const inserted = asRecord(rec?.inserted) ?? {};
      const out: Record<string, number | string> = {};
      for (const [k, v] of Object.entries(inserted)) if (typeof v === 'number' || (k === 'group' && typeof v === 'string')) out[k] = v;
      return out;
    }
    return undefined;
  }

  /** What QEMU does when the guest's watchdog fires (reset, shutdown, poweroff, pause, debug, none, inject-nmi). */
  async watchdogSetAction(action: string): Promise<void> {
    await this.run('watchdog-set-action', { action });
  }

  /** Open the tray of drive `id` (a qdev id), even when the guest locked it. */
  async blockdevOpenTray(id: string): Promise<void> {
    await this.run('blockdev-open-tray', { id, force: true });
  }

  /** Close the tray of drive `id`. */
  async blockdevCloseTray(id: string): Promise<void> {
    await this.run('blockdev-close-tray', { id });
  }

  /** Take the medium out of drive `id` (its tray open); its nodes stay until blockdev-del. */
  async blockdevRemoveMedium(id: string): Promise<void> {
    await this.run('blockdev-remove-medium', { id });
  }

  /** Put block node `nodeName` into drive `id` as its medium (its tray open). */
  async blockdevInsertMedium(id: string, nodeName: string): Promise<void> {
    await this.run('blockdev-insert-medium', { id, 'node-name': nodeName });
  }

  /** The ids of the user-created devices (/machine/peripheral), to see which are still plugged. */
  async peripherals(): Promise<string[]> {
    const r = await this.run('qom-list', { path: '/machine/peripheral' });
    if (!Array.isArray(r)) throw this.badReply('qom-list', r);
    return r.flatMap((p) => {
      const rec = asRecord(p);
      return rec !== undefined && typeof rec.name === 'string' && typeof rec.type === 'string' && rec.type.startsWith('child<') ? [rec.name] : [];
    });
  }

  /** Set a QOM property of an object (e.g. the balloon's statistics period). */
  async qomSet(path: string, property: string, value: unknown): Promise<void> {
    await this.run('qom-set', { path, property, value });
  }

  /** Ask the guest's balloon driver for a new size of guest RAM; BALLOON_CHANGE events follow as it gets there. */
  async balloon(bytes: number): Promise<void> {
    await this.run('balloon', { value: bytes });
  }

  /** The machine's CPU slots (query-hotpluggable-cpus): plugged ones with their QOM path, empty ones with the properties to plug them. */
  async cpuSlots(): Promise<CpuSlot[]> {
    const r = await this.run('query-hotpluggable-cpus');
    if (!Array.isArray(r)) throw this.badReply('query-hotpluggable-cpus', r);
    return r.flatMap((c) => {
      const rec = asRecord(c);
      const props = asRecord(rec?.props);
      if (rec === undefined || props === undefined || typeof rec.type !== 'string') return [];
      const slot: CpuSlot = { type: rec.type, props: Object.fromEntries(Object.entries(props).filter((e): e is [string, number] => typeof e[1] === 'number')) };
      if (typeof rec['qom-path'] === 'string') slot.qomPath = rec['qom-path'];
      return [slot];
    });
  }

  /** Each vCPU's QOM path and host thread (query-cpus-fast). */
  async cpuThreads(): Promise<Array<{ qomPath: string; threadId: number }>> {
    const r = await this.run('query-cpus-fast');
    if (!Array.isArray(r)) throw this.badReply('query-cpus-fast', r);
    return r.flatMap((c) => {
      const rec = asRecord(c);
      return typeof rec?.['qom-path'] === 'string' && typeof rec['thread-id'] === 'number' ? [{ qomPath: rec['qom-path'], threadId: rec['thread-id'] }] : [];
    });
  }

  /** Run one of the set-up commands argv/monitorSetup lists. */
  async apply(c: MonitorCommand): Promise<void> {
    switch (c.execute) {
      case 'set_password':
        return this.setPassword(c.arguments.protocol, c.arguments.password);
      case 'set_link':
        return this.setLink(c.arguments.name, c.arguments.up);
      case 'qom-set':
        return this.qomSet(c.arguments.path, c.arguments.property, c.arguments.value);
      case 'balloon':
        return this.balloon(c.arguments.value);
      case 'block_set_io_throttle':
        return this.setIoThrottle(c.arguments);
    }
  }

  /** Cap the migration (save) stream at `bytesPerSecond`. */
  async setMigrationBandwidth(bytesPerSecond: number): Promise<void> {
    await this.run('migrate-set-parameters', { 'max-bandwidth': bytesPerSecond });
  }

  /** Send the guest's state to `uri` (e.g. fd:NAME); progress through queryMigrate. */
  async migrate(uri: string): Promise<void> {
    await this.run('migrate', { uri });
  }

  /** Read an incoming state stream from `uri` (QEMU started with -incoming defer). */
  async migrateIncoming(uri: string): Promise<void> {
    await this.run('migrate-incoming', { uri });
  }

  async migrateCancel(): Promise<void> {
    await this.run('migrate_cancel');
  }

  /** The migration's status and RAM counters (bytes). */
  async queryMigrate(): Promise<MigrationInfo> {
    const r = asRecord(await this.run('query-migrate'));
    if (r === undefined) throw this.badReply('query-migrate', r);
    const ram = asRecord(r.ram);
    const num = (v: unknown): number => (typeof v === 'number' ? v : 0);
    const info: MigrationInfo = { status: typeof r.status === 'string' ? r.status : 'none' };
    if (ram !== undefined) info.ram = { transferred: num(ram.transferred), remaining: num(ram.remaining), total: num(ram.total) };
    if (typeof r['error-desc'] === 'string') info.error = r['error-desc'];
    return info;
  }

  /**
   * Run a command and give its raw reply, failures translated as every command's are. For the
   * typed command modules beside this one (monitor-stats.ts), which parse the reply themselves.
   */
  async execute(command: string, args?: Record<string, unknown>): Promise<unknown> {
    return this.run(command, args);
  }

  private async run(command: string, args?: Record<string, unknown>, opts: { timeoutMs?: number } = {}): Promise<unknown> {
    try {
      return await this.qmp.execute(command, args, opts);
    } catch (e) {
      throw this.translate(command, e);
    }
  }

  /** A QMP failure as the coded error a user sees. */
  private translate(command: string, e: unknown): Error {
    const name = this.opts.name;
    const purpose = `${PURPOSE[command] ?? `run '${command}' on`} domain '${name}'`;
    if (e instanceof QmpCommandError) {
      // Arguments are not logged: set_password carries a secret.
      log.debug(`${name}: QEMU refused '${command}'`, { class: e.errorClass, desc: e.desc });
      const hint = CLASS_HINT[e.errorClass];
      return VireoError.of('QMP_ERROR', `QEMU could not ${purpose} (monitor command '${command}'): ${firstLine(e.desc)}`, hint === undefined ? { cause: e } : { cause: e, hint });
    }
    if (e instanceof QmpTimeoutError) {
      log.debug(`${name}: no answer to '${command}'`, { timeoutMs: e.timeoutMs });
      return VireoError.of('MONITOR_TIMEOUT', `the QEMU monitor of domain '${name}' did not answer '${command}' within ${seconds(e.timeoutMs)}`, {
        cause: e, hint: 'QEMU may be hung or stopped; vireo destroy ends it',
      });
    }
    if (e instanceof QmpConnectionError) {
      log.debug(`${name}: monitor gone during '${command}'`, { error: e.message });
      return VireoError.of('QEMU_FAILED', `cannot ${purpose}: its QEMU monitor closed (QEMU has exited or is exiting)`, { cause: e });
    }
    return e instanceof Error ? e : new Error(String(e));
  }

  private badReply(command: string, reply: unknown): VireoError {
    log.debug(`${this.opts.name}: unexpected reply to '${command}'`, { reply });
    return VireoError.of('QEMU_FAILED', `QEMU answered '${command}' for domain '${this.opts.name}' with a reply vireo does not understand`);
  }
}

/** query-migrate: status is QEMU's (setup, active, completed, failed, cancelling, cancelled, ...). */
export interface MigrationInfo {
  status: string;
  ram?: { transferred: number; remaining: number; total: number };
  error?: string;
}

/** A vCPU and the host thread that runs it. */
export interface VcpuThread {
  index: number;
  threadId: number;
}

/** One block backend as query-block reports it (sizes absent for an empty drive). */
export interface BlockImage {
  /** The guest device's QOM path or id (e.g. /machine/peripheral/virtio-disk0/virtio-backend). */
  qdev: string;
  device: string;
  virtualSize?: number;
  /** Bytes the image really takes on the host (absent for some network disks). */
  actualSize?: number;
}

/** One CPU slot of the machine (query-hotpluggable-cpus). */
export interface CpuSlot {
  /** The CPU device's driver, e.g. 'qemu64-x86_64-cpu'. */
  type: string;
  /** Where it sits: socket-id, core-id, thread-id (and die-id, node-id). */
  props: Record<string, number>;
  /** Set when a CPU is plugged there: /machine/unattached/... for boot CPUs, /machine/peripheral/ID for hot-plugged ones. */
  qomPath?: string;
}

function asRecord(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

/** QEMU's description, one line and bounded, as the reason in a message. */
function firstLine(desc: string): string {
  const line = desc.split('\n')[0]!.trim();
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}

const seconds = (ms: number): string => (ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`);
