/**
 * save and restore: a running guest's state to a file and back (virsh save/restore, and managed
 * save through managed-save.ts).
 *
 * Save pauses the guest and has QEMU send its migration stream to a UNIX socket in the guest's run
 * directory, which vireod copies into the image file it opened (stream-sink.ts; QEMU gets no
 * rights on the user's directory, and no helper process sits in between as libvirt 9.0's
 * libvirt_iohelper does). The image starts
 * with a header carrying the domain XML (qemu/save-image.ts) whose magic is made final only once
 * the stream is complete and synced; any failure or abort removes the file and leaves the guest
 * running (or paused) as it was. Restore starts QEMU through the ordinary start path (start.ts:
 * taps, volumes, ports as any start) with -incoming defer and the image as an inherited
 * descriptor, which QEMU reads itself.
 */
import { closeSync, constants, open as openCb, promises as fs, read as readCb } from 'node:fs';
import path from 'node:path';
import { VireoError } from '../../api/errors.js';
import type { DomainDef } from '../../conf/domain-model.js';
import { formatDomainXml, parseDomainXml } from '../../conf/domain-xml.js';
import type { Monitor } from '../../qemu/monitor.js';
import { formatSaveHeader, parseSaveHeader, SAVE_HEADER_PROBE, SaveImageError, type SaveHeader } from '../../qemu/save-image.js';
import { logger } from '../../util/log.js';
import { Domain } from './domain.js';
import type { DomainHost } from './ops.js';
import { launch } from './start.js';
import { stopProcess } from './stop.js';
import { saveStatus } from './context.js';
import { listenInto, type StreamSink } from './stream-sink.js';

const log = logger('save');
const SAVE_SOCKET = 'save.sock';
const POLL_MS = 50;

export interface SaveOptions {
  /** A replacement domain XML for the image; it must describe the same guest (checkAbi). */
  xml?: string;
  running?: boolean;
  paused?: boolean;
  /** The job's name in messages and domjobinfo. */
  job?: string;
}

/** Write `ref`'s state into `file` and stop it (shut off, reason saved). */
export async function saveDomain(host: DomainHost, ref: string, file: string, opts: SaveOptions = {}): Promise<void> {
  const dom = host.lookup(ref);
  await dom.jobs.run(opts.job ?? 'save', 'long', async (job) => {
    const rt = dom.runtime;
    if (rt === undefined) throw VireoError.of('OPERATION_INVALID', 'domain is not running');
    const qmp = await host.qmp(dom);
    const xml = opts.xml === undefined ? formatDomainXml(rt.liveDef) : formatDomainXml(checkAbi(rt.liveDef, opts.xml));
    const wasRunning = dom.state === 'running';
    const resumeAfter = opts.running === true ? true : opts.paused === true ? false : wasRunning;
    const header = { running: resumeAfter, xml, complete: false, dataLength: 0 };
    const head = formatSaveHeader(header);

    const out = await openImage(file, dom.name);
    let sink: StreamSink | undefined;
    let paused = false;
    let done = false;
    try {
      // Not positional: the file offset moves past the header, where the stream copy writes.
      await out.write(head, 0, head.length, null);
      sink = await listenInto(path.join(rt.runDir, SAVE_SOCKET), out, head.length);
      if (wasRunning) {
        rt.pauseReason = 'saving';
        await qmp.stop();
        paused = true;
      }
      await qmp.setMigrationBandwidth(bandwidth());
      await qmp.migrate(`unix:${path.join(rt.runDir, SAVE_SOCKET)}`);
      await follow(qmp, job, dom.name, file, sink);
      const streamLength = await sink.done;
      // Complete: on disk first, then the header that says so.
      await out.datasync();
      const final = formatSaveHeader({ ...header, complete: true, dataLength: streamLength, dataOffset: head.length });
      await out.write(final, 0, 40, 0);
      await out.datasync();
      done = true;
    } catch (e) {
      log.warn(`${dom.name}: save to ${file} failed`, { error: String(e) });
      sink?.close();
      await out.close().catch(() => undefined);
      await fs.rm(file, { force: true }).catch(() => undefined);
      // The guest goes on as it was (its monitor may be gone if a destroy cut the job short).
      if (paused && !qmp.isClosed && dom.runtime === rt) {
        await qmp.cont().catch((err: unknown) => log.error(`${dom.name}: cannot resume after a failed save`, { error: String(err) }));
      }
      throw saveError(e, dom.name, file);
    } finally {
      if (done) await out.close();
    }
    await stopProcess(host.ctx, dom, 'saved');
  });
}

/** Open (create or truncate) the image file, with libvirt's words when that fails. */
async function openImage(file: string, name: string): Promise<fs.FileHandle> {
  try {
    return await fs.open(file, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC, 0o600);
  } catch (e) {
    throw new VireoError('OPERATION_FAILED', `Failed to create file '${file}': ${sysReason(e)}`, {
      cause: e, hint: `domain '${name}' goes on running; choose a directory vireod can write`,
    });
  }
}

/** The save (and dump) stream's cap: unlimited unless VIREO_SAVE_MAX_BANDWIDTH (bytes/s) says otherwise. */
export function bandwidth(): number {
  const v = Number(process.env.VIREO_SAVE_MAX_BANDWIDTH ?? '');
  // QEMU's own default is 32 MiB/s, far below what a disk takes.
  return Number.isInteger(v) && v > 0 ? v : Number.MAX_SAFE_INTEGER;
}

/** Wait for the migration to end, reporting progress; an abort cancels it. */
async function follow(qmp: Monitor, job: { signal: AbortSignal; progress(p: number, t: number): void }, name: string, file: string, sink: StreamSink): Promise<void> {
  let cancelled = false;
  for (;;) {
    // The copy into the file failed (ENOSPC...): QEMU learns it as a broken pipe; stop it first.
    const failed = sink.failure();
    if (failed !== undefined) {
      await qmp.migrateCancel().catch(() => undefined);
      throw failed;
    }
    if (job.signal.aborted && !cancelled) {
      cancelled = true;
      await qmp.migrateCancel();
    }
    const info = await qmp.queryMigrate();
    if (info.ram !== undefined) job.progress(info.ram.transferred, info.ram.total);
    switch (info.status) {
      case 'completed':
        if (cancelled) throw VireoError.of('OPERATION_ABORTED', `saving domain '${name}' was aborted on request`);
        return;
      case 'failed':
        throw new MigrationFailed(info.error ?? 'QEMU reports the migration failed');
      case 'cancelled':
        throw VireoError.of('OPERATION_ABORTED', `saving domain '${name}' to '${file}' was aborted on request`);
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

class MigrationFailed extends Error {}

function saveError(e: unknown, name: string, file: string): Error {
  if (e instanceof MigrationFailed) {
    if (/No space left|ENOSPC|Disk quota/i.test(e.message)) {
      return VireoError.of('NO_SPACE', `cannot save domain '${name}' to '${file}': No space left on device`, {
        hint: 'the partial image was removed; the guest goes on as before', cause: e,
      });
    }
    return VireoError.of('OPERATION_FAILED', `saving domain '${name}' to '${file}' failed: ${e.message}`, { cause: e });
  }
  if (isErrno(e, 'ENOSPC')) return VireoError.of('NO_SPACE', `cannot save domain '${name}' to '${file}': No space left on device`, { cause: e });
  if (isErrno(e)) return new VireoError('OPERATION_FAILED', `cannot save domain '${name}' to '${file}': ${sysReason(e)}`, { cause: e });
  return e instanceof Error ? e : new Error(String(e));
}

export interface RestoreOptions {
  xml?: string;
  running?: boolean;
  paused?: boolean;
}

/** Read an image's header (and XML), refusing a foreign, partial or truncated file. */
export async function readImage(file: string): Promise<SaveHeader> {
  let fh: fs.FileHandle;
  try {
    fh = await fs.open(file, 'r');
  } catch (e) {
    throw new VireoError('OPERATION_FAILED', `Failed to open file '${file}': ${sysReason(e)}`, { cause: e });
  }
  try {
    const { size } = await fh.stat();
    let want = SAVE_HEADER_PROBE;
    for (;;) {
      const buf = Buffer.alloc(Math.min(want, size));
      await fh.read(buf, 0, buf.length, 0);
      const h = parseSaveHeader(buf, size, file);
      if ('more' in h) want = h.more;
      else return h;
    }
  } catch (e) {
    if (e instanceof SaveImageError) throw VireoError.of('SAVE_IMAGE_INVALID', e.message);
    throw e;
  } finally {
    await fh.close();
  }
}

/** Start a domain from a save image. Returns the domain (created transient when it was unknown). */
export async function restoreDomain(host: DomainHost, file: string, opts: RestoreOptions = {}): Promise<Domain> {
  const header = await readImage(file);
  const def = imageDef(header, opts.xml);
  const existing = host.existing(def);
  if (existing !== undefined) {
    await existing.jobs.run('restore', 'short', async () => {
      if (existing.active) throw VireoError.of('OPERATION_INVALID', `domain '${existing.name}' is already active`);
      await restoreInto(host, existing, file, header, def, opts);
    });
    return existing;
  }
  const reservation = host.reserve(def.name, def.uuid);
  const dom = new Domain(def, false);
  try {
    await restoreInto(host, dom, file, header, def, opts);
  } catch (e) {
    reservation.release();
    throw e;
  }
  reservation.commit(dom);
  return dom;
}

/** The definition an image restores: its own, or `xml` when it describes the same guest. */
export function imageDef(header: SaveHeader, xml: string | undefined): DomainDef {
  const def = parseDomainXml(header.xml);
  return xml === undefined ? def : checkAbi(def, xml);
}

/** Start `dom` from the image (the caller holds the domain's job and checked it is shut off). */
export async function restoreInto(host: DomainHost, dom: Domain, file: string, header: SaveHeader, def: DomainDef, opts: { running?: boolean; paused?: boolean }): Promise<void> {
  const paused = opts.paused === true ? true : opts.running === true ? false : !header.running;
  // QEMU inherits the image as descriptor 3, positioned at the stream (read up to it here: the
  // offset is shared), and reads it itself: no copy through vireod.
  const fd = await openRaw(file, constants.O_RDONLY);
  try {
    await readFully(fd, header.dataOffset);
    await launch(host.ctx, dom, def, { paused, incoming: { passFds: [fd], feed: (qmp) => feed(qmp, file, 'fd:3') } });
  } finally {
    closeSync(fd);
  }
  await saveStatus(host.ctx, dom);
}

/** save-image-dumpxml: the XML an image holds (passwords only with `securityInfo`). */
export async function imageXml(file: string, opts: { securityInfo?: boolean }): Promise<string> {
  const header = await readImage(file);
  return formatDomainXml(parseDomainXml(header.xml), { omitSecrets: opts.securityInfo !== true });
}

/**
 * save-image-define: replace an image's XML (it must describe the same guest) and/or whether
 * restore resumes it. The header is rewritten in place when the XML still fits before the
 * stream; a longer one is refused rather than copying the whole stream.
 */
export async function defineImage(file: string, r: { xml: string; running?: boolean; paused?: boolean }): Promise<void> {
  const header = await readImage(file);
  const def = imageDef(header, r.xml);
  const xml = formatDomainXml(def);
  const running = r.running === true ? true : r.paused === true ? false : header.running;
  let buf: Buffer;
  try {
    buf = formatSaveHeader({ running, xml, complete: true, dataLength: header.dataLength, dataOffset: header.dataOffset });
  } catch {
    throw VireoError.of('OPERATION_FAILED', `new xml too large to fit in file '${file}'`);
  }
  const fh = await fs.open(file, 'r+');
  try {
    await fh.write(buf, 0, buf.length, 0);
    await fh.datasync();
  } finally {
    await fh.close();
  }
}

/** Wait until QEMU has read the whole stream from the image it inherited as `fd:N`. */
async function feed(qmp: Monitor, file: string, uri: string): Promise<void> {
  await qmp.migrateIncoming(uri);
  for (;;) {
    const info = await qmp.queryMigrate();
    if (info.status === 'completed') return;
    if (info.status === 'failed' || info.status === 'cancelled') {
      throw VireoError.of('SAVE_IMAGE_INVALID', `QEMU could not load the state in '${file}': ${info.error ?? info.status}`);
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

async function readFully(fd: number, n: number): Promise<void> {
  const buf = Buffer.alloc(Math.min(n, 1 << 20));
  let left = n;
  while (left > 0) {
    const bytesRead = await readRaw(fd, buf, Math.min(left, buf.length));
    if (bytesRead === 0) throw VireoError.of('SAVE_IMAGE_INVALID', 'save image ends inside its header');
    left -= bytesRead;
  }
}

/**
 * The definition `xml` gives, if it describes the same guest as `def` as far as the saved state
 * cares: the same name and UUID, memory, vCPUs, machine and the same devices in number. What
 * may differ is what QEMU's state does not hold (disk paths, NIC sources, title, description).
 */
export function checkAbi(def: DomainDef, xml: string): DomainDef {
  const next = parseDomainXml(xml);
  const bad = (what: string, a: unknown, b: unknown): never => {
    throw VireoError.of('CONFIG_UNSUPPORTED', `Target ${what} ${String(b)} does not match source ${String(a)}`);
  };
  if (next.uuid !== def.uuid) bad('domain uuid', def.uuid, next.uuid);
  if (next.name !== def.name) bad('domain name', `'${def.name}'`, `'${next.name}'`);
  if (next.memoryKiB !== def.memoryKiB) bad('domain max memory', def.memoryKiB, next.memoryKiB);
  if (next.vcpu.max !== def.vcpu.max) bad('domain vCPU max', def.vcpu.max, next.vcpu.max);
  if (next.os.machine !== def.os.machine) bad('domain machine type', def.os.machine, next.os.machine);
  const d = def.devices;
  const n = next.devices;
  if (n.disks.length !== d.disks.length) bad('domain disk count', d.disks.length, n.disks.length);
  if (n.interfaces.length !== d.interfaces.length) bad('domain network interface count', d.interfaces.length, n.interfaces.length);
  return next;
}

const openRaw = (file: string, flags: number): Promise<number> =>
  new Promise((resolve, reject) => openCb(file, flags, (e, fd) => (e === null ? resolve(fd) : reject(e))));

const readRaw = (fd: number, buf: Buffer, len: number): Promise<number> =>
  new Promise((resolve, reject) => readCb(fd, buf, 0, len, null, (e, n) => (e === null ? resolve(n) : reject(e))));

function isErrno(e: unknown, code?: string): e is NodeJS.ErrnoException {
  return e instanceof Error && typeof (e as NodeJS.ErrnoException).code === 'string' && (code === undefined || (e as NodeJS.ErrnoException).code === code);
}

/** The system's words for an errno failure ("No such file or directory"). */
function sysReason(e: unknown): string {
  if (!isErrno(e)) return String(e);
  const words: Record<string, string> = {
    ENOENT: 'No such file or directory', EACCES: 'Permission denied', EROFS: 'Read-only file system',
    ENOSPC: 'No space left on device', EISDIR: 'Is a directory', ENOTDIR: 'Not a directory', EPERM: 'Operation not permitted',
  };
  return words[e.code ?? ''] ?? e.message;
}
