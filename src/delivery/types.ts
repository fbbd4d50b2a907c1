/** What delivery sends and what it learns back. */
import type { OutputKind } from '../encoders/output-kinds';

/** One result object ready to send (an output kind's object, src/encoders/output-kinds.ts, as Part 10 bytes). */
export interface OutgoingObject {
  kind: OutputKind;
  sopClassUid: string;
  sopInstanceUid: string;
  studyInstanceUid: string;
  /** Part 10 file bytes (with File Meta). */
  bytes: Buffer;
}

export interface ObjectOutcome {
  sopInstanceUid: string;
  /** True only when the peer confirmed storage (STOW ReferencedSOPSequence / C-STORE status 0x0000 or warning). */
  stored: boolean;
  /** DICOM status (C-STORE) or FailureReason (STOW), when the peer gave one. */
  status?: number;
  reason?: string;
}

export interface AttemptResult {
  destination: string;
  /** True when every object was confirmed stored. */
  ok: boolean;
  objects: ObjectOutcome[];
  /** Why the attempt failed as a whole (connection refused, HTTP 401, association rejected...). */
  error?: string;
  /** Whether trying again later can help (network errors, 5xx, 429, timeouts) or not (401/403, 4xx rejections). */
  retryable: boolean;
  durationMs: number;
}

export class DeliveryError extends Error {
  constructor(
    message: string,
    public readonly retryable: boolean,
  ) {
    super(message);
    this.name = 'DeliveryError';
  }
}
