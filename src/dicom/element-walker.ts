/**
 * The one place that knows how DICOM elements are laid out in bytes (PS3.5 7.1, 7.5, A.4): element headers in
 * explicit/implicit VR, little/big endian; items and delimiters; undefined-length sequences (with UN holding implicit
 * VR little endian, PS3.5 6.2.2); encapsulated Pixel Data fragments; File Meta Information.
 *
 * Every reader of Part 10 bytes (the structural check, the image reader, the DICOM JSON decoder, the DIMSE split)
 * walks with these, so they agree on what a well-formed file is. Values are never decoded here: that is what each
 * reader differs in. Every problem is a DicomParseError ('truncated' or 'invalid') naming the offset.
 *
 * Speed: readElementHeader works on a Uint8Array with plain byte arithmetic and fills a caller-owned header, so the
 * hot loops of the readers allocate nothing per element.
 */
import { paddedAscii, type ByteSource } from './byte-source';
import { ITEM, ITEM_DELIM, LONG_VRS, PIXEL_DATA, SEQ_DELIM, TransferSyntax, UNDEFINED_LENGTH } from './constants';
import { DicomParseError } from './p10';

export interface Encoding {
  readonly explicit: boolean;
  readonly littleEndian: boolean;
}

export const EXPLICIT_LE: Encoding = { explicit: true, littleEndian: true };
export const IMPLICIT_LE: Encoding = { explicit: false, littleEndian: true };
/** Items in a big endian data set: tag + length, big endian. */
const IMPLICIT_BE: Encoding = { explicit: false, littleEndian: false };

/** The element encoding of a (non-deflated) transfer syntax's data set. */
export function encodingOf(transferSyntaxUid: string): Encoding {
  if (transferSyntaxUid === TransferSyntax.ImplicitVRLittleEndian) return IMPLICIT_LE;
  if (transferSyntaxUid === TransferSyntax.ExplicitVRBigEndian) return { explicit: true, littleEndian: false };
  return EXPLICIT_LE;
}

/** One element header; readers keep one and let readElementHeader refill it. */
export interface ElementHeader {
  /** group << 16 | element. */
  tag: number;
  /** The explicit VR; '' for items, delimiters and implicit VR data (the reader looks it up). */
  vr: string;
  /** Value length; UNDEFINED_LENGTH for undefined length. */
  length: number;
  /** Bytes from the tag to the value: 8, or 12 for the long explicit VRs. */
  size: number;
}

export function newElementHeader(): ElementHeader {
  return { tag: 0, vr: '', length: 0, size: 0 };
}

/** Maximum sequence nesting; deeper is taken as corrupt data rather than walked on the stack. */
export const MAX_DEPTH = 32;

export function hexTag(tag: number): string {
  const h = tag.toString(16).toUpperCase().padStart(8, '0');
  return `(${h.slice(0, 4)},${h.slice(4)})`;
}

function truncated(message: string): DicomParseError {
  return new DicomParseError(`truncated DICOM file: ${message}`, 'truncated');
}

function invalid(message: string): DicomParseError {
  return new DicomParseError(`invalid DICOM data: ${message}`, 'invalid');
}

function u16(b: Uint8Array, p: number, le: boolean): number {
  return le ? b[p]! | (b[p + 1]! << 8) : (b[p]! << 8) | b[p + 1]!;
}

function u32(b: Uint8Array, p: number, le: boolean): number {
  return le
    ? (b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24)) >>> 0
    : ((b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!) >>> 0;
}

function isUpper(c: number): boolean {
  return c >= 0x41 && c <= 0x5a;
}

/**
 * Reads the element header at `pos` of `b` into `out`. `b` may be a short window of a larger source: `at` is the
 * window's offset in the file, for messages. Throws 'truncated' when the header does not fit in `b`, 'invalid' when
 * an explicit VR is not two capital letters.
 */
export function readElementHeader(b: Uint8Array, pos: number, enc: Encoding, out: ElementHeader, at = 0): ElementHeader {
  if (pos + 8 > b.length) throw truncated(`element header at offset ${at + pos} needs 8 bytes, ${Math.max(0, b.length - pos)} left`);
  const le = enc.littleEndian;
  // The little endian path is spelled out: it is every data set the node meets but one rare syntax.
  const group = le ? b[pos]! | (b[pos + 1]! << 8) : u16(b, pos, false);
  const tag = ((group << 16) | (le ? b[pos + 2]! | (b[pos + 3]! << 8) : u16(b, pos + 2, false))) >>> 0;
  out.tag = tag;
  // Items and delimiters are always tag + 4-byte length; implicit VR data sets are always little endian.
  if (group === 0xfffe || !enc.explicit) {
    out.vr = '';
    out.length = u32(b, pos + 4, le);
    out.size = 8;
    return out;
  }
  const c0 = b[pos + 4]!;
  const c1 = b[pos + 5]!;
  if (!isUpper(c0) || !isUpper(c1)) throw invalid(`element ${hexTag(tag)} at offset ${at + pos} has no valid VR`);
  const vr = String.fromCharCode(c0, c1);
  out.vr = vr;
  if (LONG_VRS.has(vr)) {
    if (pos + 12 > b.length) throw truncated(`element ${hexTag(tag)} header at offset ${at + pos} needs 12 bytes, ${b.length - pos} left`);
    out.length = u32(b, pos + 8, le);
    out.size = 12;
  } else {
    out.length = u16(b, pos + 6, le);
    out.size = 8;
  }
  return out;
}

/** Reads the header at `pos` of a source (through a 12-byte window). */
export function headerAt(src: ByteSource, pos: number, enc: Encoding, out: ElementHeader = newElementHeader()): ElementHeader {
  return readElementHeader(src.bytes(pos, 12), 0, enc, out, pos);
}

/** Throws 'truncated' unless `length` bytes from `pos` are in the source. */
export function needValue(src: ByteSource, pos: number, length: number, tag: number): void {
  if (pos + length > src.size) {
    throw truncated(`element ${hexTag(tag)} declares ${length} bytes but only ${Math.max(0, src.size - pos)} remain`);
  }
}

/** Called for each top-level element of a walk: its tag, header offset, value length and (explicit) VR. */
export type TopLevelVisitor = (tag: number, at: number, length: number, vr: string) => void;

/**
 * Walks a data set, proving that every element, item and fragment fits: from `pos` to `end` (a defined length), or
 * to an item delimiter when `end` is undefined. Returns the offset just after what it walked.
 * At depth 0 a few trailing zero bytes that cannot hold an element are taken as padding (some writers add them).
 */
export function walkElements(src: ByteSource, pos: number, end: number | undefined, depth: number, enc: Encoding, onTopLevel?: TopLevelVisitor): number {
  if (depth > MAX_DEPTH) throw invalid(`sequences nested deeper than ${MAX_DEPTH}`);
  const h = newElementHeader();
  for (;;) {
    if (depth === 0 && end !== undefined && end - pos > 0 && end - pos < 8 && src.bytes(pos, end - pos).every((x) => x === 0)) {
      return end;
    }
    if (end !== undefined && pos >= end) {
      if (pos > end) throw invalid(`element overruns its item at offset ${end}`);
      return pos;
    }
    if (end === undefined && pos >= src.size) throw truncated(`sequence item at depth ${depth} has no delimiter`);
    headerAt(src, pos, enc, h);
    if (h.tag === ITEM_DELIM) {
      if (end !== undefined) throw invalid(`unexpected item delimiter at offset ${pos}`);
      return pos + 8;
    }
    if (h.tag === ITEM || h.tag === SEQ_DELIM) throw invalid(`item tag ${hexTag(h.tag)} outside a sequence at offset ${pos}`);
    onTopLevel?.(h.tag, pos, h.length, h.vr);
    const { tag, vr, length } = h;
    pos += h.size;
    if (length === UNDEFINED_LENGTH) {
      if (tag === PIXEL_DATA && depth === 0 && vr !== 'SQ') pos = walkFragments(src, pos, tag, enc);
      else if (vr === 'SQ' || vr === '' || vr === 'UN') pos = walkSequence(src, pos, depth + 1, vr === 'UN' ? IMPLICIT_LE : enc);
      else throw invalid(`${vr} element ${hexTag(tag)} with undefined length`);
    } else {
      needValue(src, pos, length, tag);
      // A defined-length sequence is walked too: its items must add up.
      if (vr === 'SQ') walkDefinedSequence(src, pos, pos + length, depth + 1, enc);
      pos += length;
    }
  }
}

/** Walks the items of an undefined-length sequence whose value starts at `pos`; returns the offset after its delimiter. */
export function walkSequence(src: ByteSource, pos: number, depth: number, enc: Encoding): number {
  const h = newElementHeader();
  for (;;) {
    headerAt(src, pos, enc, h);
    if (h.tag === SEQ_DELIM) return pos + 8;
    if (h.tag !== ITEM) throw invalid(`expected an item at offset ${pos}, found ${hexTag(h.tag)}`);
    pos += 8;
    if (h.length === UNDEFINED_LENGTH) pos = walkElements(src, pos, undefined, depth, enc);
    else {
      if (pos + h.length > src.size) throw truncated(`sequence item at offset ${pos - 8} declares ${h.length} bytes but only ${src.size - pos} remain`);
      pos = walkElements(src, pos, pos + h.length, depth, enc);
    }
  }
}

function walkDefinedSequence(src: ByteSource, pos: number, end: number, depth: number, enc: Encoding): void {
  const h = newElementHeader();
  while (pos < end) {
    headerAt(src, pos, enc, h);
    if (h.tag !== ITEM) throw invalid(`expected an item at offset ${pos}, found ${hexTag(h.tag)}`);
    pos += 8;
    pos = walkElements(src, pos, h.length === UNDEFINED_LENGTH ? undefined : pos + h.length, depth, enc);
  }
  if (pos !== end) throw invalid(`sequence items overrun the sequence length at offset ${end}`);
}

/**
 * Walks encapsulated Pixel Data (PS3.5 A.4) from the first item after the element header: defined-length items (the
 * Basic Offset Table, then fragments) until the sequence delimiter. `onItem` gets each item's value offset and
 * length, the offset table first. Returns the offset after the delimiter.
 */
export function walkFragments(src: ByteSource, pos: number, tag: number, enc: Encoding, onItem?: (valueAt: number, length: number) => void): number {
  const h = newElementHeader();
  const itemEncoding = enc.littleEndian ? IMPLICIT_LE : IMPLICIT_BE;
  for (;;) {
    if (pos + 8 > src.size) throw truncated(`fragment of ${hexTag(tag)} at offset ${pos} needs 8 bytes, ${Math.max(0, src.size - pos)} left`);
    readElementHeader(src.bytes(pos, 8), 0, itemEncoding, h, pos);
    if (h.tag === SEQ_DELIM) return pos + 8;
    if (h.tag !== ITEM || h.length === UNDEFINED_LENGTH) throw invalid(`bad fragment item ${hexTag(h.tag)} at offset ${pos}`);
    pos += 8;
    if (pos + h.length > src.size) throw truncated(`pixel data fragment declares ${h.length} bytes but only ${src.size - pos} remain`);
    onItem?.(pos, h.length);
    pos += h.length;
  }
}

export interface FileMeta {
  /** '' when File Meta has none; each reader says what that means for it. */
  transferSyntaxUid: string;
  mediaStorageSopClassUid: string;
  mediaStorageSopInstanceUid: string;
  /** Offset of the first data set element, just after group 0002. */
  datasetOffset: number;
}

/** File Meta larger than this is taken as corrupt (it holds a few UIDs and names). */
const MAX_FILE_META = 1 << 24;

/**
 * Reads File Meta Information (group 0002, always explicit VR little endian, PS3.10 7.1) from offset 132; the
 * caller has checked the preamble and "DICM" magic.
 */
export function readFileMeta(src: ByteSource): FileMeta {
  // File Meta is small: read it from one window, a larger one only when it does not end inside the first.
  for (let window = 1 << 14; ; window *= 4) {
    const b = src.bytes(0, Math.min(src.size, window));
    const meta = fileMetaIn(b, src.size);
    if (meta) return meta;
    if (window >= MAX_FILE_META) throw invalid(`file meta information larger than ${MAX_FILE_META} bytes`);
  }
}

/** readFileMeta over bytes in memory. */
export function readFileMetaOf(bytes: Uint8Array): FileMeta {
  return fileMetaIn(bytes, bytes.length)!;
}

/** Parses File Meta in `b`, the first bytes of a `size`-byte file; undefined when it goes on past `b`. */
function fileMetaIn(b: Uint8Array, size: number): FileMeta | undefined {
  const meta: FileMeta = { transferSyntaxUid: '', mediaStorageSopClassUid: '', mediaStorageSopInstanceUid: '', datasetOffset: 132 };
  const whole = b.length >= size;
  const h = newElementHeader();
  let pos = 132;
  for (;;) {
    if (pos + 12 > b.length && !whole) return undefined;
    if (pos + 8 > b.length || u16(b, pos, true) !== 0x0002) break;
    readElementHeader(b, pos, EXPLICIT_LE, h);
    if (h.length === UNDEFINED_LENGTH) throw new DicomParseError('invalid DICOM file meta: undefined length element', 'invalid');
    const valueAt = pos + h.size;
    if (valueAt + h.length > size) throw truncated('file meta information (group 0002) is cut short');
    if (valueAt + h.length > b.length) return undefined;
    const element = h.tag & 0xffff;
    if (element === 0x0002) meta.mediaStorageSopClassUid = paddedAscii(b, valueAt, h.length);
    else if (element === 0x0003) meta.mediaStorageSopInstanceUid = paddedAscii(b, valueAt, h.length);
    else if (element === 0x0010) meta.transferSyntaxUid = paddedAscii(b, valueAt, h.length);
    pos = valueAt + h.length;
  }
  meta.datasetOffset = pos;
  return meta;
}
