/**
 * WADO-RS (PS3.18 10.4): retrieve instances of a study / series / one instance as multipart/related;
 * type="application/dicom" (files exactly as stored), their metadata as application/dicom+json, frames and the
 * Pixel Data bulk data as multipart/related; type="application/octet-stream".
 *
 * Transfer syntax: the node stores objects as received and does not transcode. An Accept without a
 * transfer-syntax parameter, or with transfer-syntax=*, gets the stored syntax (named in each part's
 * Content-Type); asking for a specific other syntax is 406 Not Acceptable.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream, promises as fsp } from 'node:fs';
import { once } from 'node:events';
import type { Request, Response } from 'express';
import { ENCAPSULATED_TRANSFER_SYNTAXES, TransferSyntax } from '../dicom/constants';
import { isValidUid } from '../dicom/uids';
import type { Logger } from '../log/logger';
import { pixelGeometry, type InstanceStore } from '../store/store';
import { shortPixelDataMessage } from '../dicom/pixel-length';
import type { DicomJson, InstanceRecord } from '../store/types';
import { parseMediaType } from './multipart';
import type { RetrieveBase } from './qido';

interface Deps {
  store: InstanceStore;
  urls(req: Request): RetrieveBase;
  logger: Logger;
}

function fail(res: Response, status: number, message: string): void {
  res.status(status).json({ error: message, status });
}

/** Checks path UIDs; answers 400 and returns false when one is malformed. */
function validParams(req: Request, res: Response): boolean {
  for (const k of ['study', 'series', 'instance'] as const) {
    const v = req.params[k];
    if (typeof v === 'string' && !isValidUid(v)) {
      fail(res, 400, `${k} UID in the URL is not a valid UID: ${JSON.stringify(String(v).slice(0, 80))}`);
      return false;
    }
  }
  return true;
}

/** Instances addressed by the URL (study, series or instance); [] when nothing matches. */
function addressed(store: InstanceStore, req: Request): InstanceRecord[] {
  const study = req.params.study as string;
  const series = req.params.series as string | undefined;
  const sop = req.params.instance as string | undefined;
  if (sop) {
    const rec = store.getInstance(sop);
    return rec && rec.studyInstanceUid === study && (!series || rec.seriesInstanceUid === series) ? [rec] : [];
  }
  return store.listInstances({ studyInstanceUid: study, seriesInstanceUid: series });
}

type Negotiated = { kind: 'multipart' | 'single'; transferSyntax: string } | { error: string };

/** Accept negotiation for instance retrieval. `single` (application/dicom) only for one instance. */
function negotiateDicom(accept: string | undefined, oneInstance: boolean): Negotiated {
  if (!accept) return { kind: 'multipart', transferSyntax: '*' };
  const errors: string[] = [];
  for (const range of accept.split(/,(?=(?:[^"]*"[^"]*")*[^"]*$)/)) {
    const mt = parseMediaType(range);
    const ts = mt.params['transfer-syntax'] ?? '*';
    if (mt.type === '*/*' || mt.type === 'multipart/*') return { kind: 'multipart', transferSyntax: '*' };
    if (mt.type === 'multipart/related') {
      const t = (mt.params.type ?? 'application/dicom').toLowerCase();
      if (t === 'application/dicom') return { kind: 'multipart', transferSyntax: ts };
      errors.push(`multipart/related type ${t}`);
    } else if (mt.type === 'application/dicom') {
      if (oneInstance) return { kind: 'single', transferSyntax: ts };
      errors.push('application/dicom for more than one instance');
    } else errors.push(mt.type);
  }
  return { error: `cannot answer Accept ${JSON.stringify(accept)} (${errors.join('; ')}); use multipart/related; type="application/dicom"` };
}

function tsMismatch(instances: InstanceRecord[], ts: string): string | undefined {
  if (ts === '*') return undefined;
  const other = instances.find((i) => i.transferSyntaxUid !== ts);
  return other && `instance ${other.sopInstanceUid} is stored as ${other.transferSyntaxUid}; the node does not transcode (ask with transfer-syntax=*)`;
}

async function write(res: Response, data: Buffer | string): Promise<void> {
  if (!res.write(data)) await once(res, 'drain');
}

/** Streams files as multipart/related parts, one at a time, honouring backpressure. */
async function streamMultipart(res: Response, parts: Array<{ headers: Record<string, string>; path: string; start?: number; end?: number } | { headers: Record<string, string>; data: Buffer }>, type: string): Promise<void> {
  const boundary = `nonc-${randomBytes(12).toString('hex')}`;
  res.status(200);
  res.setHeader('Content-Type', `multipart/related; type="${type}"; boundary=${boundary}`);
  for (const p of parts) {
    const head = Object.entries(p.headers).map(([k, v]) => `${k}: ${v}\r\n`).join('');
    await write(res, `--${boundary}\r\n${head}\r\n`);
    if ('data' in p) await write(res, p.data);
    else {
      for await (const chunk of createReadStream(p.path, { start: p.start, end: p.end })) {
        if (res.destroyed) return;
        await write(res, chunk as Buffer);
      }
    }
    await write(res, '\r\n');
  }
  res.end(`--${boundary}--\r\n`);
}

export function retrieveHandler(deps: Deps) {
  return async (req: Request, res: Response): Promise<void> => {
    if (!validParams(req, res)) return;
    const instances = addressed(deps.store, req);
    if (!instances.length) return fail(res, 404, 'no such study, series or instance in this node');
    const neg = negotiateDicom(req.headers.accept, Boolean(req.params.instance));
    if ('error' in neg) return fail(res, 406, neg.error);
    const mismatch = tsMismatch(instances, neg.transferSyntax);
    if (mismatch) return fail(res, 406, mismatch);
    const urls = deps.urls(req);
    if (neg.kind === 'single') {
      const rec = instances[0]!;
      res.status(200);
      res.setHeader('Content-Type', `application/dicom; transfer-syntax=${rec.transferSyntaxUid}`);
      res.setHeader('Content-Length', String(rec.sizeBytes));
      for await (const chunk of createReadStream(rec.path)) await write(res, chunk as Buffer);
      res.end();
      return;
    }
    await streamMultipart(
      res,
      instances.map((i) => ({
        path: i.path,
        headers: {
          'Content-Type': `application/dicom; transfer-syntax=${i.transferSyntaxUid}`,
          'Content-Length': String(i.sizeBytes),
          'Content-Location': urls.instance(i.studyInstanceUid, i.seriesInstanceUid, i.sopInstanceUid),
        },
      })),
      'application/dicom',
    );
  };
}

/** application/dicom+json array of the stored headers; Pixel Data as a BulkDataURI. */
export function metadataHandler(deps: Deps) {
  return (req: Request, res: Response): void => {
    if (!validParams(req, res)) return;
    const accept = req.headers.accept;
    if (accept && !accept.split(',').some((r) => ['application/dicom+json', 'application/json', '*/*'].includes(parseMediaType(r).type))) {
      return fail(res, 406, `metadata is served as application/dicom+json, not ${JSON.stringify(accept)}`);
    }
    const study = req.params.study as string;
    const series = req.params.series as string | undefined;
    const sop = req.params.instance as string | undefined;
    const rows = deps.store
      .instanceMetadata({ studyInstanceUid: study, seriesInstanceUid: series, sopInstanceUid: sop })
      .filter((r) => r.record.studyInstanceUid === study && (!series || r.record.seriesInstanceUid === series));
    if (!rows.length) return fail(res, 404, 'no such study, series or instance in this node');
    const urls = deps.urls(req);
    const out: DicomJson[] = rows.map(({ record: r, metadata }) => {
      const ds: DicomJson = { ...metadata };
      if (r.pixelDataOffset !== undefined) {
        const vr = ENCAPSULATED_TRANSFER_SYNTAXES.has(r.transferSyntaxUid) || (r.bitsAllocated ?? 16) <= 8 ? 'OB' : 'OW';
        ds['7FE00010'] = { vr, BulkDataURI: `${urls.instance(r.studyInstanceUid, r.seriesInstanceUid, r.sopInstanceUid)}/bulkdata/7FE00010` };
      }
      return ds;
    });
    res.status(200);
    res.setHeader('Content-Type', 'application/dicom+json; charset=utf-8');
    res.end(JSON.stringify(out));
  };
}

/** Where the Pixel Data value starts and how it is laid out. */
async function pixelDataLayout(rec: InstanceRecord): Promise<{ valueStart: number; valueLength: number; encapsulated: boolean }> {
  if (rec.pixelDataOffset === undefined) throw new WadoError(404, 'this instance has no Pixel Data');
  const implicit = rec.transferSyntaxUid === TransferSyntax.ImplicitVRLittleEndian;
  if (rec.transferSyntaxUid === TransferSyntax.ExplicitVRBigEndian || rec.transferSyntaxUid === TransferSyntax.DeflatedExplicitVRLittleEndian) {
    throw new WadoError(406, `frames and bulk data are not served for ${rec.transferSyntaxUid} objects; retrieve the instance`);
  }
  const fh = await fsp.open(rec.path, 'r');
  try {
    const head = Buffer.alloc(12);
    await fh.read(head, 0, 12, rec.pixelDataOffset);
    const length = implicit ? head.readUInt32LE(4) : head.readUInt32LE(8);
    const valueStart = rec.pixelDataOffset + (implicit ? 8 : 12);
    return { valueStart, valueLength: length, encapsulated: length === 0xffffffff };
  } finally {
    await fh.close();
  }
}

class WadoError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Fragments of encapsulated Pixel Data: [offset, length] of each item after the Basic Offset Table. */
async function fragments(path: string, start: number): Promise<{ bot: number[]; frags: Array<[number, number]> }> {
  const fh = await fsp.open(path, 'r');
  try {
    const head = Buffer.alloc(8);
    let pos = start;
    const items: Array<[number, number]> = [];
    for (;;) {
      const { bytesRead } = await fh.read(head, 0, 8, pos);
      if (bytesRead < 8) throw new WadoError(500, 'stored pixel data ends without a sequence delimiter');
      const tag = head.readUInt32LE(0);
      const len = head.readUInt32LE(4);
      if (tag === 0xe0ddfffe) break;
      items.push([pos + 8, len]);
      pos += 8 + len;
    }
    const [botItem, ...frags] = items;
    let bot: number[] = [];
    if (botItem && botItem[1] > 0) {
      const b = Buffer.alloc(botItem[1]);
      await fh.read(b, 0, b.length, botItem[0]);
      for (let i = 0; i + 4 <= b.length; i += 4) bot.push(b.readUInt32LE(i));
    } else bot = [];
    return { bot, frags };
  } finally {
    await fh.close();
  }
}

/** GET .../frames/{list}: uncompressed frames as raw little endian bytes, compressed frames as their fragments. */
export function framesHandler(deps: Deps) {
  return async (req: Request, res: Response): Promise<void> => {
    if (!validParams(req, res)) return;
    const [rec] = addressed(deps.store, req);
    if (!rec) return fail(res, 404, 'no such instance in this node');
    const list = String(req.params.frames).split(',').map((f) => Number(f.trim()));
    const nFrames = rec.numberOfFrames ?? 1;
    const bad = list.find((f) => !Number.isInteger(f) || f < 1 || f > nFrames);
    if (bad !== undefined) return fail(res, 404, `frame ${String(bad)} does not exist (the instance has ${nFrames} frame(s))`);
    try {
      const layout = await pixelDataLayout(rec);
      const parts: Array<{ headers: Record<string, string>; path: string; start: number; end: number } | { headers: Record<string, string>; data: Buffer }> = [];
      const ts = rec.transferSyntaxUid;
      if (!layout.encapsulated) {
        const [hdr] = deps.store.instanceMetadata({ sopInstanceUid: rec.sopInstanceUid });
        const geometry = pixelGeometry(hdr?.metadata ?? {});
        const spp = geometry.samplesPerPixel ?? 1;
        const frameBytes = Math.ceil(((rec.rows ?? 0) * (rec.columns ?? 0) * spp * (rec.bitsAllocated ?? 16)) / 8);
        // Stored before the store refused short Pixel Data at receipt: the instance is damaged, not the node (4xx).
        const short = shortPixelDataMessage(geometry, layout.valueLength);
        if (short) throw new WadoError(422, `the stored instance is damaged, its frames cannot be served: ${short}`);
        if (!frameBytes) throw new WadoError(422, 'the stored instance has no Rows, Columns or BitsAllocated: its frames cannot be served');
        for (const f of list) {
          const start = layout.valueStart + (f - 1) * frameBytes;
          parts.push({ path: rec.path, start, end: start + frameBytes - 1, headers: { 'Content-Type': `application/octet-stream; transfer-syntax=${ts}` } });
        }
      } else {
        const { bot, frags } = await fragments(rec.path, layout.valueStart);
        const fragsOf = (f: number): Array<[number, number]> => {
          if (nFrames === 1) return frags;
          if (frags.length === nFrames) return [frags[f - 1]!];
          if (bot.length === nFrames) {
            const first = frags[0]![0] - 8;
            const lo = first + bot[f - 1]!;
            const hi = f < nFrames ? first + bot[f]! : Infinity;
            return frags.filter(([o]) => o - 8 >= lo && o - 8 < hi);
          }
          throw new WadoError(406, 'cannot split this encapsulated pixel data into frames (no Basic Offset Table)');
        };
        for (const f of list) {
          const fh = await fsp.open(rec.path, 'r');
          try {
            const bufs = await Promise.all(
              fragsOf(f).map(async ([o, l]) => {
                const b = Buffer.alloc(l);
                await fh.read(b, 0, l, o);
                return b;
              }),
            );
            parts.push({ data: Buffer.concat(bufs), headers: { 'Content-Type': `application/octet-stream; transfer-syntax=${ts}` } });
          } finally {
            await fh.close();
          }
        }
      }
      await streamMultipart(res, parts, 'application/octet-stream');
    } catch (e) {
      if (e instanceof WadoError) return fail(res, e.status, e.message);
      throw e;
    }
  };
}

/** GET .../bulkdata/7FE00010: the whole Pixel Data value (the BulkDataURI in metadata). */
export function bulkdataHandler(deps: Deps) {
  return async (req: Request, res: Response): Promise<void> => {
    if (!validParams(req, res)) return;
    if (String(req.params.tag).toUpperCase() !== '7FE00010') return fail(res, 404, 'only Pixel Data (7FE00010) is served as bulk data');
    const [rec] = addressed(deps.store, req);
    if (!rec) return fail(res, 404, 'no such instance in this node');
    try {
      const layout = await pixelDataLayout(rec);
      if (layout.encapsulated) {
        const { frags } = await fragments(rec.path, layout.valueStart);
        const fh = await fsp.open(rec.path, 'r');
        try {
          const bufs = await Promise.all(frags.map(async ([o, l]) => {
            const b = Buffer.alloc(l);
            await fh.read(b, 0, l, o);
            return b;
          }));
          await streamMultipart(res, [{ data: Buffer.concat(bufs), headers: { 'Content-Type': `application/octet-stream; transfer-syntax=${rec.transferSyntaxUid}` } }], 'application/octet-stream');
        } finally {
          await fh.close();
        }
        return;
      }
      await streamMultipart(
        res,
        [{ path: rec.path, start: layout.valueStart, end: layout.valueStart + layout.valueLength - 1, headers: { 'Content-Type': `application/octet-stream; transfer-syntax=${rec.transferSyntaxUid}` } }],
        'application/octet-stream',
      );
    } catch (e) {
      if (e instanceof WadoError) return fail(res, e.status, e.message);
      throw e;
    }
  };
}
