/**
 * Is a resent object the same data set as the stored one? Duplicate detection compares data sets, not files: a
 * PACS that re-routes a study writes its own preamble and File Meta Information (group 0002), and may send it in
 * another transfer syntax. Two steps:
 *   1. same bytes after the File Meta Information (any transfer syntax): the same data set, cheaply;
 *   2. otherwise, both decoded: every header element by tag and value (VRs and lengths are encoding, not content;
 *      elements an implicit-VR syntax cannot type, VR UN, are skipped; so is Derivation Description when the
 *      transfer syntaxes differ: compressors such as dcmcjpeg note themselves there), and the pixel values frame by
 *      frame (decoded when compressed, so a lossless recompression is the same data set).
 * Reading the files is the only side effect.
 */
import { createHash } from 'node:crypto';
import { createReadStream, promises as fsp } from 'node:fs';
import type { NaturalDataset } from '../dicom/p10';
import { decodeFrameBytes, initPixelCodecs, needsCodecs, splitFrames } from '../dicom/pixel-codecs';
import { pixelFormatOf } from '../imaging/pixel-format';
import { readImageInstance } from '../imaging/p10-image-reader';
import { decodeInstanceJson } from './instance-json-decoder';
import { bufferSource, fileSource } from '../dicom/byte-source';
import { checkP10Structure } from './p10-structure';
import type { DicomJson } from './types';

export interface Comparison {
  same: boolean;
  /** How it was decided, or what differs (for the log and the sender's warning; no values, so no PHI). */
  detail: string;
}

/** A Part 10 object in memory, or the path of a file holding one. */
export type P10Object = Buffer | string;

/** Compares two stored or received Part 10 objects. Objects larger than `decodeLimitBytes` are compared by bytes only. */
export async function compareDataSets(a: P10Object, b: P10Object, decodeLimitBytes: number): Promise<Comparison> {
  const [sa, sb] = [structureOf(a), structureOf(b)];
  const [ha, hb] = await Promise.all([hashFrom(a, sa.datasetOffset), hashFrom(b, sb.datasetOffset)]);
  if (ha === hb) return { same: true, detail: 'same data set bytes (only the preamble or File Meta Information differ)' };
  const [size1, size2] = await Promise.all([sizeOf(a), sizeOf(b)]);
  if (size1 > decodeLimitBytes || size2 > decodeLimitBytes) return { same: false, detail: 'data set bytes differ (too large to compare decoded)' };
  const [ba, bb] = await Promise.all([bytesOf(a), bytesOf(b)]);
  const headers = compareHeaders(ba, sa, bb, sb);
  if (headers) return { same: false, detail: headers };
  const pixels = await comparePixels(ba, bb);
  if (pixels) return { same: false, detail: pixels };
  return { same: true, detail: `same data set decoded (${sa.transferSyntaxUid} and ${sb.transferSyntaxUid})` };
}

type Structure = ReturnType<typeof checkP10Structure>;

const DERIVATION_DESCRIPTION = '00082111';

function structureOf(o: P10Object): Structure {
  if (Buffer.isBuffer(o)) return checkP10Structure(bufferSource(o));
  const src = fileSource(o);
  try {
    return checkP10Structure(src);
  } finally {
    src.close();
  }
}

async function hashFrom(o: P10Object, start: number): Promise<string> {
  const h = createHash('sha256');
  if (Buffer.isBuffer(o)) return h.update(o.subarray(start)).digest('hex');
  for await (const chunk of createReadStream(o, { start })) h.update(chunk as Buffer);
  return h.digest('hex');
}

async function sizeOf(o: P10Object): Promise<number> {
  return Buffer.isBuffer(o) ? o.length : (await fsp.stat(o)).size;
}

async function bytesOf(o: P10Object): Promise<Buffer> {
  return Buffer.isBuffer(o) ? o : fsp.readFile(o);
}

/** The first header difference, or undefined when the headers hold the same elements and values. */
function compareHeaders(ba: Buffer, sa: Structure, bb: Buffer, sb: Structure): string | undefined {
  const ja = header(ba, sa);
  const jb = header(bb, sb);
  if (!ja || !jb) return 'data set bytes differ (header not decodable for a comparison)';
  const keys = new Set([...Object.keys(ja), ...Object.keys(jb)]);
  const skip = new Set(['7FE00010', ...(sa.transferSyntaxUid !== sb.transferSyntaxUid ? [DERIVATION_DESCRIPTION] : [])]);
  for (const tag of [...keys].sort()) {
    if (skip.has(tag)) continue;
    const x = ja[tag];
    const y = jb[tag];
    if (x?.vr === 'UN' || y?.vr === 'UN') continue;
    if (canonical(x) !== canonical(y)) return `element (${tag.slice(0, 4)},${tag.slice(4)}) differs`;
  }
  return undefined;
}

function header(buf: Buffer, s: Structure): DicomJson | undefined {
  const end = s.pixelDataOffset ?? buf.length;
  return decodeInstanceJson(buf.subarray(0, end), s.datasetOffset, s.transferSyntaxUid)?.dataset;
}

/** An element's content without its VR: values (numbers as numbers), inline binary, or nested items. */
function canonical(el: DicomJson[string] | undefined): string {
  if (!el) return '';
  const values = (el.Value ?? []).map((v) => (v && typeof v === 'object' && !Array.isArray(v) && !('Alphabetic' in v) ? canonicalItem(v as DicomJson) : v));
  return JSON.stringify([values, el.InlineBinary ?? null]);
}

function canonicalItem(item: DicomJson): string {
  return JSON.stringify(
    Object.keys(item)
      .sort()
      .filter((t) => item[t]?.vr !== 'UN')
      .map((t) => [t, canonical(item[t])]),
  );
}

/** The first pixel difference, or undefined when the decoded pixel values are equal. */
async function comparePixels(ba: Buffer, bb: Buffer): Promise<string | undefined> {
  const ia = readImageInstance(ba);
  const ib = readImageInstance(bb);
  if (ia.dataset.PixelData === undefined && ib.dataset.PixelData === undefined) return undefined;
  if (ia.dataset.PixelData === undefined || ib.dataset.PixelData === undefined) return 'Pixel Data present in only one';
  if (needsCodecs(ia.transferSyntaxUid) || needsCodecs(ib.transferSyntaxUid)) await initPixelCodecs();
  try {
    const fa = frames(ia.dataset, ia.transferSyntaxUid);
    const fb = frames(ib.dataset, ib.transferSyntaxUid);
    if (fa.length !== fb.length) return `${fa.length} and ${fb.length} frames`;
    for (let i = 0; i < fa.length; i++) if (!Buffer.from(fa[i]!).equals(Buffer.from(fb[i]!))) return `pixel values of frame ${i + 1} differ`;
  } catch (e) {
    return `pixel data not comparable (${(e as Error).message})`;
  }
  return undefined;
}

/** Every frame decoded to native little-endian bytes. */
function frames(ds: NaturalDataset, ts: string): Uint8Array[] {
  const fmt = pixelFormatOf(ds);
  return splitFrames(ds.PixelData, ts, fmt, Number(ds.NumberOfFrames ?? 1) || 1).map((f) => decodeFrameBytes(f, ts, fmt));
}
