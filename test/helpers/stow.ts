/** Builds and sends a STOW-RS request (multipart/related; type="application/dicom") the way a PACS or modality would. */
import { randomBytes } from 'node:crypto';

export function multipartRelated(parts: Buffer[]): { body: Buffer; contentType: string } {
  const boundary = `nonode-${randomBytes(8).toString('hex')}`;
  const chunks: Buffer[] = [];
  for (const p of parts) {
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Type: application/dicom\r\n\r\n`), p, Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), contentType: `multipart/related; type="application/dicom"; boundary=${boundary}` };
}

/** Transport errors that mean "the pooled keep-alive connection was already closed by the server". */
const STALE_CONNECTION = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET']);

/**
 * fetch() that retries a request once on a fresh connection when it died on a stale keep-alive socket. After a
 * long idle (a test waiting a minute for inference) the client can pick a pooled socket at the moment the server
 * times it out: the classic HTTP/1.1 race (RFC 9112 §9.3.1), which real senders (curl, Orthanc) handle the same way.
 * Only for idempotent requests; STOW-RS is one here because re-sending an instance is a no-op in the store.
 */
export async function fetchRetryingStale(url: string, init: RequestInit): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch (e) {
    const code = ((e as Error & { cause?: { code?: string } }).cause ?? {}).code;
    if (!code || !STALE_CONNECTION.has(code)) throw e;
    return fetch(url, init);
  }
}

/** POSTs the parts to {dicomwebUrl}/studies in batches; returns the HTTP statuses. */
export async function stow(dicomwebUrl: string, parts: Buffer[], batch = 50): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < parts.length; i += batch) {
    const { body, contentType } = multipartRelated(parts.slice(i, i + batch));
    const r = await fetchRetryingStale(`${dicomwebUrl}/studies`, { method: 'POST', headers: { 'Content-Type': contentType, Accept: 'application/dicom+json' }, body });
    await r.arrayBuffer();
    statuses.push(r.status);
  }
  return statuses;
}
