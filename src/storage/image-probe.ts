/**
 * Reading an image's header ourselves, as libvirt does, rather than spawning `qemu-img info` per
 * volume: a pool of 1000 volumes would otherwise cost 1000 processes at every refresh. qcow2
 * headers are parsed here (version, size, cluster size, backing file and its format from the
 * header extension, encryption, compat and lazy refcounts); a file with no magic QEMU knows is
 * raw, as QEMU's probe decides. Anything else (qcow v1, qed, vmdk, vdi, vpc, vhdx, luks, dmg,
 * bochs, cloop, parallels, a qcow2 we cannot vouch for) returns undefined and the caller asks
 * qemu-img, so its answer stays the reference.
 */
import { promises as fs } from 'node:fs';
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
/** Enough for the header, its extensions and the backing name of every qcow2 qemu-img makes. */
const FIRST_READ = 64 * 1024;
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

async function readAt(fh: fs.FileHandle, offset: number, length: number): Promise<Buffer> {
  const buf = Buffer.alloc(length);
  const { bytesRead } = await fh.read(buf, 0, length, offset);
  return buf.subarray(0, bytesRead);
}

/** Parse a qcow2 header (and read what lies past `head` if needed); undefined when qemu-img should judge. */
async function qcow2(fh: fs.FileHandle, head: Buffer): Promise<ProbedImage | undefined> {
  if (head.length < 72) return undefined;
  const version = head.readUInt32BE(4);
  if (version !== 2 && version !== 3) return undefined;
  const backingOffset = head.readBigUInt64BE(8);
  const backingSize = head.readUInt32BE(16);
  const clusterBits = head.readUInt32BE(20);
  const size = head.readBigUInt64BE(24);
  const crypt = head.readUInt32BE(32);
  if (clusterBits < 9 || clusterBits > 21 || crypt > 2 || size > BigInt(Number.MAX_SAFE_INTEGER)) return undefined;
  const clusterSize = 2 ** clusterBits;
  let headerLength = 72;
  let lazyRefcounts = false;
  if (version === 3) {
    if (head.length < 104) return undefined;
    if ((head.readBigUInt64BE(72) & ~KNOWN_INCOMPATIBLE) !== 0n) return undefined;
    lazyRefcounts = (head.readBigUInt64BE(80) & 1n) === 1n;
    headerLength = head.readUInt32BE(100);
    if (headerLength < 104 || headerLength > clusterSize) return undefined;
  }
  // Header extensions run from the header's end to the end of the first cluster.
  const first = head.length >= clusterSize ? head : await readAt(fh, 0, clusterSize);
  const extEnd = Math.min(first.length, clusterSize, backingOffset > 0n && backingOffset < BigInt(clusterSize) ? Number(backingOffset) : clusterSize);
  let backingFormat: string | undefined;
  for (let off = headerLength; off + 8 <= extEnd;) {
    const type = first.readUInt32BE(off);
    const len = first.readUInt32BE(off + 4);
    if (type === EXT_END) break;
    if (off + 8 + len > extEnd) return undefined;
    if (type === EXT_BACKING_FORMAT) backingFormat = first.toString('latin1', off + 8, off + 8 + len);
    off += 8 + Math.ceil(len / 8) * 8;
  }
  const info: ProbedImage = { format: 'qcow2', virtualSize: Number(size), clusterSize, version, compat: version === 2 ? '0.10' : '1.1' };
  if (version === 3) info.lazyRefcounts = lazyRefcounts;
  if (crypt !== 0) info.encryption = crypt === 1 ? 'aes' : 'luks';
  if (backingOffset !== 0n && backingSize > 0) {
    if (backingSize > 1023 || backingOffset > BigInt(Number.MAX_SAFE_INTEGER)) return undefined;
    const off = Number(backingOffset);
    const name = off + backingSize <= first.length ? first.subarray(off, off + backingSize) : await readAt(fh, off, backingSize);
    if (name.length !== backingSize) return undefined;
    // QEMU keeps the name as bytes; file names are UTF-8 on the hosts we run on.
    info.backingFile = name.toString('utf8');
    if (backingFormat !== undefined) info.backingFormat = backingFormat;
  }
  return info;
}

/**
 * Probe the regular file `file` of `size` bytes: qcow2 and raw natively, undefined for a format
 * left to qemu-img. Throws the file system's error (ENOENT, EACCES...) as fs does.
 */
export async function probeImage(file: string, size: number): Promise<ProbedImage | undefined> {
  const fh = await fs.open(file, 'r');
  try {
    const head = await readAt(fh, 0, Math.min(FIRST_READ, Math.max(size, PROBE_BYTES)));
    if (head.length >= 4 && head.readUInt32BE(0) === QCOW_MAGIC) return await qcow2(fh, head);
    if (otherFormat(head.subarray(0, PROBE_BYTES), file)) return undefined;
    return { format: 'raw', virtualSize: size };
  } finally {
    await fh.close();
  }
}
