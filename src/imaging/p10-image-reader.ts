/**
 * A lean Part 10 reader for the volume path: walks the element headers of an image instance (dicom/element-walker),
 * decodes only the
 * attributes volume building needs (identity, pixel module, geometry, modality LUT, echo/time keys and the Enhanced
 * MR functional groups that carry them) and returns Pixel Data as zero-copy views. Everything else is skipped by length.
 *
 * Why: the general dcmjs parse (src/dicom/p10.ts) decodes and naturalizes every element (~0.3 ms per MR slice);
 * this skips them (~10x less), which is what keeps volume building within 2x of dcm2niix (docs/performance.md, S3/S4).
 * Explicit and Implicit VR Little Endian with any pixel encoding are read here; Deflated and Big Endian data sets
 * fall back to dcmjs via readP10. Errors are DicomParseError, as everywhere else.
 */
import { DicomParseError, hasP10Magic, readP10, str, type NaturalDataset } from '../dicom/p10';
import { bufferSource, concatBytes, type ByteSource } from '../dicom/byte-source';
import { ITEM, ITEM_DELIM, SEQ_DELIM, TransferSyntax, UNDEFINED_LENGTH } from '../dicom/constants';
import {
  encodingOf,
  IMPLICIT_LE,
  needValue,
  newElementHeader,
  readElementHeader,
  readFileMetaOf,
  walkFragments,
  walkSequence,
  type ElementHeader,
  type Encoding,
} from '../dicom/element-walker';

/** One image instance as the volume builder takes it. */
export interface InstanceData {
  /** Naturalized data set including PixelData as dcmjs returns it. */
  dataset: NaturalDataset;
  transferSyntaxUid: string;
}

type Kind = 'str' | 'strs' | 'num' | 'us' | 'ul' | 'fd' | 'seq' | 'pixel';

/** Tag (as group << 16 | element) -> keyword and how the value is decoded. */
const WANTED = new Map<number, { key: string; kind: Kind }>([
  [0x00080016, { key: 'SOPClassUID', kind: 'str' }],
  [0x00080018, { key: 'SOPInstanceUID', kind: 'str' }],
  [0x00080032, { key: 'AcquisitionTime', kind: 'str' }],
  [0x00080060, { key: 'Modality', kind: 'str' }],
  [0x00180050, { key: 'SliceThickness', kind: 'num' }],
  [0x00180081, { key: 'EchoTime', kind: 'num' }],
  [0x00180086, { key: 'EchoNumbers', kind: 'num' }],
  [0x00180088, { key: 'SpacingBetweenSlices', kind: 'num' }],
  [0x00181060, { key: 'TriggerTime', kind: 'num' }],
  [0x00189074, { key: 'FrameAcquisitionDateTime', kind: 'str' }],
  [0x00189082, { key: 'EffectiveEchoTime', kind: 'fd' }],
  [0x00189114, { key: 'MREchoSequence', kind: 'seq' }],
  [0x0020000d, { key: 'StudyInstanceUID', kind: 'str' }],
  [0x0020000e, { key: 'SeriesInstanceUID', kind: 'str' }],
  [0x00200011, { key: 'SeriesNumber', kind: 'num' }],
  [0x00200012, { key: 'AcquisitionNumber', kind: 'num' }],
  [0x00200013, { key: 'InstanceNumber', kind: 'num' }],
  [0x00200032, { key: 'ImagePositionPatient', kind: 'num' }],
  [0x00200037, { key: 'ImageOrientationPatient', kind: 'num' }],
  [0x00200052, { key: 'FrameOfReferenceUID', kind: 'str' }],
  [0x00200100, { key: 'TemporalPositionIdentifier', kind: 'num' }],
  [0x00209111, { key: 'FrameContentSequence', kind: 'seq' }],
  [0x00209113, { key: 'PlanePositionSequence', kind: 'seq' }],
  [0x00209116, { key: 'PlaneOrientationSequence', kind: 'seq' }],
  [0x00209128, { key: 'TemporalPositionIndex', kind: 'ul' }],
  [0x00209156, { key: 'FrameAcquisitionNumber', kind: 'us' }],
  [0x00280002, { key: 'SamplesPerPixel', kind: 'us' }],
  [0x00280004, { key: 'PhotometricInterpretation', kind: 'str' }],
  [0x00280006, { key: 'PlanarConfiguration', kind: 'us' }],
  [0x00280008, { key: 'NumberOfFrames', kind: 'num' }],
  [0x00280010, { key: 'Rows', kind: 'us' }],
  [0x00280011, { key: 'Columns', kind: 'us' }],
  [0x00280030, { key: 'PixelSpacing', kind: 'num' }],
  [0x00280100, { key: 'BitsAllocated', kind: 'us' }],
  [0x00280101, { key: 'BitsStored', kind: 'us' }],
  [0x00280102, { key: 'HighBit', kind: 'us' }],
  [0x00280103, { key: 'PixelRepresentation', kind: 'us' }],
  [0x00281052, { key: 'RescaleIntercept', kind: 'num' }],
  [0x00281053, { key: 'RescaleSlope', kind: 'num' }],
  [0x00289110, { key: 'PixelMeasuresSequence', kind: 'seq' }],
  [0x00289145, { key: 'PixelValueTransformationSequence', kind: 'seq' }],
  [0x52009229, { key: 'SharedFunctionalGroupsSequence', kind: 'seq' }],
  [0x52009230, { key: 'PerFrameFunctionalGroupsSequence', kind: 'seq' }],
  [0x7fe00010, { key: 'PixelData', kind: 'pixel' }],
]);

/** The walk over one instance: its bytes, their encoding, one reusable element header. */
interface Walk {
  readonly buf: Uint8Array;
  readonly view: DataView;
  readonly src: ByteSource;
  readonly enc: Encoding;
  readonly h: ElementHeader;
  pos: number;
}

function trimValue(s: string): string {
  return s.replace(/[\0 ]+$/, '').replace(/^ +/, '');
}

function ascii(buf: Uint8Array, start: number, len: number): string {
  let s = '';
  for (let i = start; i < start + len; i++) s += String.fromCharCode(buf[i]!);
  return s;
}

function decodeValue(w: Walk, kind: Kind, len: number): unknown {
  const { buf, view, pos } = w;
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

/** Reads the element header at w.pos into w.h and moves to its value. */
function nextHeader(w: Walk): ElementHeader {
  readElementHeader(w.buf, w.pos, w.enc, w.h);
  w.pos += w.h.size;
  return w.h;
}

/** Reads the items of a wanted sequence into naturalized item objects. */
function readSequence(w: Walk, len: number): NaturalDataset[] {
  const items: NaturalDataset[] = [];
  const end = len === UNDEFINED_LENGTH ? Infinity : w.pos + len;
  while (w.pos < end) {
    const { tag, length: ilen } = nextHeader(w);
    if (tag === SEQ_DELIM) break;
    if (tag !== ITEM) throw new DicomParseError(`invalid DICOM file: expected an item tag in a sequence at offset ${w.pos - 8}`, 'invalid');
    const item: NaturalDataset = {};
    readElements(w, item, ilen === UNDEFINED_LENGTH ? Infinity : w.pos + ilen, ilen === UNDEFINED_LENGTH);
    items.push(item);
  }
  return items;
}

/** Encapsulated Pixel Data: the Basic Offset Table groups fragments into frames when present. */
function readEncapsulated(w: Walk, tag: number): Uint8Array[] {
  if (readElementHeader(w.buf, w.pos, IMPLICIT_LE, w.h).tag !== ITEM) {
    throw new DicomParseError('invalid DICOM file: encapsulated Pixel Data without a Basic Offset Table item', 'invalid');
  }
  const items: { at: number; length: number }[] = [];
  w.pos = walkFragments(w.src, w.pos, tag, w.enc, (at, length) => items.push({ at, length }));
  const [bot, ...rest] = items;
  const offsets: number[] = [];
  for (let i = 0; bot && i + 4 <= bot.length; i += 4) offsets.push(w.view.getUint32(bot.at + i, true));
  const firstFragment = bot ? bot.at + bot.length : 0;
  const fragments = rest.map((f) => ({ at: f.at - 8 - firstFragment, data: w.buf.subarray(f.at, f.at + f.length) }));
  if (offsets.length <= 1 || offsets.length === fragments.length) return fragments.map((f) => f.data);
  return offsets.map((start, i) => {
    const stop = offsets[i + 1] ?? Infinity;
    const parts = fragments.filter((f) => f.at >= start && f.at < stop).map((f) => f.data);
    return parts.length === 1 ? parts[0]! : concatBytes(parts);
  });
}

function readElements(w: Walk, into: NaturalDataset, end: number, untilItemDelim: boolean): void {
  while (w.pos < end) {
    if (end === Infinity && w.pos >= w.buf.length) {
      if (untilItemDelim) throw new DicomParseError('truncated DICOM file: item not terminated', 'truncated');
      return;
    }
    const { tag, vr, length: len } = nextHeader(w);
    if (tag === ITEM_DELIM) return;
    const want = WANTED.get(tag);
    if (want?.kind === 'pixel') {
      if (len === UNDEFINED_LENGTH) into.PixelData = readEncapsulated(w, tag);
      else {
        needValue(w.src, w.pos, len, tag);
        into.PixelData = [w.buf.subarray(w.pos, w.pos + len)];
        w.pos += len;
      }
      continue;
    }
    if (want?.kind === 'seq') {
      into[want.key] = readSequence(w, len);
      continue;
    }
    if (len === UNDEFINED_LENGTH) {
      // An unwanted sequence: skip with nesting. UN of undefined length holds implicit VR items (PS3.5 6.2.2).
      w.pos = walkSequence(w.src, w.pos, 1, vr === 'UN' ? IMPLICIT_LE : w.enc);
      continue;
    }
    needValue(w.src, w.pos, len, tag);
    if (want) {
      const v = decodeValue(w, want.kind, len);
      if (v !== undefined) into[want.key] = v;
    }
    w.pos += len;
  }
}

/** Parses P10 bytes into the subset of attributes volume building needs, with Pixel Data as views into `bytes`. */
export function readImageInstance(bytes: Uint8Array): InstanceData {
  if (!hasP10Magic(bytes)) throw new DicomParseError('not a DICOM Part 10 file (no "DICM" magic at offset 128)', 'not-dicom');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const src = bufferSource(bytes);
  const meta = readFileMetaOf(bytes);
  const ts = meta.transferSyntaxUid;
  if (!ts) throw new DicomParseError('invalid DICOM file: File Meta Information has no TransferSyntaxUID', 'invalid');
  if (ts === TransferSyntax.DeflatedExplicitVRLittleEndian || ts === TransferSyntax.ExplicitVRBigEndian) {
    const p = readP10(bytes);
    return { dataset: p.dataset, transferSyntaxUid: str(p.meta, 'TransferSyntaxUID') };
  }
  const dataset: NaturalDataset = {};
  const w: Walk = { buf: bytes, view, src, enc: encodingOf(ts), h: newElementHeader(), pos: meta.datasetOffset };
  try {
    readElements(w, dataset, bytes.length, false);
  } catch (e) {
    if (e instanceof DicomParseError) throw e;
    throw new DicomParseError(`invalid DICOM file: ${(e as Error).message}`, 'invalid');
  }
  return { dataset, transferSyntaxUid: ts };
}
