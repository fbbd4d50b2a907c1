/**
 * DICOM JSON model (PS3.18 F.2) for stored headers. dcmjs already holds a data set as { tag: { vr, Value } };
 * this turns it into clean DICOM JSON: no dcmjs-private fields, empty strings as absent values, small binary
 * values inline (base64) and large ones left out (Pixel Data is served through its BulkDataURI instead).
 */
import dcmjs, { type DicomDataset } from 'dcmjs';
import type { NaturalDataset } from '../dicom/p10';
import type { DicomJson } from './types';

const BINARY_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'UN']);
/** Binary values up to this size are kept inline in stored metadata; larger ones are dropped. */
const MAX_INLINE_BINARY = 1024;

function binaryToBase64(values: unknown[]): string | undefined {
  const parts: Buffer[] = [];
  for (const v of values) {
    if (v instanceof ArrayBuffer) parts.push(Buffer.from(v));
    else if (ArrayBuffer.isView(v)) parts.push(Buffer.from(v.buffer, v.byteOffset, v.byteLength));
    else return undefined;
  }
  const buf = Buffer.concat(parts);
  return buf.length <= MAX_INLINE_BINARY ? buf.toString('base64') : undefined;
}

function cleanValue(vr: string, v: unknown): unknown {
  if (vr === 'SQ') return toDicomJson(v as DicomDataset);
  if (v === '' || v === undefined) return null;
  if (vr === 'PN' && v && typeof v === 'object') {
    const pn = v as Record<string, unknown>;
    const out: Record<string, string> = {};
    for (const k of ['Alphabetic', 'Ideographic', 'Phonetic']) if (typeof pn[k] === 'string' && pn[k]) out[k] = pn[k];
    return Object.keys(out).length ? out : null;
  }
  if (typeof v === 'string') return v.replace(/\0+$/, '');
  return v;
}

/** dcmjs raw data set -> DICOM JSON, without bulk data. */
export function toDicomJson(raw: DicomDataset): DicomJson {
  const out: DicomJson = {};
  for (const [tag, el] of Object.entries(raw)) {
    if (!/^[0-9A-Fa-f]{8}$/.test(tag) || !el) continue;
    const vr = el.vr ?? 'UN';
    const t = tag.toUpperCase();
    if (BINARY_VRS.has(vr)) {
      if (t === '7FE00010') continue; // Pixel Data: served via BulkDataURI
      const b64 = el.InlineBinary ?? (Array.isArray(el.Value) ? binaryToBase64(el.Value) : undefined);
      if (b64 !== undefined) out[t] = { vr, InlineBinary: b64 };
      continue;
    }
    const values = Array.isArray(el.Value) ? el.Value.map((v) => cleanValue(vr, v)) : [];
    out[t] = values.length && values.some((v) => v !== null) ? { vr, Value: values } : { vr };
  }
  return out;
}

/** DICOM JSON -> dcmjs-naturalized data set (keyword -> value). */
export function naturalizeDicomJson(json: DicomJson): NaturalDataset {
  // dcmjs' naturalizer decodes InlineBinary itself and keeps unknown private tags by tag.
  return dcmjs.data.DicomMetaDictionary.naturalizeDataset(json);
}
