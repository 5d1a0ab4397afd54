// The save image header (qemu/save-image.ts): what it writes, and what it refuses to read.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dataOffsetFor, formatSaveHeader, parseSaveHeader, SAVE_ALIGN, SaveImageError } from '../../src/qemu/save-image.js';

const XML = "<domain type='qemu'><name>g</name></domain>\n";

/** A whole image: the header plus `stream` bytes of QEMU's stream. */
function image(stream: number, o: { running?: boolean; complete?: boolean; xml?: string } = {}): Buffer {
  const h = formatSaveHeader({ running: o.running ?? true, xml: o.xml ?? XML, complete: o.complete ?? true, dataLength: stream });
  return Buffer.concat([h, Buffer.alloc(stream, 0x5a)]);
}

const parse = (b: Buffer): ReturnType<typeof parseSaveHeader> => parseSaveHeader(b.subarray(0, SAVE_ALIGN), b.length, 'f.save');

test('a complete image gives back its XML, running flag and the stream\'s place', () => {
  const b = image(10_000, { running: false });
  assert.equal(b.subarray(0, 16).toString('latin1'), 'VireoSaveImage\0\0');
  assert.deepEqual(parse(b), { running: false, xml: XML, dataOffset: SAVE_ALIGN, dataLength: 10_000, complete: true });
  assert.equal((parse(image(1)) as { running: boolean }).running, true);
});

test('the stream starts on a 4 KiB boundary after the XML, however long the XML', () => {
  assert.equal(dataOffsetFor(XML), 4096);
  const long = `<domain>${'x'.repeat(5000)}</domain>`;
  assert.equal(dataOffsetFor(long), 8192);
  const b = image(3, { xml: long });
  // The first 4 KiB do not hold all of it: the reader is told how much to read.
  assert.deepEqual(parse(b), { more: 40 + Buffer.byteLength(long) });
  assert.equal((parseSaveHeader(b.subarray(0, 8192), b.length, 'f') as { xml: string }).xml, long);
});

test('a header can be rewritten in place with a shorter XML, not with one that does not fit', () => {
  const b = formatSaveHeader({ running: true, xml: 'short', complete: true, dataLength: 0, dataOffset: 8192 });
  assert.equal(b.length, 8192);
  assert.throws(() => formatSaveHeader({ running: true, xml: 'x'.repeat(5000), complete: true, dataLength: 0, dataOffset: 4096 }), RangeError);
});

test('an image whose save did not finish is refused', () => {
  assert.throws(() => parse(image(100, { complete: false })), { name: 'SaveImageError', message: "save image 'f.save' is incomplete: the save that wrote it did not finish" });
});

test('a truncated image, or one with bytes after its stream, is refused', () => {
  const b = image(10_000);
  assert.throws(() => parse(b.subarray(0, b.length - 1)), { message: `save image 'f.save' is truncated: ${b.length - 1} bytes, the header promises ${b.length}` });
  assert.throws(() => parse(b.subarray(0, 20)), { message: "'f.save' is not a vireo save image: it is 20 bytes long, shorter than a save image header" });
  assert.throws(() => parse(Buffer.concat([b, Buffer.alloc(7)])), { message: "save image 'f.save' is damaged: 7 bytes more than its header says" });
});

test('foreign files are refused by their magic; libvirt\'s images are named', () => {
  assert.throws(() => parse(Buffer.alloc(5000)), { message: "'f.save' is not a vireo save image: unknown magic" });
  const lv = Buffer.concat([Buffer.from('LibvirtQemudSave'), Buffer.alloc(5000)]);
  assert.throws(() => parse(lv), { message: "'f.save' is not a vireo save image: unknown magic (it is libvirt's save image format)" });
});

test('another version, or a damaged layout, is refused', () => {
  const b = image(10);
  const v2 = Buffer.from(b);
  v2.writeUInt32LE(2, 16);
  assert.throws(() => parse(v2), { message: "save image 'f.save' has version 2; this vireo reads version 1" });
  const odd = Buffer.from(b);
  odd.writeUInt32LE(4095, 28);
  assert.throws(() => parse(odd), (e: unknown) => e instanceof SaveImageError && /damaged header/.test(e.message));
});
