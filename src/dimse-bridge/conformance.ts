/**
 * What the DIMSE bridge accepts and how it answers: SOP classes, transfer syntaxes, DIMSE status codes and the
 * A-ASSOCIATE-RJ reasons. conformance/dimse.md is written from this file; keep the two in step.
 */
import { SopClass, TransferSyntax } from '../dicom/constants';

/** Storage SOP classes our SCP accepts (C-STORE), with the name used in logs and the conformance statement. */
export const STORAGE_SOP_CLASSES: ReadonlyMap<string, string> = new Map([
  [SopClass.MRImage, 'MR Image Storage'],
  [SopClass.EnhancedMRImage, 'Enhanced MR Image Storage'],
  [SopClass.Segmentation, 'Segmentation Storage'],
  [SopClass.ComprehensiveSR, 'Comprehensive SR Storage'],
  [SopClass.EnhancedSR, 'Enhanced SR Storage'],
  [SopClass.SecondaryCapture, 'Secondary Capture Image Storage'],
  [SopClass.EncapsulatedPDF, 'Encapsulated PDF Storage'],
]);

/**
 * Transfer syntaxes our SCP accepts for storage, stored exactly as received (no transcoding).
 * Explicit VR Big Endian (retired) is not accepted.
 */
export const STORAGE_TRANSFER_SYNTAXES: ReadonlyMap<string, string> = new Map([
  [TransferSyntax.ImplicitVRLittleEndian, 'Implicit VR Little Endian'],
  [TransferSyntax.ExplicitVRLittleEndian, 'Explicit VR Little Endian'],
  [TransferSyntax.DeflatedExplicitVRLittleEndian, 'Deflated Explicit VR Little Endian'],
  [TransferSyntax.JpegBaseline, 'JPEG Baseline (Process 1)'],
  [TransferSyntax.JpegExtended, 'JPEG Extended (Process 2 & 4)'],
  [TransferSyntax.JpegLossless, 'JPEG Lossless, Non-Hierarchical (Process 14)'],
  [TransferSyntax.JpegLosslessSV1, 'JPEG Lossless, Non-Hierarchical, First-Order Prediction (Process 14 SV1)'],
  [TransferSyntax.JpegLsLossless, 'JPEG-LS Lossless'],
  [TransferSyntax.JpegLsNearLossless, 'JPEG-LS Lossy (Near-Lossless)'],
  [TransferSyntax.Jpeg2000Lossless, 'JPEG 2000 (Lossless Only)'],
  [TransferSyntax.Jpeg2000, 'JPEG 2000'],
  [TransferSyntax.RleLossless, 'RLE Lossless'],
]);

/** Transfer syntaxes for Verification (C-ECHO carries no data set; any LE syntax will do). */
export const VERIFICATION_TRANSFER_SYNTAXES: readonly string[] = [
  TransferSyntax.ExplicitVRLittleEndian,
  TransferSyntax.ImplicitVRLittleEndian,
];

const UNCOMPRESSED: ReadonlySet<string> = new Set([TransferSyntax.ImplicitVRLittleEndian, TransferSyntax.ExplicitVRLittleEndian]);

/** True for the two plain little-endian syntaxes that any peer must support and that dcmjs can re-encode between. */
export function isUncompressedLittleEndian(ts: string): boolean {
  return UNCOMPRESSED.has(ts);
}

/** DIMSE status codes the SCP sends in C-STORE-RSP (PS3.4 B.2.3, PS3.7 C). */
export const StoreStatus = {
  Success: 0x0000,
  /** Refused: out of resources (disk full, I/O error writing the store). */
  OutOfResources: 0xa700,
  /** Error: data set does not match SOP class (SOP Class/Instance UID in the data set differ from the command). */
  DataSetDoesNotMatchSopClass: 0xa900,
  /** Error: cannot understand (not parsable, missing required UIDs, rejected by the store). */
  CannotUnderstand: 0xc000,
  /** Failure: processing failure (unexpected error; logged). */
  ProcessingFailure: 0x0110,
} as const;

/** Human-readable name of a DIMSE status, for logs and per-object results. */
export function describeStatus(status: number): string {
  if (status === 0x0000) return 'Success';
  if (status === 0xff00 || status === 0xff01) return 'Pending';
  if (status === 0xfe00) return 'Cancel';
  if (status === 0xb000) return 'Warning: coercion of data elements / duplicate';
  if (status === 0xb007) return 'Warning: data set does not match SOP class';
  if (status === 0xb006) return 'Warning: elements discarded';
  if (status === 0x0107) return 'Warning: attribute list error';
  if (status === 0x0116) return 'Warning: attribute value out of range';
  if ((status & 0xff00) === 0xa700) return 'Refused: out of resources';
  if ((status & 0xff00) === 0xa900) return 'Error: data set does not match SOP class';
  if ((status & 0xf000) === 0xc000) return 'Error: cannot understand';
  if (status === 0x0122) return 'Refused: SOP class not supported';
  if (status === 0x0124) return 'Refused: not authorized';
  if (status === 0x0110) return 'Failure: processing failure';
  if (status === 0x0111) return 'Failure: duplicate SOP instance';
  if (status === 0x0117) return 'Failure: invalid object instance';
  if (status === 0x0211) return 'Failure: unrecognized operation';
  if (status === 0x0213) return 'Failure: resource limitation';
  if (status === 0xa801) return 'Failure: move destination unknown';
  return `status 0x${status.toString(16).padStart(4, '0')}`;
}

/**
 * C-STORE statuses the SCU counts as "stored": success, and the warning statuses of PS3.4 B.2.3 (the peer kept the
 * instance but coerced or discarded elements, or found a SOP class mismatch it tolerated).
 */
export function isStoredStatus(status: number): boolean {
  return status === 0x0000 || status === 0xb000 || status === 0xb006 || status === 0xb007 || status === 0x0107 || status === 0x0116;
}

/** A-ASSOCIATE-RJ fields as text (PS3.8 9.3.4), e.g. "rejected-permanent by service-user: calling-AE-title-not-recognized". */
export function describeRejection(r: { result: number; source: number; reason: number }): string {
  const result = r.result === 1 ? 'rejected-permanent' : r.result === 2 ? 'rejected-transient' : `result ${r.result}`;
  let source: string;
  let reason: string;
  switch (r.source) {
    case 1:
      source = 'service-user';
      reason =
        { 1: 'no-reason-given', 2: 'application-context-name-not-supported', 3: 'calling-AE-title-not-recognized', 7: 'called-AE-title-not-recognized' }[
          r.reason
        ] ?? `reason ${r.reason}`;
      break;
    case 2:
      source = 'service-provider (ACSE)';
      reason = { 1: 'no-reason-given', 2: 'protocol-version-not-supported' }[r.reason] ?? `reason ${r.reason}`;
      break;
    case 3:
      source = 'service-provider (presentation)';
      reason = { 1: 'temporary-congestion', 2: 'local-limit-exceeded' }[r.reason] ?? `reason ${r.reason}`;
      break;
    default:
      source = `source ${r.source}`;
      reason = `reason ${r.reason}`;
  }
  return `${result} by ${source}: ${reason}`;
}

/** Presentation context result (PS3.8 9.3.3.2) as text. */
export function describeContextResult(result: number): string {
  return (
    { 0: 'acceptance', 1: 'user-rejection', 2: 'no-reason (provider rejection)', 3: 'abstract-syntax-not-supported', 4: 'transfer-syntaxes-not-supported' }[
      result
    ] ?? `result ${result}`
  );
}
