/**
 * Sends result objects to a DICOMweb peer with STOW-RS, through the dicomweb-client package (XMLHttpRequest
 * provided by xhr2 so it runs in Node). Basic or bearer auth, TLS with a private CA bundle.
 * One call = one attempt; retries and backoff are the caller's (src/delivery/deliver.ts).
 */
import { readFileSync } from 'node:fs';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { api as dicomweb } from 'dicomweb-client';
import XHR from 'xhr2';
import type { Destination } from '../config/sections/destinations';
import { parseStowResponse } from './stow-response';
import type { AttemptResult, OutgoingObject } from './types';

type DicomwebDestination = Extract<Destination, { type: 'dicomweb' }>;

/** HTTP statuses worth retrying: the peer may accept later. */
function isRetryableStatus(status: number): boolean {
  return status === 0 || status === 408 || status === 425 || status === 429 || status >= 500;
}

function authHeaders(dest: DicomwebDestination): Record<string, string> {
  if (!dest.auth) return {};
  if (dest.auth.type === 'basic') {
    return { Authorization: 'Basic ' + Buffer.from(`${dest.auth.username}:${dest.auth.password}`).toString('base64') };
  }
  return { Authorization: `Bearer ${dest.auth.token}` };
}

function describeHttpFailure(status: number, body: unknown): string {
  const text = typeof body === 'string' ? body.slice(0, 300) : '';
  switch (status) {
    case 0:
      return 'no HTTP response (connection refused, DNS failure, TLS error or timeout)';
    case 401:
      return 'HTTP 401 Unauthorized: check the destination credentials';
    case 403:
      return 'HTTP 403 Forbidden: the peer refuses this client';
    case 409:
      return `HTTP 409 Conflict: the peer stored none of the objects${text ? ` (${text})` : ''}`;
    case 413:
      return 'HTTP 413: the peer says the request is too large';
    case 415:
      return 'HTTP 415: the peer does not accept multipart/related; type="application/dicom"';
    default:
      return `HTTP ${status}${text ? `: ${text}` : ''}`;
  }
}

export interface StowOptions {
  timeoutMs?: number;
}

/** One STOW-RS attempt of `objects` (all of one study) to `dest`. Never throws; failures are in the result. */
export async function stowToDestination(dest: DicomwebDestination, objects: OutgoingObject[], opts: StowOptions = {}): Promise<AttemptResult> {
  const t0 = Date.now();
  const uids = objects.map((o) => o.sopInstanceUid);
  const studyUids = new Set(objects.map((o) => o.studyInstanceUid));
  const xhr = new XHR();
  xhr.timeout = opts.timeoutMs ?? 120000;
  let ca: Buffer | undefined;
  try {
    ca = dest.caFile ? readFileSync(dest.caFile) : undefined;
  } catch (e) {
    return { destination: dest.name, ok: false, objects: uids.map((u) => ({ sopInstanceUid: u, stored: false })), error: `cannot read caFile ${dest.caFile}: ${(e as Error).message}`, retryable: false, durationMs: Date.now() - t0 };
  }
  xhr.nodejsSet({ httpAgent: new HttpAgent({ keepAlive: false }), httpsAgent: new HttpsAgent({ keepAlive: false, ...(ca ? { ca } : {}) }) });
  const client = new dicomweb.DICOMwebClient({
    url: dest.url.replace(/\/+$/, ''),
    headers: { Accept: 'application/dicom+json', ...authHeaders(dest) },
    verbose: false,
    singlepart: false,
  });
  try {
    const datasets = objects.map((o) => o.bytes.buffer.slice(o.bytes.byteOffset, o.bytes.byteOffset + o.bytes.byteLength) as ArrayBuffer);
    await client.storeInstances({
      datasets,
      ...(studyUids.size === 1 ? { studyInstanceUID: [...studyUids][0]! } : {}),
      request: { instance: xhr },
    });
    const outcomes = parseStowResponse(xhr.response, uids);
    const ok = outcomes.every((o) => o.stored);
    return {
      destination: dest.name,
      ok,
      objects: outcomes,
      ...(ok ? {} : { error: `HTTP ${xhr.status}: ${outcomes.filter((o) => !o.stored).length} of ${outcomes.length} objects not confirmed` }),
      // A 202 with failures means the peer looked at the objects and said no: retrying the same bytes won't help.
      retryable: false,
      durationMs: Date.now() - t0,
    };
  } catch (e) {
    const status = typeof (e as { status?: unknown }).status === 'number' ? (e as { status: number }).status : xhr.status;
    const body = (e as { response?: unknown }).response ?? xhr.response;
    let outcomes = uids.map((u) => ({ sopInstanceUid: u, stored: false, reason: undefined as string | undefined }));
    if (status === 409) {
      try {
        outcomes = parseStowResponse(body, uids) as typeof outcomes;
      } catch {
        // keep the generic outcome
      }
    }
    return {
      destination: dest.name,
      ok: false,
      objects: outcomes.map((o) => ({ sopInstanceUid: o.sopInstanceUid, stored: o.stored, ...(o.reason ? { reason: o.reason } : {}) })),
      error: describeHttpFailure(status, body),
      retryable: isRetryableStatus(status),
      durationMs: Date.now() - t0,
    };
  }
}
