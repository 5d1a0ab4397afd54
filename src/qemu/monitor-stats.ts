/**
 * The monitor commands of the statistics (vcpuinfo, domblkstat, dommemstat, domblkerror,
 * domstats): each runs one QMP command through Monitor.execute and parses the reply at the edge
 * into a typed value. The parsers are exported for the unit tests, which feed them replies
 * recorded from QEMU 7.2.
 */
import { VireoError } from '../api/errors.js';
import type { Monitor } from './monitor.js';

const rec = (v: unknown): Record<string, unknown> | undefined =>
  (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

function badReply(command: string): VireoError {
  return VireoError.of('QEMU_FAILED', `QEMU answered '${command}' with a reply vireo does not understand`);
}

/** One vCPU of query-cpus-fast: its index and the host thread that runs it. */
export interface VcpuThread {
  cpuIndex: number;
  threadId: number;
}

export function parseCpusFast(reply: unknown): VcpuThread[] {
  if (!Array.isArray(reply)) throw badReply('query-cpus-fast');
  return reply.flatMap((c) => {
    const r = rec(c);
    const cpuIndex = num(r?.['cpu-index']);
    const threadId = num(r?.['thread-id']);
    return cpuIndex === undefined || threadId === undefined ? [] : [{ cpuIndex, threadId }];
  }).sort((a, b) => a.cpuIndex - b.cpuIndex);
}

/** The vCPU threads of a running guest. */
export async function queryCpusFast(m: Monitor): Promise<VcpuThread[]> {
  return parseCpusFast(await m.execute('query-cpus-fast'));
}

/** One disk's counters from query-blockstats (the guest device's own, not its image node's). */
export interface BlockCounters {
  /** The guest device's QOM path (…/virtio-disk0/virtio-backend) or, for old -drive disks, ''. */
  qdev: string;
  /** The -drive id for old-style disks (drive-virtio-disk0), else ''. */
  device: string;
  rdReq: number;
  rdBytes: number;
  wrReq: number;
  wrBytes: number;
  flushReq: number;
  rdTimeNs: number;
  wrTimeNs: number;
  flushTimeNs: number;
  /** The highest offset written (libvirt's allocation of a running guest's disk). */
  wrHighestOffset: number;
}

export function parseBlockstats(reply: unknown): BlockCounters[] {
  if (!Array.isArray(reply)) throw badReply('query-blockstats');
  return reply.flatMap((b) => {
    const r = rec(b);
    const s = rec(r?.stats);
    if (r === undefined || s === undefined) return [];
    const n = (k: string): number => num(s[k]) ?? 0;
    return [{
      qdev: typeof r.qdev === 'string' ? r.qdev : '',
      device: typeof r.device === 'string' ? r.device : '',
      rdReq: n('rd_operations'), rdBytes: n('rd_bytes'), wrReq: n('wr_operations'), wrBytes: n('wr_bytes'),
      flushReq: n('flush_operations'), rdTimeNs: n('rd_total_time_ns'), wrTimeNs: n('wr_total_time_ns'),
      flushTimeNs: n('flush_total_time_ns'), wrHighestOffset: n('wr_highest_offset'),
    }];
  });
}

export async function queryBlockstats(m: Monitor): Promise<BlockCounters[]> {
  return parseBlockstats(await m.execute('query-blockstats'));
}

/** A disk's I/O status from query-block ('ok', 'failed' or 'nospace'; absent when QEMU keeps none). */
export interface BlockIoStatus {
  qdev: string;
  device: string;
  ioStatus?: 'ok' | 'failed' | 'nospace';
}

export function parseBlockIoStatus(reply: unknown): BlockIoStatus[] {
  if (!Array.isArray(reply)) throw badReply('query-block');
  return reply.flatMap((b) => {
    const r = rec(b);
    if (r === undefined) return [];
    const out: BlockIoStatus = { qdev: typeof r.qdev === 'string' ? r.qdev : '', device: typeof r.device === 'string' ? r.device : '' };
    const s = r['io-status'];
    if (s === 'ok' || s === 'failed' || s === 'nospace') out.ioStatus = s;
    return [out];
  });
}

export async function queryBlockIoStatus(m: Monitor): Promise<BlockIoStatus[]> {
  return parseBlockIoStatus(await m.execute('query-block'));
}

/** The balloon's size (query-balloon), bytes. */
export async function queryBalloon(m: Monitor): Promise<number> {
  const r = rec(await m.execute('query-balloon'));
  const actual = num(r?.actual);
  if (actual === undefined) throw badReply('query-balloon');
  return actual;
}

/** The QOM path of the balloon device vireo gives every virtio balloon (argv: id balloon0). */
export const BALLOON_PATH = '/machine/peripheral/balloon0';

/**
 * The guest's own memory statistics as the balloon driver last sent them, in bytes and counts,
 * keyed by QEMU's names (stat-free-memory, ...); unset values (QEMU reports 2^64 - 1 or leaves
 * them out) are left out. `lastUpdate` is 0 until the guest has sent any.
 */
export interface BalloonGuestStats {
  stats: Record<string, number>;
  lastUpdate: number;
}

export function parseBalloonGuestStats(reply: unknown): BalloonGuestStats {
  const r = rec(reply);
  const s = rec(r?.stats);
  if (r === undefined || s === undefined) throw badReply('qom-get guest-stats');
  const stats: Record<string, number> = {};
  for (const [k, v] of Object.entries(s)) {
    const n = num(v);
    // QEMU sends an unset statistic as -1 in a uint64: 2^64 - 1, which JSON reads as 2^64.
    if (n !== undefined && n >= 0 && n < 2 ** 63) stats[k] = n;
  }
  return { stats, lastUpdate: num(r['last-update']) ?? 0 };
}

export async function balloonGuestStats(m: Monitor): Promise<BalloonGuestStats> {
  return parseBalloonGuestStats(await m.execute('qom-get', { path: BALLOON_PATH, property: 'guest-stats' }));
}

/** Turn the balloon driver's statistics polling on (seconds) or off (0). */
export async function setBalloonStatsPeriod(m: Monitor, seconds: number): Promise<void> {
  await m.qomSet(BALLOON_PATH, 'guest-stats-polling-interval', seconds);
}

/** QEMU's dirty-page-rate measurement (query-dirty-rate), as domstats' dirtyrate group shows it. */
export interface DirtyRate {
  /** libvirt's numbers: 0 not started, 1 measuring, 2 measured. */
  status: number;
  startTime: number;
  periodS: number;
  mode: string;
  /** MiB/s, once measured. */
  rate?: number;
}

const DIRTY_STATUS: Record<string, number> = { unstarted: 0, measuring: 1, measured: 2 };

export function parseDirtyRate(reply: unknown): DirtyRate {
  const r = rec(reply);
  if (r === undefined || typeof r.status !== 'string') throw badReply('query-dirty-rate');
  const out: DirtyRate = {
    status: DIRTY_STATUS[r.status] ?? 0,
    startTime: num(r['start-time']) ?? 0,
    periodS: num(r['calc-time']) ?? 0,
    mode: typeof r.mode === 'string' ? r.mode : 'page-sampling',
  };
  const rate = num(r['dirty-rate']);
  if (rate !== undefined) out.rate = rate;
  return out;
}

export async function queryDirtyRate(m: Monitor): Promise<DirtyRate> {
  return parseDirtyRate(await m.execute('query-dirty-rate'));
}
