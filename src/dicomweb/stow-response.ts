/**
 * The STOW-RS response (PS3.18 10.5.3): HTTP status and the Store Instances Response Module as DICOM JSON.
 *   ReferencedSOPSequence (0008,1199): stored instances (a resend of the same data set counts as stored; one with
 *                                      different content that was not kept carries WarningReason 0xB000)
 *   FailedSOPSequence    (0008,1198): refused instances whose SOP Instance UID is known, with FailureReason
 *   OtherFailuresSequence(0008,119A): parts that could not be read far enough to know their UID
 * Every failure item also carries a readable explanation in a private element (0009,1001) LT, creator
 * "NEURO_ONC_NODE" at (0009,0010), so that a person looking at the response sees why without a code table.
 * At most MAX_FAILURE_ITEMS failures are listed one by one; the rest are summarised in one more item (count per
 * reason), so that a request of thousands of broken parts does not get a response of hundreds of megabytes.
 */
import { DUPLICATE_WARNING, stowFailureReason, type RejectReason } from '../store/reasons';
import type { DicomJson, IngestOutcome } from '../store/types';

export const PRIVATE_CREATOR = 'NEURO_ONC_NODE';
export const MAX_FAILURE_ITEMS = 100;

export interface PartResult {
  /** 1-based position of the part in the request. */
  part: number;
  outcome: IngestOutcome;
}

export interface StowResponse {
  status: 200 | 202 | 409 | 400 | 413;
  body: DicomJson;
  stored: number;
  failed: number;
}

const ui = (v: string): { vr: string; Value: string[] } => ({ vr: 'UI', Value: [v] });
const ur = (v: string): { vr: string; Value: string[] } => ({ vr: 'UR', Value: [v] });

function explanation(reason: RejectReason | 'duplicate' | undefined, message: string | undefined, part: number): DicomJson {
  return {
    '00090010': { vr: 'LO', Value: [PRIVATE_CREATOR] },
    '00091001': { vr: 'LT', Value: [`part ${part}: ${reason ?? 'internal'}: ${message ?? ''}`.slice(0, 10240)] },
  };
}

export interface RetrieveUrls {
  study(studyUid: string): string;
  instance(studyUid: string, seriesUid: string, sopUid: string): string;
}

/**
 * Builds the response. `extraFailure` reports a problem with the request body itself (e.g. the multipart framing
 * broke after some parts) as one more OtherFailuresSequence item. `forceStatus` is used for 413.
 */
export function buildStowResponse(
  results: PartResult[],
  urls: RetrieveUrls,
  opts: { requestedStudyUid?: string; extraFailure?: { reason: RejectReason; message: string }; forceStatus?: 413; maxFailureItems?: number } = {},
): StowResponse {
  const referenced: DicomJson[] = [];
  const failed: DicomJson[] = [];
  const other: DicomJson[] = [];
  const studies = new Set<string>();
  const maxItems = opts.maxFailureItems ?? MAX_FAILURE_ITEMS;
  const unlisted = new Map<RejectReason, number>();
  let nUnlisted = 0;
  let warnings = 0;
  for (const { part, outcome: o } of results) {
    if (o.status === 'stored' || o.status === 'duplicate') {
      studies.add(o.studyInstanceUid!);
      if (o.conflict) warnings++;
      referenced.push({
        '00081150': ui(o.sopClassUid!),
        '00081155': ui(o.sopInstanceUid!),
        '00081190': ur(urls.instance(o.studyInstanceUid!, o.seriesInstanceUid!, o.sopInstanceUid!)),
        ...(o.conflict ? { '00081196': { vr: 'US', Value: [DUPLICATE_WARNING] }, ...explanation('duplicate', o.conflict, part) } : {}),
      });
      continue;
    }
    if (failed.length + other.length >= maxItems) {
      unlisted.set(o.reason ?? 'internal', (unlisted.get(o.reason ?? 'internal') ?? 0) + 1);
      nUnlisted++;
      continue;
    }
    const code = { vr: 'US', Value: [stowFailureReason(o.reason ?? 'internal')] };
    if (o.sopInstanceUid) {
      failed.push({
        ...(o.sopClassUid ? { '00081150': ui(o.sopClassUid) } : {}),
        '00081155': ui(o.sopInstanceUid),
        '00081197': code,
        ...explanation(o.reason, o.message, part),
      });
    } else {
      other.push({ '00081197': code, ...explanation(o.reason, o.message, part) });
    }
  }
  if (nUnlisted) {
    const byCount = [...unlisted].sort((a, b) => b[1] - a[1]);
    const counts = byCount.map(([reason, n]) => `${n} ${reason}`).join(', ');
    other.push({ '00081197': { vr: 'US', Value: [stowFailureReason(byCount[0]![0])] }, '00090010': { vr: 'LO', Value: [PRIVATE_CREATOR] }, '00091001': { vr: 'LT', Value: [`${nUnlisted} more failed part(s) not listed one by one: ${counts}`] } });
  }
  if (opts.extraFailure) {
    other.push({ '00081197': { vr: 'US', Value: [stowFailureReason(opts.extraFailure.reason)] }, ...explanation(opts.extraFailure.reason, opts.extraFailure.message, results.length + 1) });
  }
  const body: DicomJson = {};
  const studyForUrl = opts.requestedStudyUid ?? (studies.size === 1 ? [...studies][0] : undefined);
  if (studyForUrl && referenced.length) body['00081190'] = ur(urls.study(studyForUrl));
  if (failed.length) body['00081198'] = { vr: 'SQ', Value: failed };
  if (referenced.length) body['00081199'] = { vr: 'SQ', Value: referenced };
  if (other.length) body['0008119A'] = { vr: 'SQ', Value: other };
  const nFailed = failed.length + other.length - (nUnlisted ? 1 : 0) + nUnlisted;
  let status: StowResponse['status'];
  if (opts.forceStatus) status = opts.forceStatus;
  else if (referenced.length && !nFailed && !warnings) status = 200;
  else if (referenced.length) status = 202;
  else if (nFailed) status = 409;
  else status = 400;
  return { status, body, stored: referenced.length, failed: nFailed };
}
