/**
 * vol-upload and vol-download in the daemon: the volume's lock is held for the whole transfer
 * (no create-from, wipe, resize or delete of it meanwhile), a volume that is a running guest's
 * disk is not written, and an upload cut off half-way marks the volume (marks.ts) rather than
 * leaving it looking whole.
 *
 * Why a mark and not a temporary copy renamed into place: an upload writes part of a volume
 * (--offset, --length) as libvirt's does, in place, at the disk's speed; a copy would double
 * the I/O and the space of every upload. The bytes written before the cut stay written (there
 * is no old content to put back), and the volume says so until it is uploaded again whole,
 * wiped or deleted: vol-info shows it, vol-download and vol-clone refuse it.
 */
import type { Readable } from 'node:stream';
import type { VolumeSummary } from '../../api/types.js';
import { VireoError } from '../../api/errors.js';
import { readRaw, readSparse, readableRange, writeUpload, type WriteProgress } from '../../storage/volume-io.js';
import { logger } from '../../util/log.js';
import type { VolumeService } from './volumes.js';
import { statFacts } from '../../storage/files.js';

const log = logger('storage');

export interface TransferOptions {
  offset: number;
  /** 0 or undefined: to the end (download), or all the source has (upload). */
  length?: number;
  sparse: boolean;
}

/**
 * Where a download goes: called once the volume is locked and checked, with the number of
 * bytes of the range and the body; resolves when the body is sent (or the receiver is gone).
 * The body recycles its buffers: a chunk must be sent before the one after next is pulled
 * (util/write-in-turn.ts does that).
 */
export type DownloadSink = (count: number, body: AsyncIterable<Uint8Array>) => Promise<void>;

const noVol = (ref: string): VireoError => VireoError.of('NO_STORAGE_VOL', `no storage vol with matching path '${ref}'`);

/** Write `src` into the volume; `accepted` is called once the volume is checked, before `src` is read. */
export async function upload(vs: VolumeService, poolRef: string | undefined, ref: string, o: TransferOptions, src: Readable, accepted?: () => void): Promise<VolumeSummary> {
  const { pool, vol } = vs.resolve(poolRef, ref);
  return pool.volumeSerial(vol.name, async () => {
    const current = pool.volumes.get(vol.name);
    if (current?.target.path === undefined) throw noVol(ref);
    const file = current.target.path;
    vs.requireUnused(pool, current, 'upload into');
    const size = (await statFacts(file)).size;
    if (o.offset > size) {
      throw VireoError.of('INVALID_ARG', `offset ${o.offset} is beyond the end of volume '${current.name}' (${size} bytes)`);
    }
    const progress: WriteProgress = { touched: false, covered: 0 };
    accepted?.();
    try {
      await writeUpload(file, src, o, progress);
    } catch (e) {
      if (progress.touched) {
        const what = `an upload at offset ${o.offset} was cut off after ${progress.covered} bytes (${new Date().toISOString()})`;
        log.warn('volume upload failed half-way; marked incomplete', { volume: file, covered: progress.covered, error: e instanceof Error ? e.message : String(e) });
        await vs.deps.marks.set(file, what).catch((err: unknown) => log.error('cannot record a cut-off upload', { volume: file, error: String(err) }));
        await vs.record(pool, current.name).catch(() => undefined);
      }
      throw e;
    }
    // Only an upload that starts at 0 and runs to its end rewrites what a cut left behind: a
    // later partial one does not make the volume whole.
    if (o.offset === 0) await vs.clearMark(current);
    return vs.record(pool, current.name);
  });
}

export async function download(vs: VolumeService, poolRef: string | undefined, ref: string, o: TransferOptions, sink: DownloadSink): Promise<void> {
  const { pool, vol } = vs.resolve(poolRef, ref);
  await pool.volumeSerial(vol.name, async () => {
    const current = pool.volumes.get(vol.name);
    if (current?.target.path === undefined) throw noVol(ref);
    vs.requireWhole(current, 'download');
    const file = current.target.path;
    const count = await readableRange(file, o.offset, o.length);
    await sink(count, o.sparse ? readSparse(file, o.offset, count) : count === 0 ? emptyBody() : readRaw(file, o.offset, count));
  });
}

async function* emptyBody(): AsyncGenerator<Uint8Array> {
  // nothing: a range at or past the end of the file (libvirt sends an empty stream too)
}
