/**
 * Reading the small files of /proc, /sys and cgroupfs that statistics read per guest and per
 * thread on every call (domstats of 50 guests reads hundreds). fs.readFile sees their size as 0
 * and so allocates two 64 KiB buffers for each read, whatever the file holds: a domstats of 50
 * guests left ~100 MB of such garbage, which raised vireod's resident memory by several MiB that
 * it kept (glibc does not hand the freed space back). Here a file of a few hundred bytes costs a
 * few KiB, taken from Node's shared buffer pool.
 */
import { promises as fs } from 'node:fs';

/** Below Buffer.poolSize / 2: served from the shared pool rather than its own allocation. */
const FIRST = 4000;

/** The whole text of `file` (UTF-8); fails as fs.readFile does (ENOENT, EACCES...). */
export async function readSmallFile(file: string): Promise<string> {
  const fh = await fs.open(file, 'r');
  try {
    let buf = Buffer.allocUnsafe(FIRST);
    let n = 0;
    for (;;) {
      // position null: read on from where the last read ended, as these files expect.
      const { bytesRead } = await fh.read(buf, n, buf.length - n, null);
      if (bytesRead === 0) break;
      n += bytesRead;
      if (n === buf.length) {
        const bigger = Buffer.allocUnsafe(buf.length * 4);
        buf.copy(bigger, 0, 0, n);
        buf = bigger;
      }
    }
    return buf.toString('utf8', 0, n);
  } finally {
    await fh.close();
  }
}
