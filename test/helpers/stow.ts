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

/** POSTs the parts to {dicomwebUrl}/studies in batches; returns the HTTP statuses. */
export async function stow(dicomwebUrl: string, parts: Buffer[], batch = 50): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < parts.length; i += batch) {
    const { body, contentType } = multipartRelated(parts.slice(i, i + batch));
    const r = await fetch(`${dicomwebUrl}/studies`, { method: 'POST', headers: { 'Content-Type': contentType, Accept: 'application/dicom+json' }, body });
    await r.arrayBuffer();
    statuses.push(r.status);
  }
  return statuses;
}
