/**
 * A lean Part 10 reader for the volume path: walks the element headers of an image instance, decodes only the
 * attributes volume building needs (identity, pixel module, geometry, modality LUT, echo/time keys and the Enhanced
 * MR functional groups that carry them) and returns Pixel Data as zero-copy views. Everything else is skipped by length.
 *
 * Why: the general dcmjs parse (src/dicom/p10.ts) decodes and naturalizes every element (~0.3 ms per MR slice);
 * this skips them (~10x less), which is what keeps volume building within 2x of dcm2niix (research/perf.md S3/S4).
 * Explicit and Implicit VR Little Endian with any pixel encoding are read here; Deflated and Big Endian data sets
 * fall back to dcmjs via readP10. Errors are DicomParseError, as everywhere else.
 */
import { DicomParseError, hasP10Magic, readP10, str, type NaturalDataset } from '../dicom/p10';
import { TransferSyntax } from '../dicom/constants';
import type { InstanceData } from './instance-input';

type Kind = 'str' | 'strs' | 'num' | 'us' | 'ul' | 'fd' | 'seq' | 'pixel';

/** Tag (as group << 16 | element) -> keyword, VR (for implicit VR) and how the value is decoded. */
const WANTED = new Map<number, { key: string; vr: string; kind: Kind }>([
  [0x00080016, { key: 'SOPClassUID', vr: 'UI', kind: 'str' }],
  [0x00080018, { key: 'SOPInstanceUID', vr: 'UI', kind: 'str' }],
  [0x00080032, { key: 'AcquisitionTime', vr: 'TM', kind: 'str' }],
  [0x00080060, { key: 'Modality', vr: 'CS', kind: 'str' }],
  [0x00180050, { key: 'SliceThickness', vr: 'DS', kind: 'num' }],
  [0x00180081, { key: 'EchoTime', vr: 'DS', kind: 'num' }],
  [0x00180086, { key: 'EchoNumbers', vr: 'IS', kind: 'num' }],
  [0x00180088, { key: 'SpacingBetweenSlices', vr: 'DS', kind: 'num' }],
  [0x00181060, { key: 'TriggerTime', vr: 'DS', kind: 'num' }],
  [0x00189074, { key: 'FrameAcquisitionDateTime', vr: 'DT', kind: 'str' }],
  [0x00189082, { key: 'EffectiveEchoTime', vr: 'FD', kind: 'fd' }],
  [0x00189114, { key: 'MREchoSequence', vr: 'SQ', kind: 'seq' }],
  [0x0020000d, { key: 'StudyInstanceUID', vr: 'UI', kind: 'str' }],
  [0x0020000e, { key: 'SeriesInstanceUID', vr: 'UI', kind: 'str' }],
  [0x00200011, { key: 'SeriesNumber', vr: 'IS', kind: 'num' }],
  [0x00200012, { key: 'AcquisitionNumber', vr: 'IS', kind: 'num' }],
  [0x00200013, { key: 'InstanceNumber', vr: 'IS', kind: 'num' }],
  [0x00200032, { key: 'ImagePositionPatient', vr: 'DS', kind: 'num' }],
  [0x00200037, { key: 'ImageOrientationPatient', vr: 'DS', kind: 'num' }],
  [0x00200052, { key: 'FrameOfReferenceUID', vr: 'UI', kind: 'str' }],
  [0x00200100, { key: 'TemporalPositionIdentifier', vr: 'IS', kind: 'num' }],
  [0x00209111, { key: 'FrameContentSequence', vr: 'SQ', kind: 'seq' }],
  [0x00209113, { key: 'PlanePositionSequence', vr: 'SQ', kind: 'seq' }],
  [0x00209116, { key: 'PlaneOrientationSequence', vr: 'SQ', kind: 'seq' }],
  [0x00209128, { key: 'TemporalPositionIndex', vr: 'UL', kind: 'ul' }],
  [0x00209156, { key: 'FrameAcquisitionNumber', vr: 'US', kind: 'us' }],
  [0x00280002, { key: 'SamplesPerPixel', vr: 'US', kind: 'us' }],
  [0x00280004, { key: 'PhotometricInterpretation', vr: 'CS', kind: 'str' }],
  [0x00280006, { key: 'PlanarConfiguration', vr: 'US', kind: 'us' }],
  [0x00280008, { key: 'NumberOfFrames', vr: 'IS', kind: 'num' }],
  [0x00280010, { key: 'Rows', vr: 'US', kind: 'us' }],
  [0x00280011, { key: 'Columns', vr: 'US', kind: 'us' }],
  [0x00280030, { key: 'PixelSpacing', vr: 'DS', kind: 'num' }],
  [0x00280100, { key: 'BitsAllocated', vr: 'US', kind: 'us' }],
  [0x00280101, { key: 'BitsStored', vr: 'US', kind: 'us' }],
  [0x00280102, { key: 'HighBit', vr: 'US', kind: 'us' }],
  [0x00280103, { key: 'PixelRepresentation', vr: 'US', kind: 'us' }],
  [0x00281052, { key: 'RescaleIntercept', vr: 'DS', kind: 'num' }],
  [0x00281053, { key: 'RescaleSlope', vr: 'DS', kind: 'num' }],
  [0x00289110, { key: 'PixelMeasuresSequence', vr: 'SQ', kind: 'seq' }],
  [0x00289145, { key: 'PixelValueTransformationSequence', vr: 'SQ', kind: 'seq' }],
  [0x52009229, { key: 'SharedFunctionalGroupsSequence', vr: 'SQ', kind: 'seq' }],
  [0x52009230, { key: 'PerFrameFunctionalGroupsSequence', vr: 'SQ', kind: 'seq' }],
  [0x7fe00010, { key: 'PixelData', vr: 'OW', kind: 'pixel' }],
]);

/** Explicit VRs with a 2-byte reserved field and 4-byte length (PS3.5 7.1.2). */
const LONG_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV']);

const ITEM = 0xfffee000;
const ITEM_DELIM = 0xfffee00d;
const SEQ_DELIM = 0xfffee0dd;
const UNDEFINED = 0xffffffff;

class Cursor {
  constructor(
    readonly buf: Uint8Array,
    readonly view: DataView,
    public pos: number,
    readonly implicit: boolean,
  ) {}

  need(n: number): void {
    if (this.pos + n > this.buf.length) {
      throw new DicomParseError(`truncated DICOM file: element at offset ${this.pos} needs ${n} bytes, ${this.buf.length - this.pos} left`, 'truncated');
    }
  }

  tag(): number {
    this.need(4);
    const g = this.view.getUint16(this.pos, true);
    const e = this.view.getUint16(this.pos + 2, true);
    this.pos += 4;
    return ((g << 16) | e) >>> 0;
  }

  u32(): number {
    this.need(4);
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }
}

function ascii(buf: Uint8Array, start: number, len: number): string {
  let s = '';
  for (let i = start; i < start + len; i++) s += String.fromCharCode(buf[i]!);
  return s;
}

function trimValue(s: string): string {
  return s.replace(/[\0 ]+$/, '').replace(/^ +/, '');
}

function decodeValue(c: Cursor, kind: Kind, len: number): unknown {
  const { buf, view, pos } = c;
  if (kind === 'str' || kind === 'num' || kind === 'strs') {
    const parts = trimValue(ascii(buf, pos, len)).split('\\').map((x) => x.trim());
    if (kind === 'num') {
      const nums = parts.map((x) => (x === '' ? NaN : Number(x)));
      return nums.length === 1 ? (Number.isFinite(nums[0]) ? nums[0] : undefined) : nums;
    }
    return parts.length === 1 ? parts[0] : parts;
  }
  if (kind === 'us') return len >= 2 ? view.getUint16(pos, true) : undefined;
  if (kind === 'ul') return len >= 4 ? view.getUint32(pos, true) : undefined;
  if (kind === 'fd') return len >= 8 ? view.getFloat64(pos, true) : undefined;
  return undefined;
}

/** Skips the contents of an undefined-length sequence or item, honouring nesting. */
function skipUndefined(c: Cursor, endTag: number): void {
  for (;;) {
    const t = c.tag();
    if (t === endTag) {
      c.u32();
      return;
    }
    if (t === ITEM) {
      const len = c.u32();
      if (len === UNDEFINED) skipUndefined(c, ITEM_DELIM);
      else c.pos += len;
      continue;
    }
    // An element inside an item.
    const { len } = elementHeader(c, t);
    if (len === UNDEFINED) skipUndefined(c, SEQ_DELIM);
    else c.pos += len;
  }
}

function elementHeader(c: Cursor, tag: number): { vr: string; len: number } {
  if (c.implicit || tag === ITEM || tag === ITEM_DELIM || tag === SEQ_DELIM) {
    return { vr: WANTED.get(tag)?.vr ?? 'UN', len: c.u32() };
  }
  c.need(4);
  const vr = String.fromCharCode(c.buf[c.pos]!, c.buf[c.pos + 1]!);
  if (LONG_VRS.has(vr)) {
    c.pos += 4;
    return { vr, len: c.u32() };
  }
  const len = c.view.getUint16(c.pos + 2, true);
  c.pos += 4;
  return { vr, len };
}

/** Reads the items of a wanted sequence into naturalized item objects. */
function readSequence(c: Cursor, len: number): NaturalDataset[] {
  const items: NaturalDataset[] = [];
  const end = len === UNDEFINED ? Infinity : c.pos + len;
  while (c.pos < end) {
    const t = c.tag();
    if (t === SEQ_DELIM) {
      c.u32();
      break;
    }
    if (t !== ITEM) throw new DicomParseError(`invalid DICOM file: expected an item tag in a sequence at offset ${c.pos - 4}`, 'invalid');
    const ilen = c.u32();
    const item: NaturalDataset = {};
    readElements(c, item, ilen === UNDEFINED ? Infinity : c.pos + ilen, ilen === UNDEFINED);
    items.push(item);
  }
  return items;
}

/** Encapsulated Pixel Data: the Basic Offset Table groups fragments into frames when present. */
function readEncapsulated(c: Cursor): Uint8Array[] {
  let t = c.tag();
  if (t !== ITEM) throw new DicomParseError('invalid DICOM file: encapsulated Pixel Data without a Basic Offset Table item', 'invalid');
  const botLen = c.u32();
  c.need(botLen);
  const offsets: number[] = [];
  for (let i = 0; i < botLen; i += 4) offsets.push(c.view.getUint32(c.pos + i, true));
  c.pos += botLen;
  const firstFragment = c.pos;
  const fragments: { at: number; data: Uint8Array }[] = [];
  for (;;) {
    t = c.tag();
    const len = c.u32();
    if (t === SEQ_DELIM) break;
    if (t !== ITEM) throw new DicomParseError(`invalid DICOM file: unexpected tag in encapsulated Pixel Data at offset ${c.pos - 8}`, 'invalid');
    c.need(len);
    fragments.push({ at: c.pos - 8 - firstFragment, data: c.buf.subarray(c.pos, c.pos + len) });
    c.pos += len;
  }
  if (offsets.length <= 1 || offsets.length === fragments.length) return fragments.map((f) => f.data);
  return offsets.map((start, i) => {
    const stop = offsets[i + 1] ?? Infinity;
    const parts = fragments.filter((f) => f.at >= start && f.at < stop).map((f) => f.data);
    if (parts.length === 1) return parts[0]!;
    const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
    let o = 0;
    for (const p of parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  });
}

function readElements(c: Cursor, into: NaturalDataset, end: number, untilItemDelim: boolean): void {
  while (c.pos < end) {
    if (end === Infinity && c.pos >= c.buf.length) {
      if (untilItemDelim) throw new DicomParseError('truncated DICOM file: item not terminated', 'truncated');
      return;
    }
    const tag = c.tag();
    if (tag === ITEM_DELIM) {
      c.u32();
      return;
    }
    const { vr, len } = elementHeader(c, tag);
    const want = WANTED.get(tag);
    if (want?.kind === 'pixel') {
      if (len === UNDEFINED) into.PixelData = readEncapsulated(c);
      else {
        c.need(len);
        into.PixelData = [c.buf.subarray(c.pos, c.pos + len)];
        c.pos += len;
      }
      continue;
    }
    if (want?.kind === 'seq') {
      into[want.key] = readSequence(c, len);
      continue;
    }
    if (len === UNDEFINED) {
      // An unwanted sequence: skip with nesting. UN of undefined length holds implicit VR items (PS3.5 6.2.2).
      if (vr === 'UN' && !c.implicit) {
        const inner = new Cursor(c.buf, c.view, c.pos, true);
        skipUndefined(inner, SEQ_DELIM);
        c.pos = inner.pos;
      } else skipUndefined(c, SEQ_DELIM);
      continue;
    }
    c.need(len);
    if (want) {
      const v = decodeValue(c, want.kind, len);
      if (v !== undefined) into[want.key] = v;
    }
    c.pos += len;
  }
}

/** Reads the File Meta group; returns the transfer syntax and where the data set starts. */
function readMeta(buf: Uint8Array, view: DataView): { ts: string; start: number } {
  const c = new Cursor(buf, view, 132, false);
  let ts = '';
  while (c.pos + 8 <= buf.length && view.getUint16(c.pos, true) === 0x0002) {
    const tag = c.tag();
    const { len } = elementHeader(c, tag);
    c.need(len);
    if (tag === 0x00020010) ts = trimValue(ascii(buf, c.pos, len));
    c.pos += len;
  }
  if (!ts) throw new DicomParseError('invalid DICOM file: File Meta Information has no TransferSyntaxUID', 'invalid');
  return { ts, start: c.pos };
}

/** Parses P10 bytes into the subset of attributes volume building needs, with Pixel Data as views into `bytes`. */
export function readImageInstance(bytes: Uint8Array): InstanceData {
  if (!hasP10Magic(bytes)) throw new DicomParseError('not a DICOM Part 10 file (no "DICM" magic at offset 128)', 'not-dicom');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const { ts, start } = readMeta(bytes, view);
  if (ts === TransferSyntax.DeflatedExplicitVRLittleEndian || ts === TransferSyntax.ExplicitVRBigEndian) {
    const p = readP10(bytes);
    return { dataset: p.dataset, transferSyntaxUid: str(p.meta, 'TransferSyntaxUID') };
  }
  const dataset: NaturalDataset = {};
  const c = new Cursor(bytes, view, start, ts === TransferSyntax.ImplicitVRLittleEndian);
  try {
    readElements(c, dataset, bytes.length, false);
  } catch (e) {
    if (e instanceof DicomParseError) throw e;
    throw new DicomParseError(`invalid DICOM file: ${(e as Error).message}`, 'invalid');
  }
  return { dataset, transferSyntaxUid: ts };
}
