/**
 * Decodes an instance JSON: File Meta Information and every data set element before Pixel Data, straight into
 * the DICOM JSON model (PS3.18 F.2), for the store's index and WADO-RS metadata.
 *
 * Why not dcmjs: dcmjs builds and naturalizes an object graph per element; at ~0.5 ms per MR slice it was the
 * largest cost of STOW ingest on the event loop. This decoder reads the bytes once and allocates only the JSON.
 * It handles explicit and implicit VR little endian with the character sets the node meets in practice
 * (default repertoire, ISO_IR 100 Latin-1, ISO_IR 192 UTF-8); anything else (big endian, deflated, ISO 2022
 * code extensions, other single-byte sets) returns undefined and the caller falls back to dcmjs.
 * The structure was already validated by p10-structure.ts, so lengths can be trusted here.
 */
import dcmjs from 'dcmjs';
import { BINARY_VRS, ITEM, ITEM_DELIM, PIXEL_DATA_TAGS, SEQ_DELIM, TransferSyntax, UNDEFINED_LENGTH } from '../dicom/constants';
import { EXPLICIT_LE, IMPLICIT_LE, newElementHeader, readElementHeader, type Encoding } from '../dicom/element-walker';
import { DicomParseError } from '../dicom/p10';
import type { DicomJson } from './types';

type JsonEl = DicomJson[string];

/** Binary values up to this size are kept inline (base64); larger ones are left out (as dicom-json.ts does). */
const MAX_INLINE_BINARY = 1024;
const TEXT_SINGLE = new Set(['LT', 'ST', 'UT', 'UR']);

let dictionary: Map<number, string> | undefined;

/** Tag -> VR from dcmjs' data dictionary (for implicit VR); "US or SS" style entries take the first. */
function vrOf(tag: number): string {
  if (!dictionary) {
    dictionary = new Map();
    // dcmjs' tag-keyed dictionary is not enumerable; its keyword map is.
    for (const entry of Object.values(dcmjs.data.DicomMetaDictionary.nameMap)) {
      const m = /^\(([0-9A-Fa-f]{4}),([0-9A-Fa-f]{4})\)$/.exec(entry.tag);
      // Lower-case entries are "either" VRs: xs = US or SS, ox = OB or OW, lt = US or OW (LUT data), up = UL.
      const either: Record<string, string> = { xs: 'US', ox: 'OW', lt: 'OW', up: 'UL' };
      const vr = either[entry.vr] ?? (/^[A-Z]{2}/.test(entry.vr ?? '') ? entry.vr.slice(0, 2) : 'UN');
      if (m) dictionary.set(parseInt(m[1]! + m[2]!, 16) >>> 0, vr);
    }
  }
  if ((tag & 0xffff) === 0x0000) return 'UL'; // group length
  if (((tag >>> 16) & 1) === 1) {
    const el = tag & 0xffff;
    return el >= 0x0010 && el <= 0x00ff ? 'LO' : 'UN'; // private creator / private data
  }
  return dictionary.get(tag) ?? 'UN';
}

type Charset = 'latin1' | 'utf8';

function charsetOf(value: unknown[] | undefined): Charset | undefined {
  const terms = (value ?? []).map((v) => String(v ?? '').trim()).filter(Boolean);
  if (!terms.length) return 'latin1';
  if (terms.length === 1 && (terms[0] === 'ISO_IR 6' || terms[0] === 'ISO_IR 100')) return 'latin1';
  if (terms.length === 1 && terms[0] === 'ISO_IR 192') return 'utf8';
  return undefined;
}

class Decoder {
  charset: Charset = 'latin1';

  /** Reused for every element of this data set (the nested datasets of a sequence take their own). */
  private readonly h = newElementHeader();

  constructor(
    private readonly buf: Buffer,
    private readonly enc: Encoding,
  ) {}

  /** Decodes elements in [pos, end) (or until an item delimiter when end is undefined); stops at Pixel Data. */
  dataset(pos: number, end: number | undefined, topLevel: boolean): { json: DicomJson; pos: number } {
    const json: DicomJson = {};
    const b = this.buf;
    const h = this.h;
    for (;;) {
      if (end !== undefined && pos >= end) break;
      if (pos + 8 > b.length) break;
      const tag = readElementHeader(b, pos, this.enc, h).tag;
      if (tag === ITEM_DELIM) {
        pos += 8;
        break;
      }
      if (topLevel && PIXEL_DATA_TAGS.has(tag)) break;
      const vr = h.vr || vrOf(tag);
      const length = h.length;
      pos += h.size;
      const key = tag.toString(16).toUpperCase().padStart(8, '0');
      // Group lengths are encoding details, not attributes (dcmjs drops them too).
      if ((tag & 0xffff) === 0 && length !== UNDEFINED_LENGTH) {
        pos += length;
        continue;
      }
      if (length === UNDEFINED_LENGTH) {
        // Undefined length: a sequence (SQ, or UN holding implicit VR LE items, which we decode as such).
        const inner = vr === 'UN' ? new Decoder(this.buf, IMPLICIT_LE) : this;
        inner.charset = this.charset;
        const r = inner.sequence(pos);
        json[key] = r.items.length ? { vr: 'SQ', Value: r.items } : { vr: 'SQ' };
        pos = r.pos;
        continue;
      }
      if (vr === 'SQ') {
        const r = this.sequence(pos, pos + length);
        json[key] = r.items.length ? { vr, Value: r.items } : { vr };
      } else {
        json[key] = this.value(vr, pos, length);
        if (tag === 0x00080005) {
          const cs = charsetOf(json[key].Value);
          if (!cs) throw new UnsupportedEncoding(`Specific Character Set ${JSON.stringify(json[key].Value)}`);
          this.charset = cs;
          // The JSON holds Unicode text now, so it says UTF-8 (as dcmjs does when it decodes).
          json[key] = { vr: 'CS', Value: ['ISO_IR 192'] };
        }
      }
      pos += length;
    }
    return { json, pos };
  }

  private sequence(pos: number, end?: number): { items: DicomJson[]; pos: number } {
    const items: DicomJson[] = [];
    const h = newElementHeader();
    for (;;) {
      if (end !== undefined && pos >= end) return { items, pos };
      const { tag, length } = readElementHeader(this.buf, pos, this.enc, h);
      pos += 8;
      if (tag === SEQ_DELIM) return { items, pos };
      if (tag !== ITEM) throw new UnsupportedEncoding(`unexpected tag in a sequence at ${pos - 8}`);
      const r = this.dataset(pos, length === UNDEFINED_LENGTH ? undefined : pos + length, false);
      items.push(r.json);
      pos = length === UNDEFINED_LENGTH ? r.pos : pos + length;
    }
  }

  private text(pos: number, length: number): string {
    return this.buf.toString(this.charset, pos, pos + length);
  }

  private value(vr: string, pos: number, length: number): JsonEl {
    const b = this.buf;
    if (length === 0) return { vr };
    if (BINARY_VRS.has(vr)) {
      return length <= MAX_INLINE_BINARY ? { vr, InlineBinary: b.toString('base64', pos, pos + length) } : { vr };
    }
    const nums = (size: number, read: (o: number) => number): JsonEl => {
      const out: number[] = [];
      for (let o = pos; o + size <= pos + length; o += size) out.push(read(o));
      return { vr, Value: out };
    };
    switch (vr) {
      case 'US':
        return nums(2, (o) => b.readUInt16LE(o));
      case 'SS':
        return nums(2, (o) => b.readInt16LE(o));
      case 'UL':
        return nums(4, (o) => b.readUInt32LE(o));
      case 'SL':
        return nums(4, (o) => b.readInt32LE(o));
      case 'FL':
        return nums(4, (o) => b.readFloatLE(o));
      case 'FD':
        return nums(8, (o) => b.readDoubleLE(o));
      case 'SV':
        return nums(8, (o) => Number(b.readBigInt64LE(o)));
      case 'UV':
        return nums(8, (o) => Number(b.readBigUInt64LE(o)));
      case 'AT': {
        const out: string[] = [];
        for (let o = pos; o + 4 <= pos + length; o += 4) out.push((b.readUInt16LE(o).toString(16).padStart(4, '0') + b.readUInt16LE(o + 2).toString(16).padStart(4, '0')).toUpperCase());
        return { vr, Value: out };
      }
    }
    const raw = vr === 'UI' ? b.toString('latin1', pos, pos + length).replace(/\0+$/, '') : this.text(pos, length);
    if (TEXT_SINGLE.has(vr)) {
      const v = raw.replace(/[\0 ]+$/, '');
      return v ? { vr, Value: [v] } : { vr };
    }
    const parts = raw.split('\\').map((p) => p.replace(/^[\0 ]+|[\0 ]+$/g, ''));
    let values: unknown[];
    if (vr === 'PN') {
      values = parts.map((p) => {
        if (!p) return null;
        const [a, i, ph] = p.split('=');
        const pn: Record<string, string> = {};
        if (a) pn.Alphabetic = a;
        if (i) pn.Ideographic = i;
        if (ph) pn.Phonetic = ph;
        return Object.keys(pn).length ? pn : null;
      });
    } else if (vr === 'DS' || vr === 'IS') {
      values = parts.map((p) => {
        if (!p) return null;
        const n = Number(p);
        return Number.isFinite(n) ? n : null;
      });
    } else {
      values = parts.map((p) => (p === '' ? null : p));
    }
    return values.some((v) => v !== null) ? { vr, Value: values } : { vr };
  }
}

export class UnsupportedEncoding extends Error {}

export interface DecodedInstanceJson {
  meta: DicomJson;
  dataset: DicomJson;
}


/**
 * Decodes File Meta (from offset 132) and the data set up to Pixel Data. `datasetOffset` and the transfer syntax
 * come from the structural walk. Returns undefined when this decoder does not handle the object (see above).
 */
export function decodeInstanceJson(buf: Buffer, datasetOffset: number, transferSyntaxUid: string): DecodedInstanceJson | undefined {
  if (transferSyntaxUid === TransferSyntax.ExplicitVRBigEndian || transferSyntaxUid === TransferSyntax.DeflatedExplicitVRLittleEndian) return undefined;
  try {
    const meta = new Decoder(buf, EXPLICIT_LE).dataset(132, datasetOffset, false).json;
    const enc = transferSyntaxUid === TransferSyntax.ImplicitVRLittleEndian ? IMPLICIT_LE : EXPLICIT_LE;
    const dataset = new Decoder(buf, enc).dataset(datasetOffset, buf.length, true).json;
    return { meta, dataset };
  } catch (e) {
    if (e instanceof UnsupportedEncoding || e instanceof DicomParseError || e instanceof RangeError) return undefined;
    throw e;
  }
}

/** Accessors over DICOM JSON by keyword-independent tag, for the index fields. */
export function jsonString(ds: DicomJson, tag: string): string {
  const v = ds[tag]?.Value?.[0];
  if (v == null) return '';
  if (typeof v === 'object') return String((v as { Alphabetic?: unknown }).Alphabetic ?? '');
  return String(v);
}

export function jsonNumbers(ds: DicomJson, tag: string): number[] | undefined {
  const vals = ds[tag]?.Value;
  if (!vals?.length) return undefined;
  const out = vals.map((v) => (typeof v === 'number' ? v : Number(v)));
  return out.every((x) => Number.isFinite(x)) ? out : undefined;
}
