/**
 * vireo's save image: a header that carries the domain XML, then QEMU's migration stream.
 *
 *   0  magic       16 bytes  "VireoSaveImage\0\0" when complete, "VireoSavePartial" while written
 *  16  version     u32 LE    1
 *  20  flags       u32 LE    bit 0: the guest was running (restore resumes it)
 *  24  xmlLength   u32 LE    bytes of UTF-8 XML at offset 40
 *  28  dataOffset  u32 LE    where QEMU's stream starts: a multiple of 4 KiB (page-aligned for
 *                            O_DIRECT and so the XML can be edited in place when it still fits)
 *  32  dataLength  u64 LE    bytes of QEMU's stream, written last with the final magic
 *  40  XML, then zeros up to dataOffset
 *
 * The magic becomes final only after the stream is complete and on disk, so a save cut short
 * (out of space, aborted, daemon killed) never looks valid; the recorded stream length lets a
 * restore refuse a truncated copy before it starts QEMU. Pure: the I/O is the caller's.
 */
export const SAVE_MAGIC = 'VireoSaveImage\0\0';
export const SAVE_MAGIC_PARTIAL = 'VireoSavePartial';
export const SAVE_VERSION = 1;
export const SAVE_ALIGN = 4096;
const FIXED = 40;

export interface SaveHeader {
  running: boolean;
  xml: string;
  dataOffset: number;
  dataLength: number;
  complete: boolean;
}

/** The dataOffset a header with this XML needs. */
export function dataOffsetFor(xml: string): number {
  const len = FIXED + Buffer.byteLength(xml, 'utf8');
  return Math.ceil((len + 1) / SAVE_ALIGN) * SAVE_ALIGN;
}

/** The header bytes (dataOffset long). `dataOffset` may be given larger to keep an image's layout. */
export function formatSaveHeader(h: { running: boolean; xml: string; complete: boolean; dataLength: number; dataOffset?: number }): Buffer {
  const xml = Buffer.from(h.xml, 'utf8');
  const need = dataOffsetFor(h.xml);
  const dataOffset = h.dataOffset ?? need;
  if (dataOffset < need) throw new RangeError(`the XML (${xml.length} bytes) does not fit before offset ${dataOffset}`);
  const buf = Buffer.alloc(dataOffset);
  buf.write(h.complete ? SAVE_MAGIC : SAVE_MAGIC_PARTIAL, 0, 'latin1');
  buf.writeUInt32LE(SAVE_VERSION, 16);
  buf.writeUInt32LE(h.running ? 1 : 0, 20);
  buf.writeUInt32LE(xml.length, 24);
  buf.writeUInt32LE(dataOffset, 28);
  buf.writeBigUInt64LE(BigInt(h.dataLength), 32);
  xml.copy(buf, FIXED);
  return buf;
}

/** How many bytes parseSaveHeader needs to see, given the first FIXED (or more) bytes. */
export const SAVE_HEADER_PROBE = SAVE_ALIGN;

/**
 * Read a header from the start of a file (`head`: at least its first 4 KiB, or the whole file
 * when shorter) of `fileSize` bytes. Throws SaveImageError saying what is wrong (a partial image
 * included). `more` is how many header bytes are needed when `head`
 * holds too few (a very long XML).
 */
export function parseSaveHeader(head: Buffer, fileSize: number, file: string): SaveHeader | { more: number } {
  if (head.length < FIXED) throw new SaveImageError(`'${file}' is not a vireo save image: it is ${fileSize} bytes long, shorter than a save image header`);
  const magic = head.toString('latin1', 0, 16);
  if (magic === SAVE_MAGIC_PARTIAL) throw new SaveImageError(`save image '${file}' is incomplete: the save that wrote it did not finish`);
  if (magic !== SAVE_MAGIC) {
    const libvirt = magic === 'LibvirtQemudSave' || magic === 'LibvirtQemudPart' ? " (it is libvirt's save image format)" : '';
    throw new SaveImageError(`'${file}' is not a vireo save image: unknown magic${libvirt}`);
  }
  const version = head.readUInt32LE(16);
  if (version !== SAVE_VERSION) throw new SaveImageError(`save image '${file}' has version ${version}; this vireo reads version ${SAVE_VERSION}`);
  const xmlLength = head.readUInt32LE(24);
  const dataOffset = head.readUInt32LE(28);
  const dataLength = Number(head.readBigUInt64LE(32));
  if (dataOffset % SAVE_ALIGN !== 0 || FIXED + xmlLength >= dataOffset) throw new SaveImageError(`save image '${file}' has a damaged header`);
  if (fileSize < dataOffset + dataLength) {
    throw new SaveImageError(`save image '${file}' is truncated: ${fileSize} bytes, the header promises ${dataOffset + dataLength}`);
  }
  if (fileSize > dataOffset + dataLength) throw new SaveImageError(`save image '${file}' is damaged: ${fileSize - dataOffset - dataLength} bytes more than its header says`);
  if (head.length < FIXED + xmlLength) return { more: FIXED + xmlLength };
  const xml = head.toString('utf8', FIXED, FIXED + xmlLength);
  return { running: (head.readUInt32LE(20) & 1) === 1, xml, dataOffset, dataLength, complete: true };
}

/** A save image that cannot be used, with the reason in the message. */
export class SaveImageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SaveImageError';
  }
}
