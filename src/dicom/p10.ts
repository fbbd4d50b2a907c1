/**
 * DICOM Part 10 read/write through dcmjs, with clear errors. Everything that parses a file goes through here
 * so that "not DICOM", "truncated" and "unsupported transfer syntax" are reported the same way everywhere.
 */
import dcmjs, { type DicomDataset } from 'dcmjs';

dcmjs.log.setLevel('error');

export type NaturalDataset = Record<string, unknown>;

export class DicomParseError extends Error {
  constructor(
    message: string,
    /** Machine-readable reason: not-dicom | truncated | unsupported-transfer-syntax | invalid. */
    public readonly reason: 'not-dicom' | 'truncated' | 'unsupported-transfer-syntax' | 'invalid',
  ) {
    super(message);
    this.name = 'DicomParseError';
  }
}

export interface ParsedP10 {
  /** File Meta Information, naturalized (TransferSyntaxUID, MediaStorageSOPClassUID, ...). */
  meta: NaturalDataset;
  /** The data set, naturalized (keyword -> value). */
  dataset: NaturalDataset;
  /** The raw (denaturalized) data set as dcmjs holds it, for re-writing without loss. */
  raw: DicomDataset;
}

function toArrayBuffer(buf: Buffer | Uint8Array | ArrayBuffer): ArrayBuffer {
  if (buf instanceof ArrayBuffer) return buf;
  return buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer;
}

/** True when the buffer has the 128-byte preamble + "DICM" magic. */
export function hasP10Magic(buf: Uint8Array): boolean {
  return buf.length >= 132 && buf[128] === 0x44 && buf[129] === 0x49 && buf[130] === 0x43 && buf[131] === 0x4d;
}

/**
 * Parses a Part 10 file. `headerOnly` stops before Pixel Data (7FE0,0010), which is what indexing needs.
 * Throws DicomParseError with a specific reason.
 */
export function readP10(buf: Buffer | Uint8Array | ArrayBuffer, opts: { headerOnly?: boolean } = {}): ParsedP10 {
  const u8 = buf instanceof ArrayBuffer ? new Uint8Array(buf) : buf;
  if (!hasP10Magic(u8)) {
    throw new DicomParseError('not a DICOM Part 10 file (no "DICM" magic at offset 128)', 'not-dicom');
  }
  let dict;
  try {
    dict = dcmjs.data.DicomMessage.readFile(toArrayBuffer(buf), {
      ignoreErrors: false,
      untilTag: opts.headerOnly ? '7FE00010' : null,
      includeUntilTagValue: false,
    });
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    if (/transfer syntax|syntax/i.test(msg) && /not supported|unsupported|unknown/i.test(msg)) {
      throw new DicomParseError(`unsupported transfer syntax: ${msg}`, 'unsupported-transfer-syntax');
    }
    if (/out of bounds|offset|range|beyond|end of|RangeError/i.test(msg) || e instanceof RangeError) {
      throw new DicomParseError(`truncated DICOM file: ${msg}`, 'truncated');
    }
    throw new DicomParseError(`invalid DICOM file: ${msg}`, 'invalid');
  }
  const meta = dcmjs.data.DicomMetaDictionary.naturalizeDataset(dict.meta);
  const dataset = dcmjs.data.DicomMetaDictionary.naturalizeDataset(dict.dict);
  return { meta, dataset, raw: dict.dict };
}

/** Writes a naturalized data set as Part 10 with the given transfer syntax (default Explicit VR Little Endian). */
export function writeP10(
  dataset: NaturalDataset,
  opts: { transferSyntaxUid?: string; implementationClassUid?: string; implementationVersionName?: string } = {},
): Buffer {
  const ts = opts.transferSyntaxUid ?? '1.2.840.10008.1.2.1';
  const sopClassUid = String(dataset.SOPClassUID ?? '');
  const sopInstanceUid = String(dataset.SOPInstanceUID ?? '');
  const meta = dcmjs.data.DicomMetaDictionary.denaturalizeDataset({
    FileMetaInformationVersion: new Uint8Array([0, 1]).buffer,
    MediaStorageSOPClassUID: sopClassUid,
    MediaStorageSOPInstanceUID: sopInstanceUid,
    TransferSyntaxUID: ts,
    ImplementationClassUID: opts.implementationClassUid ?? '1.2.826.0.1.3680043.10.1453.1',
    ImplementationVersionName: opts.implementationVersionName ?? 'NEURO_ONC_010',
  });
  const dict = new dcmjs.data.DicomDict(meta);
  dict.dict = dcmjs.data.DicomMetaDictionary.denaturalizeDataset(dataset);
  return Buffer.from(dict.write({ allowInvalidVRLength: false }));
}

/** Reads a string attribute from a naturalized data set ('' when absent). */
export function str(ds: NaturalDataset, keyword: string): string {
  let v = ds[keyword];
  if (v == null) return '';
  if (Array.isArray(v)) {
    if (!v.length) return '';
    v = v[0];
  }
  if (v != null && typeof v === 'object') {
    // Person Name in naturalized form: { Alphabetic: '...' }
    const alpha = (v as { Alphabetic?: unknown }).Alphabetic;
    return alpha != null ? String(alpha) : '';
  }
  return String(v);
}

/** Reads a numeric attribute (first value for multi-valued); undefined when absent or not a number. */
export function num(ds: NaturalDataset, keyword: string): number | undefined {
  const v = ds[keyword];
  const first = Array.isArray(v) ? v[0] : v;
  if (first == null || first === '') return undefined;
  const n = typeof first === 'number' ? first : Number(first);
  return Number.isFinite(n) ? n : undefined;
}

/** Reads a multi-valued numeric attribute (e.g. ImagePositionPatient); undefined when absent or malformed. */
export function nums(ds: NaturalDataset, keyword: string): number[] | undefined {
  const v = ds[keyword];
  if (v == null) return undefined;
  const arr = (Array.isArray(v) ? v : String(v).split('\\')).map((x) => (typeof x === 'number' ? x : Number(x)));
  return arr.every((x) => Number.isFinite(x)) ? arr : undefined;
}

/** Reads a multi-valued string attribute (e.g. ImageType) as an array of trimmed strings. */
export function strs(ds: NaturalDataset, keyword: string): string[] {
  const v = ds[keyword];
  if (v == null) return [];
  const arr = Array.isArray(v) ? v : String(v).split('\\');
  return arr.map((x) => String(x).trim());
}
