/**
 * qemu-img, the image tool: volume facts from `qemu-img info --output=json` (parsed at the edge
 * into typed values), and create/convert/resize as libvirt runs them. Its failures become
 * STORAGE_FAILED errors carrying qemu-img's own reason, as libvirt reports them.
 */
import { VireoError } from '../api/errors.js';
import { run } from '../util/proc.js';

export interface ImageInfo {
  format: string;
  virtualSize: number;
  clusterSize?: number;
  backingFile?: string;
  backingFormat?: string;
  compat?: string;
}

async function qemuImg(args: readonly string[], timeoutMs = 600_000): Promise<string> {
  let r;
  try {
    r = await run('qemu-img', args, { timeoutMs });
  } catch (e) {
    throw VireoError.of('NO_SUPPORT', 'qemu-img is not installed', { hint: 'apt-get install qemu-utils', cause: e });
  }
  if (r.code !== 0) {
    const reason = (r.stderr.trim() || r.stdout.trim()).split('\n').join(' ');
    throw VireoError.of('STORAGE_FAILED', `internal error: Child process (qemu-img ${args.join(' ')}) unexpected exit status ${r.code ?? r.signal ?? '?'}: ${reason}`);
  }
  return r.stdout;
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const text = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** Facts of one image; -U reads an image a running guest holds open. */
export async function imageInfo(path: string): Promise<ImageInfo> {
  const out = await qemuImg(['info', '-U', '--output=json', path], 30_000);
  let v: unknown;
  try {
    v = JSON.parse(out);
  } catch (e) {
    throw VireoError.of('INTERNAL', `qemu-img info of '${path}' printed no JSON`, { cause: e });
  }
  if (typeof v !== 'object' || v === null) throw VireoError.of('INTERNAL', `qemu-img info of '${path}' printed an unexpected reply`);
  const o = v as Record<string, unknown>;
  const format = text(o.format);
  const virtualSize = num(o['virtual-size']);
  if (format === undefined || virtualSize === undefined) throw VireoError.of('INTERNAL', `qemu-img info of '${path}' has no format or size`);
  const info: ImageInfo = { format, virtualSize };
  const cluster = num(o['cluster-size']);
  if (cluster !== undefined && format === 'qcow2') info.clusterSize = cluster;
  const backing = text(o['full-backing-filename']) ?? text(o['backing-filename']);
  if (backing !== undefined) info.backingFile = backing;
  const bfmt = text(o['backing-filename-format']);
  if (bfmt !== undefined) info.backingFormat = bfmt;
  const spec = o['format-specific'];
  if (typeof spec === 'object' && spec !== null) {
    const data = (spec as Record<string, unknown>).data;
    if (typeof data === 'object' && data !== null) {
      const compat = text((data as Record<string, unknown>).compat);
      if (compat !== undefined) info.compat = compat;
    }
  }
  return info;
}

export interface CreateImage {
  path: string;
  format: string;
  capacity: number;
  backing?: { path: string; format: string };
  preallocation?: 'metadata' | 'falloc';
  compat?: string;
  clusterSize?: number;
  lazyRefcounts?: boolean;
}

/** `qemu-img create` with libvirt's options (qcow2 compat 0.10 unless asked otherwise). */
export async function createImage(c: CreateImage): Promise<void> {
  const opts: string[] = [];
  if (c.preallocation !== undefined) opts.push(`preallocation=${c.preallocation}`);
  if (c.format === 'qcow2') {
    opts.push(`compat=${c.compat ?? (c.lazyRefcounts === true ? '1.1' : '0.10')}`);
    if (c.clusterSize !== undefined) opts.push(`cluster_size=${c.clusterSize}`);
    if (c.lazyRefcounts === true) opts.push('lazy_refcounts=on');
  }
  const args = ['create', '-f', c.format];
  if (c.backing !== undefined) args.push('-b', c.backing.path, '-F', c.backing.format);
  if (opts.length > 0) args.push('-o', opts.join(','));
  // libvirt passes KiB; qemu-img rounds a qcow2 up to 512 bytes anyway.
  args.push(c.path, `${Math.ceil(c.capacity / 1024)}K`);
  await qemuImg(args);
}

/** Copy an image into a new file, sparse, optionally changing its format (flattens a backing chain). */
export async function convertImage(src: { path: string; format: string }, dst: { path: string; format: string; compat?: string; preallocMetadata?: boolean }): Promise<void> {
  const args = ['convert', '-U', '-f', src.format, '-O', dst.format];
  if (dst.format === 'qcow2') args.push('-o', `compat=${dst.compat ?? '0.10'}${dst.preallocMetadata === true ? ',preallocation=metadata' : ''}`);
  args.push(src.path, dst.path);
  await qemuImg(args);
}

/** `qemu-img resize`; shrinking needs `shrink`. */
export async function resizeImage(path: string, format: string, capacity: number, shrink: boolean): Promise<void> {
  await qemuImg(['resize', '-f', format, ...(shrink ? ['--shrink'] : []), path, String(capacity)]);
}

/** `qemu-img snapshot`: create (-c), apply (-a) or delete (-d) an internal snapshot of a qcow2 image nobody has open. */
export async function internalSnapshot(path: string, op: 'create' | 'apply' | 'delete', name: string): Promise<void> {
  const flag = op === 'create' ? '-c' : op === 'apply' ? '-a' : '-d';
  await qemuImg(['snapshot', flag, name, path]);
}
