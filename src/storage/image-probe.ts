/**
 * Reading an image's header ourselves, as libvirt does, rather than spawning `qemu-img info` per
 * volume: a pool of 1000 volumes would otherwise cost 1000 processes at every refresh. qcow2
 * headers are parsed here (version, size, cluster size, backing file and its format from the
 * header extension, encryption, compat and lazy refcounts); a file with no magic QEMU knows is
 * raw, as QEMU's probe decides. Anything else (qcow v1, qed, vmdk, vdi, vpc, vhdx, luks, dmg,
 * bochs, cloop, parallels, a qcow2 we cannot vouch for) returns undefined and the caller asks
 * qemu-img, so its answer stays the reference.
 */
import { closeSync, openSync, promises as fs, readSync } from 'node:fs';
import type { ImageInfo } from './qemu-img.js';

/** What the native probe found, beyond qemu-img's facts. */
export interface ProbedImage extends ImageInfo {
  /** qcow2 only: the header's version (2 or 3). */
  version?: number;
  /** qcow2 only: lazy refcounts (compatible feature bit 0, version 3). */
  lazyRefcounts?: boolean;
  /** qcow2 only: 'aes' or 'luks' when the image is encrypted. */
  encryption?: 'aes' | 'luks';
}

const QCOW_MAGIC = 0x514649fb; // 'QFI\xfb'
const EXT_END = 0;
const EXT_BACKING_FORMAT = 0xe2792aca;
/** QEMU reads this much of an image to probe its format (BLOCK_PROBE_BUF_SIZE). */
const PROBE_BYTES = 512;
/** Enough for the header, its extensions and the backing name of the qcow2 files qemu-img makes; more is read when needed. */
const FIRST_READ = 4096;
/** qcow2 incompatible features QEMU 7.2 knows: dirty, corrupt, external data file, compression type, extended L2. */
const KNOWN_INCOMPATIBLE = 0x1fn;

/** Magics of the formats qemu-img probes besides qcow2 and raw; any of them goes to qemu-img. */
function otherFormat(buf: Buffer, file: string): boolean {
  const at = (off: number, s: string): boolean => buf.length >= off + s.length && buf.toString('latin1', off, off + s.length) === s;
  if (at(0, 'QFI\xfb') || at(0, 'QED\0') || at(0, 'KDMV') || at(0, 'COWD') || at(0, 'conectix') || at(0, 'vhdxfile')) return true;
  if (at(0, 'LUKS\xba\xbe') || at(0, 'WithoutFreeSpace') || at(0, 'WithouFreSpacExt') || at(0, 'Bochs Virtual HD Image')) return true;
  if (at(0, '#!/bin/sh\n#V2.0 Format\n')) return true; // cloop
  if (buf.length >= 0x44 && buf.readUInt32LE(0x40) === 0xbeda107f) return true; // vdi
  // vmdk's text descriptor, and dmg, which QEMU also takes by its file name.
  if (buf.toString('latin1').includes('# Disk DescriptorFile')) return true;
  return file.endsWith('.dmg');
}

/**
 * The format an image's magic names, for an image qemu-img could not open (a damaged header, a
 * version it does not know): the volume is still listed, as what it says it is, so that it can
 * be looked at, wiped or deleted. 'raw' when no magic matches.
 */
export async function formatByMagic(file: string): Promise<string> {
  const fh = await fs.open(file, 'r');
  let buf: Buffer;
  try {
    buf = await readAt(fh, PROBE_BYTES);
  } finally {
    await fh.close();
  }
  const at = (s: string): boolean => buf.toString('latin1', 0, s.length) === s;
  const magics: [string, string][] = [['QFI\xfb', 'qcow2'], ['QED\0', 'qed'], ['KDMV', 'vmdk'], ['COWD', 'vmdk'], ['conectix', 'vpc'], ['vhdxfile', 'vhdx'], ['LUKS\xba\xbe', 'luks']];
  const hit = magics.find(([m]) => at(m));
  if (hit !== undefined) return hit[1];
  return buf.length >= 0x44 && buf.readUInt32LE(0x40) === 0xbeda107f ? 'vdi' : 'raw';
}

/** A parse that needs the first `more` bytes of the file rather than the first read's. */
interface More {
  more: number;
}
type Parse = ProbedImage | undefined | More;
/** Past this, a header is not one qemu-img makes: let qemu-img judge it. */
const MAX_READ = 4 * 1024 * 1024;

/** Parse a qcow2 header from the file's first bytes `buf`; undefined when qemu-img should judge. */
function qcow2(buf: Buffer, size: number): Parse {
  // Bytes up to `end` are needed: in `buf`, or ask for them (or, past the file's end, give up).
  const need = (end: number): 'ok' | 'more' | 'short' => (end <= buf.length ? 'ok' : buf.length < size ? 'more' : 'short');
  const header = need(104);
  if (header === 'short' && buf.length < 72) return undefined;
  const version = buf.readUInt32BE(4);
  if (version !== 2 && version !== 3) return undefined;
  const backingOffset = buf.readBigUInt64BE(8);
  const backingSize = buf.readUInt32BE(16);
  const clusterBits = buf.readUInt32BE(20);
  const virtualSize = buf.readBigUInt64BE(24);
  const crypt = buf.readUInt32BE(32);
  if (clusterBits < 9 || clusterBits > 21 || crypt > 2 || virtualSize > BigInt(Number.MAX_SAFE_INTEGER)) return undefined;
  const clusterSize = 2 ** clusterBits;
  let headerLength = 72;
  let lazyRefcounts = false;
  if (version === 3) {
    if (header !== 'ok') return header === 'more' ? { more: clusterSize } : undefined;
    if ((buf.readBigUInt64BE(72) & ~KNOWN_INCOMPATIBLE) !== 0n) return undefined;
    lazyRefcounts = (buf.readBigUInt64BE(80) & 1n) === 1n;
    headerLength = buf.readUInt32BE(100);
    if (headerLength < 104 || headerLength > clusterSize) return undefined;
  }
  // Header extensions run from the header's end to the backing name or the end of the first cluster.
  const extEnd = backingOffset > 0n && backingOffset < BigInt(clusterSize) ? Number(backingOffset) : clusterSize;
  let backingFormat: string | undefined;
  for (let off = headerLength; off + 8 <= extEnd;) {
    const n = need(off + 8);
    if (n !== 'ok') return n === 'more' ? { more: clusterSize } : undefined;
    const type = buf.readUInt32BE(off);
    const len = buf.readUInt32BE(off + 4);
    if (type === EXT_END) break;
    if (off + 8 + len > extEnd) return undefined;
    const d = need(off + 8 + len);
    if (d !== 'ok') return d === 'more' ? { more: clusterSize } : undefined;
    if (type === EXT_BACKING_FORMAT) backingFormat = buf.toString('latin1', off + 8, off + 8 + len);
    off += 8 + Math.ceil(len / 8) * 8;
  }
  const info: ProbedImage = { format: 'qcow2', virtualSize: Number(virtualSize), clusterSize, version, compat: version === 2 ? '0.10' : '1.1' };
  if (version === 3) info.lazyRefcounts = lazyRefcounts;
  if (crypt !== 0) info.encryption = crypt === 1 ? 'aes' : 'luks';
  if (backingOffset !== 0n && backingSize > 0) {
    if (backingSize > 1023 || backingOffset > BigInt(MAX_READ)) return undefined;
    const off = Number(backingOffset);
    const n = need(off + backingSize);
    if (n !== 'ok') return n === 'more' ? { more: off + backingSize } : undefined;
    // QEMU keeps the name as bytes; file names are UTF-8 on the hosts we run on.
    info.backingFile = buf.toString('utf8', off, off + backingSize);
    if (backingFormat !== undefined) info.backingFormat = backingFormat;
  }
  return info;
}

/** Decide from the file's first bytes (`buf`: as many as the file has, up to what was read). */
function parse(buf: Buffer, file: string, size: number): Parse {
  if (buf.length >= 4 && buf.readUInt32BE(0) === QCOW_MAGIC) return qcow2(buf, size);
  if (otherFormat(buf.subarray(0, PROBE_BYTES), file)) return undefined;
  return { format: 'raw', virtualSize: size };
}

const firstRead = (size: number): number => Math.min(FIRST_READ, Math.max(size, PROBE_BYTES));
const isMore = (p: Parse): p is More => p !== undefined && 'more' in p;

async function readAt(fh: fs.FileHandle, length: number): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(length);
  const { bytesRead } = await fh.read(buf, 0, length, 0);
  return buf.subarray(0, bytesRead);
}

function readAtSync(fd: number, length: number): Buffer {
  const buf = Buffer.allocUnsafe(length);
  return buf.subarray(0, readSync(fd, buf, 0, length, 0));
}

/**
 * Probe the regular file `file` of `size` bytes: qcow2 and raw natively, undefined for a format
 * left to qemu-img. Throws the file system's error (ENOENT, EACCES...) as fs does.
 */
export async function probeImage(file: string, size: number): Promise<ProbedImage | undefined> {
  const fh = await fs.open(file, 'r');
  try {
    let p = parse(await readAt(fh, firstRead(size)), file, size);
    if (isMore(p)) p = p.more > MAX_READ ? undefined : parse(await readAt(fh, p.more), file, size);
    return isMore(p) ? undefined : p;
  } finally {
    await fh.close();
  }
}

/**
 * probeImage without the thread pool: a few microseconds a file where the file system is local,
 * for refreshes of many volumes (see dir.ts); never for network file systems, where one call
 * may block.
 */
export function probeImageSync(file: string, size: number): ProbedImage | undefined {
  const fd = openSync(file, 'r');
  try {
    let p = parse(readAtSync(fd, firstRead(size)), file, size);
    if (isMore(p)) p = p.more > MAX_READ ? undefined : parse(readAtSync(fd, p.more), file, size);
    return isMore(p) ? undefined : p;
  } finally {
    closeSync(fd);
  }
}
