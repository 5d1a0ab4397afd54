/**
 * The `iscsi-direct` pool: an iSCSI target whose LUNs QEMU reaches itself, with its own
 * user-space initiator (libiscsi), so the host needs no kernel initiator, no sessions and no
 * device nodes. As libvirt's backend (which links libiscsi) vireo speaks to the target with
 * libiscsi's command-line tools: `iscsi-ls` lists the target's LUNs (REPORT LUNS plus INQUIRY),
 * `iscsi-readcapacity16` sizes each disk LUN. Volumes are the LUNs, named unit:0:0:N as libvirt
 * names them, and cannot be made, deleted or resized here (libvirt's refusals); a refresh opens
 * a session and closes it again, nothing stays logged in.
 *
 * One deliberate difference: libvirt 9.0 reports a LUN's capacity one block short (it multiplies
 * the block size by READ CAPACITY's last LBA instead of the block count); vireo reports the size
 * QEMU and the guest see.
 */
import { WIPE_ALGORITHMS, type WipeAlgorithm } from '../api/storage-types.js';
import { VireoError } from '../api/errors.js';
import type { PoolDef, PoolSource, VolumeDef } from '../conf/storage/index.js';
import { run } from '../util/proc.js';
import type { PoolBackend, PoolScan } from './types.js';

const DEFAULT_PORT = 3260;
/** libvirt's volume names: the LUN number after a fixed 'unit:0:0:'. */
const VOL_PREFIX = 'unit:0:0:';
/** A target that does not answer is given up on after this long. */
const TOOL_TIMEOUT_MS = 30_000;

/** Where an iscsi-direct pool's LUNs are, as QEMU's iscsi driver takes it. */
export interface IscsiLun {
  host: string;
  port: number;
  /** The target IQN (the pool's <device path>). */
  target: string;
  lun: number;
  /** The pool's initiator IQN. */
  initiator: string;
}

/** One LUN as iscsi-ls shows it. */
export interface ListedLun {
  lun: number;
  /** SCSI peripheral type, e.g. DIRECT_ACCESS (a disk) or STORAGE_ARRAY_CONTROLLER. */
  type: string;
}

interface Conn {
  host: string;
  port: number;
  target: string;
  initiator: string;
}

function connOf(def: PoolDef): Conn {
  const host = def.source.hosts[0];
  const target = def.source.devices[0]?.path;
  const initiator = def.source.initiatorIqn;
  if (host === undefined || target === undefined || initiator === undefined) {
    throw VireoError.of('CONFIG_UNSUPPORTED', `iscsi-direct pool '${def.name}' needs one <host>, the target as <device path> and an <initiator><iqn>`);
  }
  return { host: host.name, port: host.port ?? DEFAULT_PORT, target, initiator };
}

/** host:port as libvirt writes the portal (an IPv6 address in brackets). */
export function portalOf(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** The LUN number of a volume name 'unit:0:0:N', or undefined for a name that is none. */
export function lunOfVolume(name: string): number | undefined {
  if (!name.startsWith(VOL_PREFIX)) return undefined;
  const n = name.slice(VOL_PREFIX.length);
  return /^\d+$/.test(n) ? Number(n) : undefined;
}

/** Where the volume `vol` of the iscsi-direct pool `def` is, for QEMU. */
export function iscsiLunOf(def: PoolDef, vol: VolumeDef): IscsiLun {
  const c = connOf(def);
  const lun = lunOfVolume(vol.name);
  if (lun === undefined) throw VireoError.of('INTERNAL', `Invalid volume name ${vol.name}`);
  return { ...c, lun };
}

/** The LUNs of `target` in iscsi-ls -s output (which lists every target of the portal). */
export function parseIscsiLs(out: string, target: string): ListedLun[] | undefined {
  let mine = false;
  let found = false;
  const luns: ListedLun[] = [];
  for (const line of out.split('\n')) {
    const t = /^Target:(\S+)\s/.exec(line);
    if (t !== null) {
      mine = t[1] === target;
      found ||= mine;
      continue;
    }
    const l = /^Lun:(\d+)\s+Type:(\S+)/.exec(line);
    if (mine && l !== null) luns.push({ lun: Number(l[1]), type: l[2]! });
  }
  return found ? luns : undefined;
}

/** libiscsi's reason for a failure: its last lines on stderr, on one line. */
function reasonOf(r: { stderr: string; stdout: string; code: number | null }): string {
  const text = (r.stderr.trim() || r.stdout.trim()).split('\n').map((l) => l.trim()).filter((l) => l !== '');
  return text.slice(-2).join('; ') || `exit status ${r.code ?? '?'}`;
}

async function tool(cmd: string, args: string[]): Promise<{ stdout: string; stderr: string; code: number | null }> {
  try {
    return await run(cmd, args, { timeoutMs: TOOL_TIMEOUT_MS });
  } catch (e) {
    throw VireoError.of('NO_SUPPORT', `${cmd} is not installed: iscsi-direct pools need libiscsi's tools`, { hint: 'apt-get install libiscsi-bin', cause: e });
  }
}

const unsupported = (what: string): VireoError => VireoError.of('NO_SUPPORT', `this function is not supported by the connection driver: ${what}`);

/** The libiscsi URL of the portal or of one LUN (the IPv6 form in brackets, as libiscsi wants). */
function url(c: Conn, lun?: number): string {
  const base = `iscsi://${portalOf(c.host, c.port)}`;
  return lun === undefined ? base : `${base}/${c.target}/${lun}`;
}

export class IscsiDirectBackend implements PoolBackend {
  readonly type = 'iscsi-direct' as const;

  async build(): Promise<void> {
    // libvirt builds nothing for an iscsi-direct pool: the target exists or it does not.
  }

  async start(): Promise<void> {
    // Nothing to set up: the refresh that follows a start logs in and reads the LUNs, and its
    // failure (target down, unknown target) is the start's.
  }

  async stop(): Promise<void> {
    // No session stays open between refreshes; QEMU's sessions are the guests'.
  }

  async delete(): Promise<void> {
    throw unsupported('pool does not support pool deletion');
  }

  async refresh(def: PoolDef): Promise<PoolScan> {
    const c = connOf(def);
    const portal = portalOf(c.host, c.port);
    const listed = await tool('iscsi-ls', ['-s', '-i', c.initiator, url(c)]);
    if (listed.code !== 0) {
      throw VireoError.of('STORAGE_FAILED', `cannot reach iSCSI portal ${portal} of pool '${def.name}': ${reasonOf(listed)}`, {
        hint: 'check that the target is running and that this host may connect to it',
      });
    }
    const luns = parseIscsiLs(listed.stdout, c.target);
    if (luns === undefined) {
      throw VireoError.of('STORAGE_FAILED', `iSCSI portal ${portal} has no target '${c.target}' for initiator '${c.initiator}' (pool '${def.name}')`);
    }
    const volumes: VolumeDef[] = [];
    for (const { lun, type } of luns) {
      // As libvirt: every LUN is a volume, and only a disk LUN has a size.
      const capacity = type === 'DIRECT_ACCESS' ? await this.capacity(c, lun) : 0;
      const key = `ip-${portal}-iscsi-${c.target}-lun-${lun}`;
      volumes.push({ name: `${VOL_PREFIX}${lun}`, type: 'network', key, capacity, allocation: capacity, target: { path: key } });
    }
    volumes.sort((a, b) => (lunOfVolume(a.name) ?? 0) - (lunOfVolume(b.name) ?? 0));
    const total = volumes.reduce((sum, v) => sum + (v.capacity ?? 0), 0);
    return { sizes: { capacity: total, allocation: total, available: 0 }, volumes };
  }

  private async capacity(c: Conn, lun: number): Promise<number> {
    const r = await tool('iscsi-readcapacity16', ['-s', '-i', c.initiator, url(c, lun)]);
    const bytes = Number(r.stdout.trim());
    if (r.code !== 0 || !Number.isSafeInteger(bytes)) {
      throw VireoError.of('STORAGE_FAILED', `cannot read the capacity of LUN ${lun} of iSCSI target '${c.target}': ${reasonOf(r)}`);
    }
    return bytes;
  }

  async volumeInfo(def: PoolDef, name: string): Promise<VolumeDef> {
    const vol = (await this.refresh(def)).volumes.find((v) => v.name === name);
    if (vol === undefined) throw VireoError.of('NO_STORAGE_VOL', `no storage vol with matching name '${name}'`);
    return vol;
  }

  async createVolume(): Promise<void> {
    throw unsupported('storage pool does not support volume creation');
  }

  async createVolumeFrom(): Promise<void> {
    throw unsupported('storage pool does not support volume creation from an existing volume');
  }

  async deleteVolume(): Promise<void> {
    throw unsupported('storage pool does not support vol deletion');
  }

  async resizeVolume(): Promise<void> {
    throw unsupported('storage pool does not support changing of volume capacity');
  }

  /** find-storage-pool-sources: the targets the portal in `spec` offers the initiator in `spec` (iSCSI discovery). */
  async findSources(spec: PoolSource): Promise<PoolSource[]> {
    if (spec.hosts.length === 0) throw VireoError.of('INVALID_ARG', 'hostname must be specified for iscsi sources');
    const host = spec.hosts[0];
    if (host === undefined || spec.hosts.length !== 1) throw VireoError.of('CONFIG_UNSUPPORTED', 'Expected exactly 1 host for the storage pool');
    const initiator = spec.initiatorIqn;
    if (initiator === undefined) throw VireoError.of('CONFIG_UNSUPPORTED', 'missing initiator IQN');
    const port = host.port ?? DEFAULT_PORT;
    const r = await tool('iscsi-ls', ['-i', initiator, url({ host: host.name, port, target: '', initiator })]);
    if (r.code !== 0) throw VireoError.of('STORAGE_FAILED', `cannot reach iSCSI portal ${portalOf(host.name, port)}: ${reasonOf(r)}`);
    const targets = [...new Set(r.stdout.split('\n').flatMap((l) => /^Target:(\S+)\s/.exec(l)?.[1] ?? []))];
    return targets.map((t) => ({ hosts: [{ name: host.name, port }], devices: [{ path: t }], initiatorIqn: initiator }));
  }

  async wipeVolume(def: PoolDef, vol: VolumeDef, algorithm: WipeAlgorithm): Promise<void> {
    // As libvirt's iscsi-direct backend: zeros only, the others named by their number.
    if (algorithm !== 'zero') throw VireoError.of('INVALID_ARG', `invalid argument: unsupported algorithm ${WIPE_ALGORITHMS.indexOf(algorithm)}`);
    // Zeros over the whole LUN, as libvirt's zero algorithm, written by QEMU's own iSCSI
    // initiator (WRITE SAME where the target has it).
    const { host, port, target, lun, initiator } = iscsiLunOf(def, vol);
    const image = `driver=iscsi,portal=${portalOf(host, port)},target=${target},lun=${lun},transport=tcp,initiator-name=${initiator}`;
    const r = await tool('qemu-io', ['--image-opts', '-c', `write -z 0 ${vol.capacity ?? 0}`, image]);
    if (r.code !== 0 || /error|failed/i.test(r.stdout)) {
      throw VireoError.of('STORAGE_FAILED', `failed to write to LUN ${lun}: ${reasonOf(r)}`);
    }
  }
}
