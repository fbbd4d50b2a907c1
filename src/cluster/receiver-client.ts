/**
 * A worker's HTTP client for the receiver that holds a job's study: WADO-RS retrieve of the study's instances and
 * the stage reports and result uploads (src/cluster/report-api.ts). Authenticates as cluster.worker.receiverUser.
 * Reports are retried while the receiver is unreachable or restarting (it persists a report before answering, so
 * sending one twice is harmless).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { MultipartRelatedParser, parseMediaType } from '../dicomweb/multipart';
import type { Logger } from '../log/logger';
import type { StageReport } from './queue';

export class DispatchGoneError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DispatchGoneError';
  }
}

export interface ReceiverClientOptions {
  baseUrl: string;
  dicomwebBasePath: string;
  user?: string;
  secret?: string;
  logger: Logger;
  /** How long a report is retried while the receiver is down (ms). */
  retryForMs?: number;
  signal?: AbortSignal;
}

/** Transient: the receiver is down, restarting or overloaded; anything else (4xx) is an answer. */
const retryable = (status: number): boolean => status >= 500 || status === 429 || status === 408;

export class ReceiverClient {
  private readonly auth: Record<string, string>;

  constructor(private readonly o: ReceiverClientOptions) {
    this.auth = o.user && o.secret ? { authorization: `Basic ${Buffer.from(`${o.user}:${o.secret}`).toString('base64')}` } : {};
  }

  /** The study's instances (Part 10 bytes) by WADO-RS. */
  async fetchStudy(studyInstanceUid: string): Promise<Buffer[]> {
    const url = `${this.o.baseUrl}${this.o.dicomwebBasePath}/studies/${encodeURIComponent(studyInstanceUid)}`;
    const res = await this.send(url, { headers: { ...this.auth, accept: 'multipart/related; type="application/dicom"' } });
    if (!res.ok) throw new Error(`WADO-RS ${url} answered ${res.status}: ${(await res.text()).slice(0, 300)}`);
    const boundary = parseMediaType(res.headers.get('content-type') ?? '').params.boundary;
    if (!boundary) throw new Error(`WADO-RS ${url}: the answer is not multipart/related (Content-Type ${res.headers.get('content-type')})`);
    const parser = new MultipartRelatedParser(boundary);
    const parts: Buffer[] = [];
    let current: Buffer[] = [];
    for (const ev of parser.push(Buffer.from(await res.arrayBuffer()))) {
      if (ev.kind === 'part-start') current = [];
      else if (ev.kind === 'part-data') current.push(ev.data);
      else if (ev.complete) parts.push(Buffer.concat(current));
    }
    return parts;
  }

  async report(r: StageReport): Promise<void> {
    const res = await this.send(`${this.o.baseUrl}/api/cluster/reports`, { method: 'POST', headers: { ...this.auth, 'content-type': 'application/json' }, body: JSON.stringify(r) });
    await this.check(res, `report of ${r.stage}`);
  }

  async upload(jobId: number, token: string, rel: string, body: Buffer): Promise<void> {
    const q = new URLSearchParams({ token, path: rel });
    const res = await this.send(`${this.o.baseUrl}/api/cluster/jobs/${jobId}/files?${q}`, { method: 'PUT', headers: { ...this.auth, 'content-type': 'application/octet-stream' }, body });
    await this.check(res, `upload of ${rel}`);
  }

  private async check(res: Response, what: string): Promise<void> {
    if (res.ok) return;
    const text = (await res.text()).slice(0, 500);
    if (res.status === 409) throw new DispatchGoneError(`${what}: ${text}`);
    throw new Error(`${what}: the receiver answered ${res.status}: ${text}`);
  }

  /** fetch, retried with back-off on connection errors and 5xx until retryForMs has passed. */
  private async send(url: string, init: RequestInit): Promise<Response> {
    const until = Date.now() + (this.o.retryForMs ?? 600_000);
    for (let delay = 250; ; delay = Math.min(delay * 2, 5000)) {
      let problem: string;
      try {
        const res = await fetch(url, { ...init, ...(this.o.signal ? { signal: this.o.signal } : {}) });
        if (!retryable(res.status)) return res;
        problem = `HTTP ${res.status}`;
        if (Date.now() > until) return res;
      } catch (e) {
        if (this.o.signal?.aborted) throw e;
        problem = ((e as Error & { cause?: { code?: string } }).cause?.code ?? (e as Error).message) || 'error';
        if (Date.now() > until) throw new Error(`receiver ${this.o.baseUrl} unreachable: ${problem}`);
      }
      this.o.logger.warn('receiver not answering; retrying', { url: url.replace(/\?.*$/, ''), problem, retryInMs: delay });
      await sleep(delay, undefined, this.o.signal ? { signal: this.o.signal } : {});
    }
  }
}
