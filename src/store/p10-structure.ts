/**
 * Structural check of a DICOM Part 10 file: walks every top-level element (and every sequence item and
 * encapsulated fragment) by its tag and length, without decoding values, and proves that the file ends exactly
 * where its last element ends.
 *
 * Why: dcmjs reads a file whose Pixel Data is cut short without complaint (it "reads the available bytes"), so a
 * truncated upload would otherwise be stored as if it were whole. The walk is cheap (it skips values) and works on
 * files on disk through positioned reads, so a 2 GB multi-frame object never has to be in memory.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { inflateRawSync } from 'node:zlib';

export class P10StructureError extends Error {
  constructor(
    message: string,
    /** truncated: an element runs past the end of the file; invalid: bytes that cannot be a DICOM element. */
    public readonly reason: 'not-dicom' | 'truncated' | 'invalid',
  ) {
    super(message);
    this.name = 'P10StructureError';
  }
}

/** Random access to the bytes of a file or buffer. */
export interface ByteSource {
  readonly size: number;
  /** `len` bytes from `pos` (fewer only at the end of the source). */
  bytes(pos: number, len: number): Buffer;
}

export function bufferSource(buf: Buffer): ByteSource {
  return { size: buf.length, bytes: (pos, len) => buf.subarray(pos, Math.min(buf.length, pos + len)) };
}

/** A file read through a small window cache; call close() when done. */
export function fileSource(path: string): ByteSource & { close(): void } {
  const fd = openSync(path, 'r');
  const size = fstatSync(fd).size;
  const WINDOW = 64 * 1024;
  let winStart = -1;
  let win = Buffer.alloc(0);
  return {
    size,
    bytes(pos, len) {
      if (winStart >= 0 && pos >= winStart && pos + len <= winStart + win.length) {
        return win.subarray(pos - winStart, pos - winStart + len);
      }
      const want = Math.max(len, WINDOW);
      const buf = Buffer.allocUnsafe(Math.min(want, Math.max(0, size - pos)));
      const n = buf.length ? readSync(fd, buf, 0, buf.length, pos) : 0;
      winStart = pos;
      win = buf.subarray(0, n);
      return win.subarray(0, Math.min(len, n));
    },
    close: () => closeSync(fd),
  };
}

export interface P10Structure {
  transferSyntaxUid: string;
  /** Offset of the first data set element (after File Meta Information). */
  datasetOffset: number;
  /** Offset of the top-level (7FE0,0010) Pixel Data element's tag, when present (undefined for deflated files). */
  pixelDataOffset?: number;
  /** Value length of a native (defined-length) top-level Pixel Data; undefined when encapsulated or absent. */
  pixelDataLength?: number;
  /** Any of Pixel Data, Float Pixel Data or Double Float Pixel Data present at top level. */
  hasPixelData: boolean;
  /** Number of top-level data set elements. */
  elementCount: number;
}

const EXPLICIT_LONG_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV']);
const UNDEFINED = 0xffffffff;
const ITEM = 0xfffee000;
const ITEM_DELIM = 0xfffee00d;
const SEQ_DELIM = 0xfffee0dd;
const PIXEL_DATA = 0x7fe00010;
const PIXEL_DATA_TAGS = new Set([0x7fe00008, 0x7fe00009, PIXEL_DATA]);
const MAX_DEPTH = 32;

interface Encoding {
  explicit: boolean;
  littleEndian: boolean;
}

function hexTag(tag: number): string {
  const h = tag.toString(16).toUpperCase().padStart(8, '0');
  return `(${h.slice(0, 4)},${h.slice(4)})`;
}

class Walker {
  constructor(
    private readonly src: ByteSource,
    private readonly enc: Encoding,
  ) {}

  private need(pos: number, len: number, what: string): Buffer {
    const b = this.src.bytes(pos, len);
    if (b.length < len) {
      throw new P10StructureError(`truncated DICOM file: ${what} at offset ${pos} needs ${len} bytes, ${b.length} left`, 'truncated');
    }
    return b;
  }

  private u16(b: Buffer, off: number): number {
    return this.enc.littleEndian ? b.readUInt16LE(off) : b.readUInt16BE(off);
  }

  private u32(b: Buffer, off: number): number {
    return this.enc.littleEndian ? b.readUInt32LE(off) : b.readUInt32BE(off);
  }

  /** Reads an element header at pos: tag, VR ('' for items/delimiters or implicit), value length, header size. */
  header(pos: number, enc: Encoding = this.enc): { tag: number; vr: string; length: number; size: number } {
    const b = this.need(pos, 8, 'element header');
    const le = enc.littleEndian;
    const group = le ? b.readUInt16LE(0) : b.readUInt16BE(0);
    const element = le ? b.readUInt16LE(2) : b.readUInt16BE(2);
    const tag = ((group << 16) | element) >>> 0;
    // Items and delimiters are always "implicit" (tag + 4-byte length), little endian in every LE syntax.
    if (group === 0xfffe) return { tag, vr: '', length: le ? b.readUInt32LE(4) : b.readUInt32BE(4), size: 8 };
    if (!enc.explicit) return { tag, vr: '', length: b.readUInt32LE(4), size: 8 };
    const vr = String.fromCharCode(b[4]!, b[5]!);
    if (!/^[A-Z]{2}$/.test(vr)) {
      throw new P10StructureError(`invalid DICOM data: element ${hexTag(tag)} at offset ${pos} has no valid VR`, 'invalid');
    }
    if (EXPLICIT_LONG_VRS.has(vr)) {
      const b12 = this.need(pos, 12, `element ${hexTag(tag)} header`);
      return { tag, vr, length: le ? b12.readUInt32LE(8) : b12.readUInt32BE(8), size: 12 };
    }
    return { tag, vr, length: le ? b.readUInt16LE(6) : b.readUInt16BE(6), size: 8 };
  }

  /** Walks elements from pos until `end` (defined length) or until an item delimiter (when end is undefined). */
  elements(pos: number, end: number | undefined, depth: number, enc: Encoding, onTopLevel?: (tag: number, at: number, length: number) => void): number {
    if (depth > MAX_DEPTH) throw new P10StructureError(`invalid DICOM data: sequences nested deeper than ${MAX_DEPTH}`, 'invalid');
    for (;;) {
      // A few trailing zero bytes that cannot hold an element are padding some writers add; anything else is not.
      if (depth === 0 && end !== undefined && end - pos > 0 && end - pos < 8 && this.src.bytes(pos, end - pos).every((x) => x === 0)) {
        return end;
      }
      if (end !== undefined && pos >= end) {
        if (pos > end) throw new P10StructureError(`invalid DICOM data: element overruns its item at offset ${end}`, 'invalid');
        return pos;
      }
      if (end === undefined && pos >= this.src.size) {
        throw new P10StructureError(`truncated DICOM file: sequence item at depth ${depth} has no delimiter`, 'truncated');
      }
      const h = this.header(pos, enc);
      if (h.tag === ITEM_DELIM) {
        if (end !== undefined) throw new P10StructureError(`invalid DICOM data: unexpected item delimiter at offset ${pos}`, 'invalid');
        return pos + 8;
      }
      if (h.tag === ITEM || h.tag === SEQ_DELIM) {
        throw new P10StructureError(`invalid DICOM data: item tag ${hexTag(h.tag)} outside a sequence at offset ${pos}`, 'invalid');
      }
      onTopLevel?.(h.tag, pos, h.length);
      pos += h.size;
      if (h.length === UNDEFINED) {
        if (h.tag === PIXEL_DATA && depth === 0 && h.vr !== 'SQ') pos = this.fragments(pos, h.tag);
        else if (h.vr === 'SQ' || h.vr === '' || h.vr === 'UN') {
          // UN with undefined length holds an implicit VR little endian sequence (PS3.5 6.2.2).
          const inner: Encoding = h.vr === 'UN' ? { explicit: false, littleEndian: true } : enc;
          pos = this.sequence(pos, depth + 1, inner);
        } else {
          throw new P10StructureError(`invalid DICOM data: ${h.vr} element ${hexTag(h.tag)} with undefined length`, 'invalid');
        }
      } else {
        if (pos + h.length > this.src.size) {
          throw new P10StructureError(
            `truncated DICOM file: element ${hexTag(h.tag)} declares ${h.length} bytes but only ${this.src.size - pos} remain`,
            'truncated',
          );
        }
        // A defined-length sequence is walked too: its items must add up.
        if (h.vr === 'SQ') this.sequenceDefined(pos, pos + h.length, depth + 1, enc);
        pos += h.length;
      }
    }
  }

  private sequence(pos: number, depth: number, enc: Encoding): number {
    for (;;) {
      const h = this.header(pos, enc);
      if (h.tag === SEQ_DELIM) return pos + 8;
      if (h.tag !== ITEM) throw new P10StructureError(`invalid DICOM data: expected an item at offset ${pos}, found ${hexTag(h.tag)}`, 'invalid');
      pos += 8;
      if (h.length === UNDEFINED) pos = this.elements(pos, undefined, depth, enc);
      else {
        this.need(pos, h.length, 'sequence item');
        pos = this.elements(pos, pos + h.length, depth, enc);
      }
    }
  }

  private sequenceDefined(pos: number, end: number, depth: number, enc: Encoding): void {
    while (pos < end) {
      const h = this.header(pos, enc);
      if (h.tag !== ITEM) throw new P10StructureError(`invalid DICOM data: expected an item at offset ${pos}, found ${hexTag(h.tag)}`, 'invalid');
      pos += 8;
      if (h.length === UNDEFINED) pos = this.elements(pos, undefined, depth, enc);
      else pos = this.elements(pos, pos + h.length, depth, enc);
    }
    if (pos !== end) throw new P10StructureError(`invalid DICOM data: sequence items overrun the sequence length at offset ${end}`, 'invalid');
  }

  /** Encapsulated Pixel Data: items of defined length (offset table + fragments) until the sequence delimiter. */
  private fragments(pos: number, tag: number): number {
    for (;;) {
      const b = this.need(pos, 8, `fragment of ${hexTag(tag)}`);
      const itemTag = ((this.u16(b, 0) << 16) | this.u16(b, 2)) >>> 0;
      const len = this.u32(b, 4);
      if (itemTag === SEQ_DELIM) return pos + 8;
      if (itemTag !== ITEM || len === UNDEFINED) {
        throw new P10StructureError(`invalid DICOM data: bad fragment item ${hexTag(itemTag)} at offset ${pos}`, 'invalid');
      }
      pos += 8;
      if (pos + len > this.src.size) {
        throw new P10StructureError(`truncated DICOM file: pixel data fragment declares ${len} bytes but only ${this.src.size - pos} remain`, 'truncated');
      }
      pos += len;
    }
  }
}

/** Reads File Meta Information (always explicit VR little endian) and returns the transfer syntax and where it ends. */
function readMeta(src: ByteSource): { transferSyntaxUid: string; datasetOffset: number } {
  if (src.size < 132) throw new P10StructureError(`not a DICOM Part 10 file (${src.size} bytes, shorter than the 132-byte preamble + magic)`, 'not-dicom');
  if (src.bytes(128, 4).toString('latin1') !== 'DICM') {
    throw new P10StructureError('not a DICOM Part 10 file (no "DICM" magic at offset 128)', 'not-dicom');
  }
  const w = new Walker(src, { explicit: true, littleEndian: true });
  let pos = 132;
  let ts = '';
  while (pos + 8 <= src.size) {
    const group = src.bytes(pos, 2).readUInt16LE(0);
    if (group !== 0x0002) break;
    const h = w.header(pos);
    if (h.length === UNDEFINED) throw new P10StructureError('invalid DICOM file meta: undefined length element', 'invalid');
    const valueAt = pos + h.size;
    if (valueAt + h.length > src.size) throw new P10StructureError('truncated DICOM file: file meta information is cut short', 'truncated');
    if (h.tag === 0x00020010) ts = src.bytes(valueAt, h.length).toString('latin1').replace(/[\0 ]+$/, '');
    pos = valueAt + h.length;
  }
  if (!ts) throw new P10StructureError('invalid DICOM file meta: no Transfer Syntax UID (0002,0010)', 'invalid');
  return { transferSyntaxUid: ts, datasetOffset: pos };
}

const DEFLATED = '1.2.840.10008.1.2.1.99';

/** Walks the whole file; throws P10StructureError naming the first problem. */
export function checkP10Structure(src: ByteSource): P10Structure {
  const { transferSyntaxUid, datasetOffset } = readMeta(src);
  if (transferSyntaxUid === DEFLATED) {
    let inflated: Buffer;
    try {
      inflated = inflateRawSync(src.bytes(datasetOffset, src.size - datasetOffset));
    } catch (e) {
      throw new P10StructureError(`truncated or corrupt deflated data set: ${(e as Error).message}`, 'truncated');
    }
    const inner = bufferSource(inflated);
    const { count, hasPixelData, pixelDataLength } = walkTop(inner, 0, { explicit: true, littleEndian: true });
    return { transferSyntaxUid, datasetOffset, elementCount: count, hasPixelData, pixelDataLength };
  }
  const enc: Encoding = {
    explicit: transferSyntaxUid !== '1.2.840.10008.1.2',
    littleEndian: transferSyntaxUid !== '1.2.840.10008.1.2.2',
  };
  const { count, pixelDataOffset, hasPixelData, pixelDataLength } = walkTop(src, datasetOffset, enc);
  return { transferSyntaxUid, datasetOffset, pixelDataOffset, elementCount: count, hasPixelData, pixelDataLength };
}

function walkTop(src: ByteSource, start: number, enc: Encoding): { count: number; pixelDataOffset?: number; pixelDataLength?: number; hasPixelData: boolean } {
  const w = new Walker(src, enc);
  let count = 0;
  let pixelDataOffset: number | undefined;
  let pixelDataLength: number | undefined;
  let hasPixelData = false;
  w.elements(start, src.size, 0, enc, (tag, at, length) => {
    count++;
    if (tag === PIXEL_DATA) {
      pixelDataOffset = at;
      pixelDataLength = length === UNDEFINED ? undefined : length;
    }
    if (PIXEL_DATA_TAGS.has(tag)) hasPixelData = true;
  });
  return { count, pixelDataOffset, pixelDataLength, hasPixelData };
}
