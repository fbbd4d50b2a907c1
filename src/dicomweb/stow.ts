/**
 * STOW-RS (PS3.18 10.5): POST {base}/studies and {base}/studies/{StudyInstanceUID}.
 *
 * The body is parsed as it arrives (multipart.ts); each part is kept in memory up to `maxInMemoryPartBytes`
 * and spilled to a temp file in the store beyond that, then handed to the store as soon as it is complete,
 * while the next part is still arriving. The response is sent only after every part's outcome is durable.
 *
 * Statuses: 200 all stored; 202 some stored, some failed; 409 none stored; 400 malformed request (bad
 * multipart framing before any part, no parts, invalid study UID in the URL); 406 an Accept the node cannot
 * answer; 413 body over http.maxUploadBytes (Content-Length checked before reading; a streamed body is cut
 * off when it passes the limit: parts completed before that point are kept and listed in the 413 body, the
 * part in progress is discarded), or with more parts than http.maxPartsPerRequest (cut off the same way when one
 * more part starts); 415 a Content-Type other than multipart/related; type="application/dicom"
 * (or a bare application/dicom body, accepted as one instance).
 */
import { promises as fsp, type promises } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import type { Request, Response } from 'express';
import { isValidUid } from '../dicom/uids';
import { drainThenClose } from '../http/drain-then-close';
import { diskSpaceMb, lowDiskMessage } from '../store/disk-space';
import type { Logger } from '../log/logger';
import type { IngestBatch } from '../store/ingest-batch';
import type { InstanceStore } from '../store/store';
import type { IngestContext, IngestOutcome } from '../store/types';
import { MultipartError, MultipartRelatedParser, parseMediaType, type MultipartEvent } from './multipart';
import { buildStowResponse, PRIVATE_CREATOR, type PartResult, type RetrieveUrls } from './stow-response';

export interface StowOptions {
  store: InstanceStore;
  maxUploadBytes: number;
  /** Most parts in one request (http.maxPartsPerRequest); the request is cut off with 413 when one more starts. */
  maxPartsPerRequest?: number;
  /** Parts up to this size stay in memory; larger ones are written to a temp file as they arrive. */
  maxInMemoryPartBytes?: number;
  /** Parts whose temp file is being written (and fsynced) at once per request; more parts wait (backpressure). */
  maxConcurrentIngests?: number;
  urls(req: Request): RetrieveUrls;
  logger: Logger;
}

const DICOM_JSON = 'application/dicom+json';

/** Sends a DICOM JSON (or plain JSON error) body. */
function send(res: Response, status: number, body: unknown, extraHeaders: Record<string, string> = {}): void {
  if (res.headersSent) return;
  res.status(status);
  for (const [k, v] of Object.entries(extraHeaders)) res.setHeader(k, v);
  res.setHeader('Content-Type', `${DICOM_JSON}; charset=utf-8`);
  res.end(JSON.stringify(body));
}

function sendError(res: Response, status: number, message: string, extraHeaders: Record<string, string> = {}): void {
  if (res.headersSent) return;
  res.status(status);
  for (const [k, v] of Object.entries(extraHeaders)) res.setHeader(k, v);
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.end(JSON.stringify({ error: message, status }));
}

/** Accept must allow application/dicom+json (or application/json, or anything). */
function acceptsDicomJson(accept: string | undefined): boolean {
  if (!accept) return true;
  return accept.split(',').some((r) => {
    const t = parseMediaType(r).type;
    return t === DICOM_JSON || t === 'application/json' || t === '*/*' || t === 'application/*';
  });
}

/** One part being received: in memory until it grows past the limit, then in a temp file. */
class PartSink {
  private chunks: Buffer[] = [];
  private bytes = 0;
  private file?: promises.FileHandle;
  private filePath?: string;

  constructor(
    private readonly store: InstanceStore,
    private readonly memLimit: number,
  ) {}

  get size(): number {
    return this.bytes;
  }

  async write(data: Buffer): Promise<void> {
    this.bytes += data.length;
    if (!this.file && this.bytes > this.memLimit) {
      this.filePath = this.store.createTempPath('stow');
      this.file = await fsp.open(this.filePath, 'wx', 0o644);
      for (const c of this.chunks) await writeAll(this.file, c);
      this.chunks = [];
    }
    if (this.file) await writeAll(this.file, data);
    else this.chunks.push(data);
  }

  /**
   * Hands the complete part to the request's batch. Resolves once the part is in the batch (so the batch may be
   * committed), with its outcome, which resolves when the batch commits.
   */
  async ingest(batch: IngestBatch): Promise<{ outcome: Promise<IngestOutcome> }> {
    if (this.file) {
      await this.file.close();
      this.file = undefined;
      return { outcome: batch.addFile(this.filePath!) };
    }
    const buf = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
    this.chunks = [];
    return { outcome: batch.addBuffer(buf) };
  }

  async discard(): Promise<void> {
    this.chunks = [];
    if (this.file) await this.file.close().catch(() => undefined);
    this.file = undefined;
    if (this.filePath) await fsp.rm(this.filePath, { force: true });
  }
}

async function writeAll(fh: promises.FileHandle, data: Buffer): Promise<void> {
  let off = 0;
  while (off < data.length) off += (await fh.write(data, off, data.length - off)).bytesWritten;
}

/**
 * Reads the request chunk by chunk, awaiting `onChunk` before the next one (backpressure). Resolves 'end' at the
 * end of the body, 'stopped' when onChunk returns false (the rest is left unread), 'aborted' if the client goes away.
 */
function readBody(req: IncomingMessage, onChunk: (b: Buffer) => Promise<boolean>): Promise<'end' | 'stopped' | 'aborted'> {
  return new Promise((resolve, reject) => {
    let chain = Promise.resolve();
    let done = false;
    const finish = (r: 'end' | 'stopped' | 'aborted'): void => {
      if (done) return;
      done = true;
      req.off('data', onData);
      resolve(r);
    };
    const onData = (chunk: Buffer): void => {
      req.pause();
      chain = chain
        .then(() => onChunk(chunk))
        .then((more) => {
          if (!more) {
            req.off('data', onData);
            return finish('stopped');
          }
          if (!done) req.resume();
        })
        .catch((e: unknown) => {
          done = true;
          req.off('data', onData);
          reject(e);
        });
    };
    req.on('data', onData);
    req.on('end', () => void chain.then(() => finish('end')));
    req.on('close', () => {
      if (!req.complete) void chain.then(() => finish('aborted'));
    });
  });
}

/** How many parts were refused for each reason: one summary for the log instead of a line per part. */
function rejectionCounts(results: readonly PartResult[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const { outcome } of results) if (outcome.status === 'rejected') counts[outcome.reason ?? 'internal'] = (counts[outcome.reason ?? 'internal'] ?? 0) + 1;
  return counts;
}

export function stowHandler(opts: StowOptions): (req: Request, res: Response) => Promise<void> {
  const memLimit = opts.maxInMemoryPartBytes ?? 32 * 1024 * 1024;
  const maxInflight = opts.maxConcurrentIngests ?? 8;
  const maxParts = opts.maxPartsPerRequest ?? 10_000;
  const log = opts.logger;

  return async (req, res) => {
    const t0 = Date.now();
    const user = res.locals.user as string | undefined; // set by access control, for the log lines
    const studyParam = typeof req.params.study === 'string' ? req.params.study : undefined;
    if (studyParam !== undefined && !isValidUid(studyParam)) {
      return sendError(res, 400, `Study Instance UID in the URL is not a valid UID: ${JSON.stringify(String(studyParam).slice(0, 80))}`);
    }
    if (!acceptsDicomJson(req.headers.accept)) {
      return sendError(res, 406, `STOW-RS responses are ${DICOM_JSON}; Accept ${JSON.stringify(req.headers.accept)} does not allow it`);
    }
    const ctRaw = req.headers['content-type'];
    if (!ctRaw) return sendError(res, 415, 'missing Content-Type; expected multipart/related; type="application/dicom"');
    const ct = parseMediaType(ctRaw);
    let single = false;
    if (ct.type === 'application/dicom') single = true;
    else if (ct.type !== 'multipart/related') {
      return sendError(res, 415, `unsupported Content-Type ${ct.type}; expected multipart/related; type="application/dicom"`);
    } else if (ct.params.type && ct.params.type.toLowerCase() !== 'application/dicom') {
      return sendError(res, 415, `unsupported multipart/related type ${JSON.stringify(ct.params.type)}; only application/dicom parts are accepted (no metadata+bulk data STOW)`);
    } else if (!ct.params.boundary) {
      return sendError(res, 400, 'multipart/related Content-Type has no boundary parameter');
    }
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > opts.maxUploadBytes) {
      log.warn('STOW-RS request over the size limit refused before reading', { contentLength: declared, maxUploadBytes: opts.maxUploadBytes });
      drainThenClose(req, res);
      return sendError(res, 413, `request body of ${declared} bytes exceeds http.maxUploadBytes (${opts.maxUploadBytes})`, { Connection: 'close' });
    }
    // A nearly full disk refuses the whole request before reading it; the sender retries later (Retry-After).
    const disk = await opts.store.disk.check().catch(() => undefined); // statfs failing is no reason to refuse
    if (disk && !disk.accepting) {
      log.error('STOW-RS request refused: disk nearly full', diskSpaceMb(disk));
      drainThenClose(req, res);
      return sendError(res, 503, lowDiskMessage(disk), { 'Retry-After': '300' });
    }

    const ctx: IngestContext = { source: 'stow', remoteAddress: req.socket.remoteAddress, expectedStudyUid: studyParam, ...(user ? { user } : {}) };
    // One batch per request: parts are written and fsynced as they arrive, committed together before the answer.
    const batch = opts.store.batch(ctx);
    const results: PartResult[] = [];
    const outcomes: Array<Promise<void>> = [];
    const entered: Array<Promise<void>> = [];
    let sink: PartSink | undefined;
    let skipPart = false;
    let partNo = 0;
    let total = 0;
    let overSize = false;
    let tooManyParts = false;
    let framingError: MultipartError | undefined;
    let parser: MultipartRelatedParser | undefined;
    try {
      parser = single ? undefined : new MultipartRelatedParser(ct.params.boundary!);
    } catch (e) {
      return sendError(res, 400, (e as Error).message);
    }

    const launch = (s: PartSink, part: number): void => {
      const slot = results.length;
      const failed = (e: unknown): void => {
        results[slot] = { part, outcome: { status: 'rejected', reason: 'internal', message: (e as Error).message } };
      };
      results.push({ part, outcome: { status: 'rejected', reason: 'internal', message: 'not finished' } });
      entered.push(
        s.ingest(batch).then(({ outcome }) => {
          outcomes.push(outcome.then((o) => void (results[slot] = { part, outcome: o }), failed));
        }, failed),
      );
    };
    /** Every part is in the batch before it commits (a spilled part enters asynchronously). */
    const commit = async (): Promise<void> => {
      await Promise.allSettled(entered);
      await batch.commit();
      await Promise.allSettled(outcomes);
    };

    const handle = async (ev: MultipartEvent): Promise<void> => {
      switch (ev.kind) {
        case 'part-start': {
          if (partNo >= maxParts) {
            tooManyParts = true;
            return;
          }
          partNo++;
          const partType = ev.headers['content-type'] ? parseMediaType(ev.headers['content-type']).type : 'application/dicom';
          if (partType !== 'application/dicom') {
            skipPart = true;
            results.push({ part: partNo, outcome: { status: 'rejected', reason: 'not-dicom', message: `part Content-Type ${partType} is not application/dicom` } });
            return;
          }
          skipPart = false;
          // Bound the parts being written: wait before taking in more.
          await batch.waitForWrites(maxInflight);
          sink = new PartSink(opts.store, memLimit);
          return;
        }
        case 'part-data':
          if (!skipPart && sink) await sink.write(ev.data);
          return;
        case 'part-end':
          if (skipPart || !sink) return;
          if (!ev.complete) {
            await sink.discard();
            results.push({ part: partNo, outcome: { status: 'rejected', reason: 'truncated', message: 'the request body ended inside this part (no closing multipart boundary)' } });
          } else if (sink.size === 0) {
            results.push({ part: partNo, outcome: { status: 'rejected', reason: 'not-dicom', message: 'empty part (no bytes between two boundaries)' } });
          } else launch(sink, partNo);
          sink = undefined;
      }
    };

    if (single) {
      partNo = 1;
      sink = new PartSink(opts.store, memLimit);
    }

    let ending: 'end' | 'stopped' | 'aborted';
    try {
      ending = await readBody(req, async (chunk) => {
        total += chunk.length;
        res.locals.bytesIn = total;
        if (total > opts.maxUploadBytes) {
          overSize = true;
          return false;
        }
        if (single) {
          await sink!.write(chunk);
          return true;
        }
        if (framingError) return true; // framing broken: discard the rest
        try {
          for (const ev of parser!.push(chunk)) {
            await handle(ev);
            if (tooManyParts) return false;
          }
        } catch (e) {
          if (!(e instanceof MultipartError)) throw e;
          framingError = e;
        }
        return true;
      });
      if (ending === 'end' && !overSize && !tooManyParts) {
        if (single) launch(sink!, 1);
        else if (!framingError) {
          try {
            for (const ev of parser!.end()) await handle(ev);
          } catch (e) {
            if (!(e instanceof MultipartError)) throw e;
            framingError = e;
          }
        }
      }
    } catch (e) {
      await sink?.discard();
      await commit(); // what was complete is valid; nothing half-written gets in
      log.error('STOW-RS request failed', { error: (e as Error).message });
      return sendError(res, 500, `internal error while receiving: ${(e as Error).message}`);
    }
    if (ending !== 'end' || overSize || tooManyParts) await sink?.discard();
    // Complete parts are kept even when the request is cut off (413, client gone): they are whole and valid, and a
    // resend of them is a harmless duplicate.
    await commit();

    const urls = opts.urls(req);
    if (ending === 'aborted') {
      const kept = results.filter((r) => r.outcome.status !== 'rejected').length;
      log.warn('STOW-RS request aborted by the client', { receivedBytes: total, partsStored: kept });
      return;
    }
    if (overSize || tooManyParts) {
      drainThenClose(req, res);
      const r = buildStowResponse(results, urls, { requestedStudyUid: studyParam, forceStatus: 413 });
      const limit = tooManyParts ? `has more than http.maxPartsPerRequest (${maxParts}) parts` : `exceeds http.maxUploadBytes (${opts.maxUploadBytes})`;
      log.warn(`STOW-RS request cut off: it ${limit}`, { maxUploadBytes: opts.maxUploadBytes, maxPartsPerRequest: maxParts, partsStored: r.stored, rejected: rejectionCounts(results), ...(user ? { user } : {}) });
      const why = `request body ${limit}; the ${r.stored} complete part(s) before the limit were stored, the rest was not read`;
      return send(res, 413, { ...r.body, '00090010': { vr: 'LO', Value: [PRIVATE_CREATOR] }, '00091001': { vr: 'LT', Value: [why] } }, { Connection: 'close' });
    }
    if (framingError && results.length === 0) {
      return sendError(res, 400, `malformed multipart/related body: ${framingError.message}`);
    }
    if (!framingError && results.length === 0) {
      return sendError(res, 400, 'the multipart/related body contains no parts');
    }
    const r = buildStowResponse(results, urls, {
      requestedStudyUid: studyParam,
      extraFailure: framingError ? { reason: 'invalid', message: `malformed multipart/related body after part ${partNo}: ${framingError.message}` } : undefined,
    });
    log.info('STOW-RS request', { status: r.status, stored: r.stored, failed: r.failed, ...(r.failed ? { rejected: rejectionCounts(results) } : {}), bytes: total, ms: Date.now() - t0, study: studyParam, ...(user ? { user } : {}) });
    send(res, r.status, r.body);
  };
}
