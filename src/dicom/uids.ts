/**
 * UID helpers. Deterministic UIDs (same inputs -> same UID) make re-delivery idempotent:
 * a retried SEG/SR has the same SOP Instance UID, so a PACS stores it once.
 */
import { createHash, randomBytes } from 'node:crypto';

/** Root for UUID-derived UIDs (PS3.5 B.2): "2.25." + decimal of a 128-bit number. */
const UUID_ROOT = '2.25.';

/** A UID derived from the SHA-256 of the given parts (first 128 bits). Same parts, same UID. */
export function deterministicUid(...parts: string[]): string {
  const h = createHash('sha256');
  for (const p of parts) {
    h.update(p);
    h.update('\u0000');
  }
  const hex = h.digest('hex').slice(0, 32);
  return UUID_ROOT + BigInt('0x' + hex).toString(10);
}

/** A fresh random UID. */
export function randomUid(): string {
  return UUID_ROOT + BigInt('0x' + randomBytes(16).toString('hex')).toString(10);
}

const UID_RE = /^(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*$/;

/** True for a syntactically valid DICOM UID (PS3.5 9.1): digits and dots, no leading zeros, <= 64 chars. */
export function isValidUid(uid: unknown): uid is string {
  return typeof uid === 'string' && uid.length > 0 && uid.length <= 64 && UID_RE.test(uid);
}
