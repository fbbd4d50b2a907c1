/**
 * The shared element walker on hand-built bytes (every header layout, items, undefined lengths, UN holding implicit
 * VR, fragments, depth) and on files written by the node's own writer and by dcmjs.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bufferSource, fileSource } from '../../src/dicom/byte-source';
import { ITEM, ITEM_DELIM, PIXEL_DATA, SEQ_DELIM, SopClass, TransferSyntax, UNDEFINED_LENGTH } from '../../src/dicom/constants';
import {
  encodingOf,
  EXPLICIT_LE,
  IMPLICIT_LE,
  newElementHeader,
  readElementHeader,
  readFileMeta,
  walkElements,
  walkFragments,
  type Encoding,
} from '../../src/dicom/element-walker';
import { DicomParseError, writeP10 } from '../../src/dicom/p10';
import { writePart10 } from '../../src/dicom/part10-writer';

const BIG: Encoding = { explicit: true, littleEndian: false };

/** Element bytes: tag, optional explicit VR, length, value; `be` for big endian. */
function el(tag: number, vr: string | undefined, value: Buffer | number, be = false): Buffer {
  const len = typeof value === 'number' ? value : value.length;
  const long = vr !== undefined && ['OB', 'OW', 'SQ', 'UN', 'UT'].includes(vr);
  const head = Buffer.alloc(vr === undefined ? 8 : long ? 12 : 8);
  const w16 = (v: number, o: number): number => (be ? head.writeUInt16BE(v, o) : head.writeUInt16LE(v, o));
  const w32 = (v: number, o: number): number => (be ? head.writeUInt32BE(v, o) : head.writeUInt32LE(v, o));
  w16(tag >>> 16, 0);
  w16(tag & 0xffff, 2);
  if (vr === undefined) w32(len, 4);
  else {
    head.write(vr, 4, 'latin1');
    if (long) w32(len, 8);
    else w16(len, 6);
  }
  return typeof value === 'number' ? head : Buffer.concat([head, value]);
}

function errorOf(fn: () => unknown): string {
  try {
    fn();
    return 'ok';
  } catch (e) {
    return e instanceof DicomParseError ? e.reason : `other: ${String(e)}`;
  }
}

describe('readElementHeader', () => {
  it('reads short and long explicit VRs, implicit VR, items and big endian', () => {
    const h = newElementHeader();
    expect(readElementHeader(el(0x00100010, 'PN', Buffer.from('A^B ')), 0, EXPLICIT_LE, h)).toEqual({ tag: 0x00100010, vr: 'PN', length: 4, size: 8 });
    expect(readElementHeader(el(0x7fe00010, 'OW', 512), 0, EXPLICIT_LE, h)).toEqual({ tag: PIXEL_DATA, vr: 'OW', length: 512, size: 12 });
    expect(readElementHeader(el(0x00280010, undefined, 2), 0, IMPLICIT_LE, h)).toEqual({ tag: 0x00280010, vr: '', length: 2, size: 8 });
    expect(readElementHeader(el(ITEM, undefined, UNDEFINED_LENGTH), 0, EXPLICIT_LE, h)).toEqual({ tag: ITEM, vr: '', length: UNDEFINED_LENGTH, size: 8 });
    expect(readElementHeader(el(0x00280010, 'US', 2, true), 0, BIG, h)).toEqual({ tag: 0x00280010, vr: 'US', length: 2, size: 8 });
    expect(readElementHeader(el(0x00081140, 'SQ', 100, true), 0, BIG, h)).toEqual({ tag: 0x00081140, vr: 'SQ', length: 100, size: 12 });
    // At an offset inside a larger buffer.
    const two = Buffer.concat([el(0x00080060, 'CS', Buffer.from('MR')), el(0x00200013, 'IS', Buffer.from('7 '))]);
    expect(readElementHeader(two, 10, EXPLICIT_LE, h).tag).toBe(0x00200013);
  });

  it('names a cut header and a garbled VR', () => {
    const h = newElementHeader();
    expect(errorOf(() => readElementHeader(el(0x00100010, 'PN', 4).subarray(0, 7), 0, EXPLICIT_LE, h))).toBe('truncated');
    expect(errorOf(() => readElementHeader(el(0x7fe00010, 'OB', 4).subarray(0, 10), 0, EXPLICIT_LE, h))).toBe('truncated');
    expect(errorOf(() => readElementHeader(el(0x00100010, 'p1', 4), 0, EXPLICIT_LE, h))).toBe('invalid');
    expect(() => readElementHeader(el(0x00100010, 'PN', 4).subarray(0, 5), 0, EXPLICIT_LE, h, 1000)).toThrow(/offset 1000 needs 8 bytes, 5 left/);
  });

  it('maps transfer syntaxes to encodings', () => {
    expect(encodingOf(TransferSyntax.ImplicitVRLittleEndian)).toEqual({ explicit: false, littleEndian: true });
    expect(encodingOf(TransferSyntax.ExplicitVRBigEndian)).toEqual({ explicit: true, littleEndian: false });
    expect(encodingOf(TransferSyntax.JpegBaseline)).toEqual({ explicit: true, littleEndian: true });
  });
});

describe('walkElements', () => {
  const item = (...els: Buffer[]): Buffer => Buffer.concat([el(ITEM, undefined, UNDEFINED_LENGTH), ...els, el(ITEM_DELIM, undefined, 0)]);
  const seq = (tag: number, ...items: Buffer[]): Buffer => Buffer.concat([el(tag, 'SQ', UNDEFINED_LENGTH), ...items, el(SEQ_DELIM, undefined, 0)]);

  it('walks nested undefined-length sequences and reports top-level elements only', () => {
    const ds = Buffer.concat([
      el(0x00080060, 'CS', Buffer.from('MR')),
      seq(0x00081140, item(el(0x00081155, 'UI', Buffer.from('1.2\0')), seq(0x00089215, item(el(0x00080100, 'SH', Buffer.from('X '))))), item()),
      el(0x00200013, 'IS', Buffer.from('1 ')),
    ]);
    const seen: number[] = [];
    expect(walkElements(bufferSource(ds), 0, ds.length, 0, EXPLICIT_LE, (tag) => seen.push(tag))).toBe(ds.length);
    expect(seen).toEqual([0x00080060, 0x00081140, 0x00200013]);
  });

  it('reads UN of undefined length as implicit VR little endian items (PS3.5 6.2.2)', () => {
    const inner = Buffer.concat([el(ITEM, undefined, UNDEFINED_LENGTH), el(0x00081155, undefined, Buffer.from('1.2\0')), el(ITEM_DELIM, undefined, 0)]);
    const ds = Buffer.concat([el(0x00291010, 'UN', UNDEFINED_LENGTH), inner, el(SEQ_DELIM, undefined, 0), el(0x00291020, 'LO', Buffer.from('ok'))]);
    expect(walkElements(bufferSource(ds), 0, ds.length, 0, EXPLICIT_LE)).toBe(ds.length);
  });

  it('walks a defined-length sequence and checks that its items add up', () => {
    const it1 = el(0x00081155, 'UI', Buffer.from('1.2\0'));
    const good = Buffer.concat([el(0x00081140, 'SQ', 8 + it1.length), el(ITEM, undefined, it1.length), it1]);
    expect(walkElements(bufferSource(good), 0, good.length, 0, EXPLICIT_LE)).toBe(good.length);
    const bad = Buffer.concat([el(0x00081140, 'SQ', 8 + it1.length), el(ITEM, undefined, it1.length - 2), it1]);
    expect(errorOf(() => walkElements(bufferSource(bad), 0, bad.length, 0, EXPLICIT_LE))).toBe('invalid');
  });

  it('walks a big endian data set', () => {
    const ds = Buffer.concat([el(0x00280010, 'US', Buffer.from([0, 4]), true), el(0x7fe00010, 'OW', Buffer.alloc(8), true)]);
    const seen: number[] = [];
    expect(walkElements(bufferSource(ds), 0, ds.length, 0, BIG, (tag) => seen.push(tag))).toBe(ds.length);
    expect(seen).toEqual([0x00280010, PIXEL_DATA]);
  });

  it('names the problem: a value past the end, a missing delimiter, a stray item, too deep a nesting', () => {
    const walk = (b: Buffer): string => errorOf(() => walkElements(bufferSource(b), 0, b.length, 0, EXPLICIT_LE));
    expect(walk(el(0x00100010, 'PN', Buffer.from('A^B ')).subarray(0, 10))).toBe('truncated');
    expect(walk(seq(0x00081140, item()).subarray(0, 20))).toBe('truncated');
    expect(walk(el(ITEM, undefined, 0))).toBe('invalid');
    expect(walk(el(0x00324000, 'UT', UNDEFINED_LENGTH))).toBe('invalid');
    let deep = item();
    for (let i = 0; i < 40; i++) deep = item(seq(0x00081140, deep));
    expect(walk(seq(0x00081140, deep))).toBe('invalid');
    expect(() => walk(seq(0x00081140, deep))).not.toThrow();
    // Trailing zero padding shorter than an element is tolerated at the top level only.
    expect(walk(Buffer.concat([el(0x00080060, 'CS', Buffer.from('MR')), Buffer.alloc(3)]))).toBe('ok');
  });
});

describe('walkFragments', () => {
  it('gives the offset table and each fragment, then the offset after the delimiter', () => {
    const frag = (n: number): Buffer => Buffer.concat([el(ITEM, undefined, n), Buffer.alloc(n, n)]);
    const bytes = Buffer.concat([frag(4), frag(6), frag(2), el(SEQ_DELIM, undefined, 0)]);
    const items: [number, number][] = [];
    expect(walkFragments(bufferSource(bytes), 0, PIXEL_DATA, EXPLICIT_LE, (at, len) => items.push([at, len]))).toBe(bytes.length);
    expect(items).toEqual([[8, 4], [20, 6], [34, 2]]);
    expect(errorOf(() => walkFragments(bufferSource(bytes.subarray(0, 30)), 0, PIXEL_DATA, EXPLICIT_LE))).toBe('truncated');
    expect(errorOf(() => walkFragments(bufferSource(el(ITEM, undefined, UNDEFINED_LENGTH)), 0, PIXEL_DATA, EXPLICIT_LE))).toBe('invalid');
  });
});

describe('readFileMeta', () => {
  const ds = { SOPClassUID: SopClass.MRImage, SOPInstanceUID: '1.2.3.4.5', Modality: 'MR' };

  it('reads the UIDs and where the data set starts, in memory and through a file window', () => {
    const buf = writePart10(ds);
    const meta = readFileMeta(bufferSource(buf));
    expect(meta).toMatchObject({ transferSyntaxUid: TransferSyntax.ExplicitVRLittleEndian, mediaStorageSopClassUid: SopClass.MRImage, mediaStorageSopInstanceUid: '1.2.3.4.5' });
    expect(buf.readUInt16LE(meta.datasetOffset)).toBe(0x0008);
    const file = join(mkdtempSync(join(tmpdir(), 'walker-')), 'x.dcm');
    // A File Meta larger than the first read window: a 40 kB Private Information (0002,0102) element.
    const filler = el(0x00020102, 'OB', Buffer.alloc(40_000));
    const groupEnd = meta.datasetOffset;
    const grown = Buffer.concat([buf.subarray(0, groupEnd), filler, buf.subarray(groupEnd)]);
    writeFileSync(file, grown);
    const src = fileSource(file);
    try {
      expect(readFileMeta(src)).toMatchObject({ transferSyntaxUid: TransferSyntax.ExplicitVRLittleEndian, datasetOffset: groupEnd + filler.length });
    } finally {
      src.close();
    }
  });

  it('names a File Meta cut inside a value; a cut between elements ends it (the caller finds what is missing)', () => {
    const buf = writeP10(ds);
    expect(errorOf(() => readFileMeta(bufferSource(buf.subarray(0, 170))))).toBe('truncated');
    expect(readFileMeta(bufferSource(buf.subarray(0, 150)))).toMatchObject({ transferSyntaxUid: '', datasetOffset: 144 });
  });
});

describe('files written by the node and by dcmjs', () => {
  it.each([
    ['part10-writer (undefined-length sequences)', () => writePart10({ SOPClassUID: SopClass.Segmentation, SOPInstanceUID: '1.2.3', ReferencedSeriesSequence: [{ SeriesInstanceUID: '1.2', ReferencedInstanceSequence: [{ ReferencedSOPInstanceUID: '1.2.1' }, { ReferencedSOPInstanceUID: '1.2.2' }] }] }), EXPLICIT_LE],
    ['dcmjs implicit VR', () => writeP10({ SOPClassUID: SopClass.MRImage, SOPInstanceUID: '1.2.3', ReferencedSeriesSequence: [{ SeriesInstanceUID: '1.2' }], Rows: 2, Columns: 2, PixelData: new Uint16Array(4).buffer, _vrMap: { PixelData: 'OW' } }, { transferSyntaxUid: TransferSyntax.ImplicitVRLittleEndian }), IMPLICIT_LE],
  ])('walks %s to the last byte', (_n, make, enc) => {
    const buf = make();
    const src = bufferSource(buf);
    const meta = readFileMeta(src);
    expect(encodingOf(meta.transferSyntaxUid)).toEqual(enc);
    const tags: number[] = [];
    expect(walkElements(src, meta.datasetOffset, buf.length, 0, enc, (t) => tags.push(t))).toBe(buf.length);
    expect(tags).toContain(0x00081115);
  });
});
