/**
 * Host-side preparation of a guest start: what the host offers (SPICE, swtpm, hugetlbfs, UEFI
 * firmware), the live definition with everything the command line needs filled in (firmware,
 * NVRAM, graphics ports, channel sockets), the per-domain NVRAM copied from its template, and swtpm
 * started for an emulated TPM. Everything it starts is undone by the returned cleanup().
 */
import { promises as fs, constants as fsc } from 'node:fs';
import * as path from 'node:path';
import { VireoError } from '../api/errors.js';
import type { DomainDef } from '../conf/domain-model.js';
import { defaultNvramPath, parseFirmwareDescriptor, resolveFirmware, type FirmwareDescriptor } from './firmware.js';
import { run, signalPid, spawnDetached, waitGone } from '../util/proc.js';
import { monitorSetup, type HostFacts } from './argv.js';
import type { Monitor } from './monitor.js';

export const FIRMWARE_DESCRIPTOR_DIRS = ['/usr/share/qemu/firmware', '/etc/qemu/firmware'];

/** The UEFI firmware descriptors installed on this host (files in later dirs override by name). */
export async function readFirmwareDescriptors(dirs: readonly string[] = FIRMWARE_DESCRIPTOR_DIRS): Promise<FirmwareDescriptor[]> {
  const byName = new Map<string, FirmwareDescriptor>();
  for (const dir of dirs) {
    let files: string[];
    try {
      files = await fs.readdir(dir);
    } catch {
      continue;
    }
    for (const f of files.filter((x) => x.endsWith('.json'))) {
      const text = await fs.readFile(path.join(dir, f), 'utf8').catch(() => '');
      const d = parseFirmwareDescriptor(f, text);
      if (d === undefined) byName.delete(f);
      else byName.set(f, d);
    }
  }
  return [...byName.values()];
}

const spiceCache = new Map<string, boolean>();

async function executable(file: string): Promise<boolean> {
  return fs.access(file, fsc.X_OK).then(() => true, () => false);
}

/** Find a program on PATH (and the sbin dirs), or undefined. */
export async function findProgram(name: string): Promise<string | undefined> {
  const dirs = (process.env.PATH ?? '').split(':').concat(['/usr/local/bin', '/usr/bin', '/usr/sbin', '/bin', '/sbin']);
  for (const d of dirs) {
    if (d !== '' && (await executable(path.join(d, name)))) return path.join(d, name);
  }
  return undefined;
}

/**
 * What this host can offer `def` when started with `emulator`. Only what the domain uses is
 * probed (a start must not pay for a SPICE probe it does not need); the rest reads as available.
 */
export async function hostFacts(emulator: string, def: DomainDef): Promise<HostFacts> {
  let spice = true;
  if (def.devices.graphics.some((g) => g.type === 'spice')) {
    const cached = spiceCache.get(emulator);
    if (cached !== undefined) spice = cached;
    else {
      // `-spice help` lists the options (and exits 1) when QEMU has SPICE; without it QEMU knows no such option.
      const r = await run(emulator, ['-spice', 'help'], { timeoutMs: 10_000 }).catch(() => undefined);
      spice = r !== undefined && /spice options:/.test(r.stdout + r.stderr);
      spiceCache.set(emulator, spice);
    }
  }
  const swtpm = !def.devices.tpms.some((t) => t.backend.type === 'emulator') || (await findProgram('swtpm')) !== undefined;
  const facts: HostFacts = { spice, swtpm, vhostNet: await vhostNetUsable() };
  if (def.devices.disks.some((d) => d.network !== undefined || d.resolved?.type === 'network')) facts.iscsi = await iscsiDriver();
  return facts;
}

let iscsiFound = false;

/**
 * Whether QEMU's iscsi block driver is there: qemu-img (same QEMU, same module directory) lists it
 * among its formats when the module loads. Only a found driver is cached: installing
 * qemu-block-extra needs no vireod restart. Without qemu-img, QEMU itself will say.
 */
async function iscsiDriver(): Promise<boolean> {
  if (iscsiFound) return true;
  const r = await run('qemu-img', ['--help'], { timeoutMs: 10_000 }).catch(() => undefined);
  if (r === undefined) return true;
  const formats = /Supported formats:(.*)/.exec(r.stdout)?.[1]?.trim().split(/\s+/) ?? [];
  iscsiFound = formats.includes('iscsi');
  return iscsiFound;
}

/** The in-kernel virtio-net backend's device, which QEMU opens for vhost=on. */
export const VHOST_NET_DEVICE = '/dev/vhost-net';

/**
 * Whether QEMU could open /dev/vhost-net: a change of host state (modprobe vhost_net), so asked at
 * every start rather than cached. One access() call.
 */
export async function vhostNetUsable(device = VHOST_NET_DEVICE): Promise<boolean> {
  return fs.access(device, fsc.R_OK | fsc.W_OK).then(() => true, () => false);
}

/**
 * The daemon's port allocator as prepare uses it (host/ports.ts PortAllocator; qemu/ may not
 * import host/, so the caller passes it in).
 */
export interface DisplayPorts {
  /** A free port of the display range (VNC, SPICE), held for `owner` until released. */
  reserve(kind: 'display', owner: string, opts: { listen?: string }): Promise<number>;
  /** Hold a given port for `owner`; false when another owner holds it. */
  reserveSpecific(port: number, owner: string): boolean;
  release(port: number): void;
}

export interface PrepareContext {
  /** The daemon's lib dir: NVRAM stores and TPM state live under it. */
  libDir: string;
  runDir: string;
  logDir: string;
  ports: DisplayPorts;
}

export interface Prepared {
  /** The live definition: firmware, NVRAM, graphics ports and channel sockets filled in. */
  def: DomainDef;
  /** Control socket of the domain's swtpm (when it has an emulated TPM). */
  tpmSocket: string;
  /** Undo what prepare started (swtpm) when the start fails later. */
  cleanup(): Promise<void>;
}

/** Fill in the live definition and set up what the guest needs on the host before QEMU starts. */
export async function prepareLaunch(def: DomainDef, ctx: PrepareContext): Promise<Prepared> {
  const nvramDir = path.join(ctx.libDir, 'nvram');
  let live = resolveFirmware(def, def.os.firmware === 'efi' || def.os.loader !== undefined ? await readFirmwareDescriptors() : [], nvramDir);
  if (live === def) live = structuredClone(def);
  const undo: Array<() => Promise<void>> = [];
  const cleanup = async (): Promise<void> => {
    for (const u of undo.reverse()) await u().catch(() => undefined);
  };
  try {
    await prepareNvram(live);
    for (const ch of live.devices.channels) {
      if (ch.source.type === 'unix' && ch.source.path === undefined) ch.source.path = path.join(ctx.runDir, `${ch.name ?? 'channel'}.sock`);
    }
    await allocateDisplayPorts(live, ctx.ports, undo);
    const tpmSocket = path.join(ctx.runDir, 'swtpm.sock');
    const tpm = live.devices.tpms.find((t) => t.backend.type === 'emulator');
    if (tpm !== undefined && tpm.backend.type === 'emulator') {
      const pid = await startSwtpm(live, tpm.backend.version, tpmSocket, ctx);
      undo.push(async () => {
        signalPid(pid, 'SIGTERM');
        await waitGone(pid, 2000);
      });
    }
    return { def: live, tpmSocket, cleanup };
  } catch (e) {
    await cleanup();
    throw e;
  }
}

/** Copy the NVRAM template to the domain's variable store the first time it starts. */
async function prepareNvram(def: DomainDef): Promise<void> {
  const nvram = def.os.nvram;
  if (nvram?.path === undefined || def.os.loader?.type !== 'pflash') return;
  if (await fs.access(nvram.path).then(() => true, () => false)) return;
  if (nvram.template === undefined) {
    throw VireoError.of('STORAGE_MISSING', `Cannot access NVRAM file '${nvram.path}', and there is no template to create it from; give <nvram template='/usr/share/OVMF/OVMF_VARS_4M.fd'>, or use <os firmware='efi'>`);
  }
  await fs.mkdir(path.dirname(nvram.path), { recursive: true, mode: 0o700 });
  try {
    await fs.copyFile(nvram.template, nvram.path, fsc.COPYFILE_EXCL);
  } catch (e) {
    throw VireoError.of('STORAGE_MISSING', `Cannot create NVRAM file '${nvram.path}' from template '${nvram.template}': ${(e as Error).message}`, { cause: e });
  }
  await fs.chmod(nvram.path, 0o600);
}

/**
 * Ports for the graphics servers, from the daemon's allocator as libvirt does (VNC too: QEMU's own
 * `to=99` search would race with SPICE and other guests, and the port would be known only after
 * start). An autoport server gets a free port; a fixed one is held so no autoport guest takes it.
 */
async function allocateDisplayPorts(def: DomainDef, ports: DisplayPorts, undo: Array<() => Promise<void>>): Promise<void> {
  for (const g of def.devices.graphics) {
    if (g.autoport) {
      g.port = await ports.reserve('display', def.uuid, { listen: g.listen });
    } else if (!ports.reserveSpecific(g.port, def.uuid)) {
      throw VireoError.of('OPERATION_FAILED', `${g.type === 'vnc' ? 'VNC' : 'SPICE'} port ${g.port} of domain '${def.name}' is already used by another running guest`);
    }
    const port = g.port;
    undo.push(() => Promise.resolve(ports.release(port)));
  }
}

/** After a daemon restart: hold the ports a running guest's graphics already listen on. */
export function reserveLivePorts(ports: DisplayPorts, def: DomainDef): void {
  for (const g of def.devices.graphics) if (g.port > 0) ports.reserveSpecific(g.port, def.uuid);
}

/** Start swtpm for the domain's TPM; it ends by itself when QEMU closes its control socket. */
async function startSwtpm(def: DomainDef, version: '2.0' | '1.2', socket: string, ctx: PrepareContext): Promise<number> {
  const swtpm = await findProgram('swtpm');
  if (swtpm === undefined) throw VireoError.of('NO_SUPPORT', 'the TPM emulator needs swtpm, which is not installed (Debian package swtpm)');
  const state = path.join(tpmStateDir(ctx.libDir, def), version === '2.0' ? 'tpm2' : 'tpm1.2');
  await fs.mkdir(state, { recursive: true, mode: 0o700 });
  await fs.rm(socket, { force: true });
  const log = path.join(ctx.logDir, `${def.name}-swtpm.log`);
  const args = ['socket', '--tpmstate', `dir=${state},mode=0600`, '--ctrl', `type=unixio,path=${socket},mode=0600`, '--log', `file=${log}`, '--terminate'];
  if (version === '2.0') args.push('--tpm2');
  const child = await spawnDetached(swtpm, args, { logFile: log });
  let exited = false;
  void child.exited.then(() => (exited = true)); // exited never rejects
  const deadline = Date.now() + 5000;
  for (let delay = 2; ; delay = Math.min(delay * 2, 50)) {
    if (await fs.access(socket).then(() => true, () => false)) return child.pid;
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- set by the exited callback during the awaits
    if (exited || Date.now() > deadline) {
      signalPid(child.pid, 'SIGKILL');
      const tail = (await fs.readFile(log, 'utf8').catch(() => '')).trim().split('\n').slice(-3).join('; ');
      // Kept word for word (its users' scripts may match it), so without OPERATION_FAILED's prefix.
      throw VireoError.of('OPERATION_FAILED', `swtpm did not start for domain '${def.name}'${tail === '' ? '' : `: ${tail}`}`);
    }
    await new Promise((r) => setTimeout(r, delay));
  }
}

/**
 * Once QEMU answers and before the guest runs: the settings that go over QMP (passwords, link
 * state, balloon statistics), and the VNC port QEMU picked for autoport, recorded in the live
 * definition so dumpxml shows where to connect (as libvirt does).
 */
export async function configureMonitor(monitor: Monitor, def: DomainDef): Promise<void> {
  for (const c of monitorSetup(def)) await monitor.apply(c);
  const vnc = def.devices.graphics.find((g) => g.type === 'vnc' && g.autoport);
  if (vnc !== undefined) {
    const info = await monitor.queryVnc();
    if (info.enabled && info.port !== undefined) vnc.port = info.port;
  }
}

const tpmStateDir = (libDir: string, def: DomainDef): string => path.join(libDir, 'swtpm', def.uuid);

/** What a domain keeps on the host between runs, where it exists: UEFI variables, emulated TPM state. */
export async function persistentHostState(def: DomainDef, libDir: string): Promise<{ nvram?: string; tpm?: string }> {
  const exists = (p: string): Promise<boolean> => fs.access(p).then(() => true, () => false);
  const out: { nvram?: string; tpm?: string } = {};
  const uefi = def.os.firmware === 'efi' || def.os.loader?.type === 'pflash';
  const nvram = def.os.nvram?.path ?? (uefi ? defaultNvramPath(path.join(libDir, 'nvram'), def.name) : undefined);
  if (nvram !== undefined && (await exists(nvram))) out.nvram = nvram;
  const tpm = tpmStateDir(libDir, def);
  if (def.devices.tpms.some((t) => t.backend.type === 'emulator') && (await exists(tpm))) out.tpm = tpm;
  return out;
}
