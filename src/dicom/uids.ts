/**
 * UID helpers. Deterministic UIDs (same inputs -> same UID) make re-delivery idempotent:
 * a retried SEG/SR has the same SOP Instance UID, so a PACS stores it once.
 */
import { createHash, randomBytes } from 'node:crypto';

/** Root for UUID-derived UIDs (PS3.5 B.2): "2.25." + decimal of a 128-bit number. */
const UUID_ROOT = '2.25.';

/**
 * "2.25." + the decimal of a UUID's 128 bits with its version and variant set (PS3.5 B.2 wants a real UUID,
 * ISO/IEC 9834-8 / RFC 9562): version in the high nibble of byte 6, variant 0b10 in the top bits of byte 8.
 */
function uuidUid(bytes: Buffer, version: 4 | 8): string {
  const b = Buffer.from(bytes.subarray(0, 16));
  b[6] = (b[6]! & 0x0f) | (version << 4);
  b[8] = (b[8]! & 0x3f) | 0x80;
  return UUID_ROOT + BigInt('0x' + b.toString('hex')).toString(10);
}

/**
 * A UID derived from the SHA-256 of the given parts: a name-based UUID version 8 (RFC 9562 B.2, SHA-256 in place of
 * version 5's SHA-1). Same parts, same UID.
 */
export function deterministicUid(...parts: string[]): string {
  const h = createHash('sha256');
  for (const p of parts) {
    h.update(p);
    h.update('\u0000');
  }
  return uuidUid(h.digest(), 8);
}

/** A fresh random UID (UUID version 4). */
export function randomUid(): string {
  return uuidUid(randomBytes(16), 4);
}

/** The UUID inside a "2.25." UID, as 32 hex digits, or undefined when it is not one. */
export function uuidOfUid(uid: string): string | undefined {
  if (!uid.startsWith(UUID_ROOT) || !isValidUid(uid)) return undefined;
  const n = BigInt(uid.slice(UUID_ROOT.length));
  return n < 1n << 128n ? n.toString(16).padStart(32, '0') : undefined;
}

const UID_RE = /^(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*$/;

/** True for a syntactically valid DICOM UID (PS3.5 9.1): digits and dots, no leading zeros, <= 64 chars. */
export function isValidUid(uid: unknown): uid is string {
  return typeof uid === 'string' && uid.length > 0 && uid.length <= 64 && UID_RE.test(uid);
}
