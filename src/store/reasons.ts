/**
 * Why an instance was refused, and how each receiver says so: the STOW-RS FailureReason (0008,1197) and the
 * C-STORE response status a DIMSE SCP returns. One table, so DICOMweb and DIMSE senders get the same answer
 * for the same problem (docs/dicomweb.md and conformance/dicomweb.md list it).
 */
export type RejectReason =
  /** Not a DICOM Part 10 object (no preamble/DICM magic, or a body that is not DICOM at all). */
  | 'not-dicom'
  /** The object ends before its last element does (cut-off upload or disk file). */
  | 'truncated'
  /** Bytes that cannot be DICOM elements, or a data set dcmjs cannot decode. */
  | 'invalid'
  /** A transfer syntax the node cannot read (it stores every readable one as received). */
  | 'unsupported-transfer-syntax'
  /** SOP Class/Instance, Study or Series Instance UID missing. */
  | 'missing-uid'
  /** A UID that is not a syntactically valid DICOM UID (would also be unsafe as a file name). */
  | 'invalid-uid'
  /** An image (Rows/Columns present) without Pixel Data: most likely cut off exactly before it. */
  | 'missing-pixel-data'
  /** Native Pixel Data shorter than Rows × Columns × samples × bytes × frames (dicom/pixel-length.ts). */
  | 'short-pixel-data'
  /** File meta and data set disagree (MediaStorageSOPInstanceUID != SOPInstanceUID, ...). */
  | 'meta-mismatch'
  /** The SOP Class is not in node.acceptedSopClasses. */
  | 'sop-class-not-accepted'
  /** STOW-RS to /studies/{uid} with an instance of another study. */
  | 'study-mismatch'
  /** Disk full or another resource problem. */
  | 'out-of-resources'
  /** Anything else (a bug or an I/O error); logged with details. */
  | 'internal';

/** PS3.18 / PS3.4 failure codes. 0xC409 (study mismatch) is the code dcm4chee-arc uses; it is in the 0xCxxx
 * "cannot understand" range that PS3.4 leaves to implementations. */
const FAILURE_REASON: Record<RejectReason, number> = {
  'not-dicom': 0xc000,
  truncated: 0xc000,
  invalid: 0xc000,
  'unsupported-transfer-syntax': 0xc122,
  'missing-uid': 0xa900,
  'invalid-uid': 0xa900,
  'meta-mismatch': 0xa900,
  'missing-pixel-data': 0xa900,
  'short-pixel-data': 0xa900,
  'sop-class-not-accepted': 0x0122,
  'study-mismatch': 0xc409,
  'out-of-resources': 0xa700,
  internal: 0x0110,
};

/**
 * The warning for a resend whose different content was not kept (node.duplicatePolicy keep-first): C-STORE status
 * and STOW-RS WarningReason (0008,1196). PS3.4 B.2.3 names 0xB000 "coercion of data elements"; it is the warning
 * class every sender treats as "stored, look at the comment", so the sender goes on with the rest of the study.
 */
export const DUPLICATE_WARNING = 0xb000;

/** STOW-RS FailureReason (0008,1197) for a refusal. */
export function stowFailureReason(reason: RejectReason): number {
  return FAILURE_REASON[reason];
}

/**
 * C-STORE response status for a refusal (PS3.4 B.2.3 / PS3.7 C.4.2.1.4): 0xA7xx refused out of resources,
 * 0xA9xx data set does not match SOP Class, 0xCxxx cannot understand, 0x0122 SOP Class not supported,
 * 0x0110 processing failure. (A resend is never a failure: see IngestOutcome.conflict and DUPLICATE_WARNING.)
 */
export function cStoreStatus(reason: RejectReason): number {
  // The same codes serve both: PS3.18 takes its FailureReason values from the C-STORE statuses.
  return FAILURE_REASON[reason];
}

/** "0xC000" style, for messages and logs. */
export function hex4(code: number): string {
  return '0x' + code.toString(16).toUpperCase().padStart(4, '0');
}
