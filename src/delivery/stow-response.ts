/**
 * Reads a STOW-RS response body (application/dicom+json, or the XML some servers send) into per-object outcomes.
 * A STOW 200/202 is not proof of storage by itself: only instances in ReferencedSOPSequence count as stored.
 */
import type { ObjectOutcome } from './types';

const TAG_REFERENCED_SOP_SEQ = '00081199';
const TAG_FAILED_SOP_SEQ = '00081198';
const TAG_REF_SOP_INSTANCE_UID = '00081155';
const TAG_FAILURE_REASON = '00081197';

type JsonDataset = Record<string, { vr: string; Value?: unknown[] }>;

function seqItems(ds: JsonDataset | undefined, tag: string): JsonDataset[] {
  return (ds?.[tag]?.Value as JsonDataset[] | undefined) ?? [];
}

function firstString(ds: JsonDataset, tag: string): string | undefined {
  const v = ds[tag]?.Value?.[0];
  return v == null ? undefined : String(v);
}

/** Parses the STOW response; objects the response does not mention are reported as not stored. */
export function parseStowResponse(body: unknown, sentSopInstanceUids: string[]): ObjectOutcome[] {
  const stored = new Set<string>();
  const failed = new Map<string, number | undefined>();
  const text = typeof body === 'string' ? body : body instanceof ArrayBuffer ? Buffer.from(body).toString('utf8') : '';
  const trimmed = text.trim();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    const parsed = JSON.parse(trimmed) as JsonDataset | JsonDataset[];
    const ds = Array.isArray(parsed) ? parsed[0] : parsed;
    for (const item of seqItems(ds, TAG_REFERENCED_SOP_SEQ)) {
      const uid = firstString(item, TAG_REF_SOP_INSTANCE_UID);
      if (uid) stored.add(uid);
    }
    for (const item of seqItems(ds, TAG_FAILED_SOP_SEQ)) {
      const uid = firstString(item, TAG_REF_SOP_INSTANCE_UID);
      const reason = item[TAG_FAILURE_REASON]?.Value?.[0];
      if (uid) failed.set(uid, reason == null ? undefined : Number(reason));
    }
  } else if (trimmed.startsWith('<')) {
    // PS3.19 Native DICOM Model XML: find each sequence's items and their SOP Instance UIDs.
    const seq = (tag: string): string[] => {
      const m = new RegExp(`<DicomAttribute[^>]*tag="${tag}"[^>]*>([\\s\\S]*?)</DicomAttribute>\\s*(?=<DicomAttribute[^>]*tag="(?!0008115)|</NativeDicomModel>)`).exec(trimmed);
      return m ? m[1]!.split(/<Item\b/).slice(1) : [];
    };
    const uidIn = (item: string): string | undefined =>
      /tag="00081155"[^>]*>\s*<Value[^>]*>([^<]+)<\/Value>/.exec(item)?.[1]?.trim();
    for (const item of seq(TAG_REFERENCED_SOP_SEQ)) {
      const uid = uidIn(item);
      if (uid) stored.add(uid);
    }
    for (const item of seq(TAG_FAILED_SOP_SEQ)) {
      const uid = uidIn(item);
      const reason = /tag="00081197"[^>]*>\s*<Value[^>]*>([^<]+)<\/Value>/.exec(item)?.[1];
      if (uid) failed.set(uid, reason == null ? undefined : Number(reason));
    }
  }
  return sentSopInstanceUids.map((uid) => {
    if (stored.has(uid) && !failed.has(uid)) return { sopInstanceUid: uid, stored: true };
    if (failed.has(uid)) {
      const status = failed.get(uid);
      return { sopInstanceUid: uid, stored: false, status, reason: `peer refused it (FailureReason ${status == null ? 'unknown' : '0x' + status.toString(16).toUpperCase().padStart(4, '0')})` };
    }
    return { sopInstanceUid: uid, stored: false, reason: 'not listed in the STOW-RS response' };
  });
}
