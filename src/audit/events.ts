/**
 * What the audit trail records (docs/audit.md). One event = one line of the append-only log.
 *
 * PHI rule: an event carries DICOM UIDs, job ids, model identity, destination names and the identity of the user
 * or DICOM AE that acted (user name, AE title, network address), never patient names, IDs, dates or findings.
 * Free text (reasons, errors) is bounded and must not quote data-set content.
 */

/** Who acted: an authenticated HTTP user, a DICOM peer, or the node itself. */
export interface AuditActor {
  /** http.auth user name (STOW-RS, web pages, API), when there is one. */
  user?: string;
  /** DICOM peer's calling AE title (C-STORE). */
  aeTitle?: string;
  /** Peer network address. */
  address?: string;
}

/** Instances received from one sender for one study (one STOW-RS request, or one burst of C-STOREs). */
export interface ReceiptEvent {
  type: 'receipt';
  channel: 'stow' | 'dimse';
  actor: AuditActor;
  /** Our AE title as the peer called it (C-STORE). */
  calledAeTitle?: string;
  studyInstanceUid: string;
  /** Newly stored instances. */
  stored: number;
  /** Instances already held (same data set, or a kept-first conflict). */
  duplicates: number;
  /** Instances refused, by reason (e.g. {"sop-class-not-accepted": 2}). */
  rejected: Record<string, number>;
  sopClassUids: string[];
}

/** A job changed state (src/jobs): received -> ready -> ... -> done | failed | superseded. */
export interface JobTransitionEvent {
  type: 'job-transition';
  jobId: number;
  studyInstanceUid: string;
  from: string | null;
  to: string;
}

/** A model ran on a study (the inferring stage finished for it). */
export interface ModelRunEvent {
  type: 'model-run';
  jobId: number;
  studyInstanceUid: string;
  model: string;
  version: string;
  /** sha256 of the ONNX file that ran. */
  sha256: string;
  executionProvider?: string;
}

/** Results sent to one destination (the delivering stage finished or gave up). */
export interface DeliveryEvent {
  type: 'delivery';
  jobId: number;
  studyInstanceUid: string;
  destination: string;
  status: 'delivered' | 'failed';
  /** Objects the destination confirmed. */
  confirmed: number;
  attempts: number;
  error?: string;
}

/** A reviewer accepted, rejected or corrected a result (issue 14 review workflow). */
export interface ReviewEvent {
  type: 'review';
  actor: AuditActor;
  jobId: number;
  studyInstanceUid: string;
  model: string;
  decision: 'accepted' | 'rejected' | 'corrected';
  /** Coded rejection reason (the review workflow's short list), when rejected. */
  reasonCode?: string;
  /** The verified SR this review produced, when one was issued. */
  srInstanceUid?: string;
  /** The corrected SEG that came back from the viewer, when corrected. */
  correctedSegInstanceUid?: string;
}

/** Tissue (molecular / histological) results entered for a study. Which fields, not their values. */
export interface MolecularEntryEvent {
  type: 'molecular-entry';
  actor: AuditActor;
  studyInstanceUid: string;
  /** e.g. ["idh", "codeletion1p19q", "grade", "histology"]: what was entered or changed. */
  fields: string[];
  /** The SR that records the integrated diagnosis, when one was issued. */
  srInstanceUid?: string;
}

/** Someone looked at results: a result page, or DICOM objects retrieved over WADO-RS (one burst per study). */
export interface AccessEvent {
  type: 'access';
  channel: 'result-page' | 'wado';
  actor: AuditActor;
  studyInstanceUid: string;
  jobId?: number;
  /** Requests in this burst (a viewer fetches many frames). */
  requests: number;
  /** Distinct series / instances touched, when the requests named them. */
  seriesInstanceUids: string[];
  instances: number;
}

/** A QIDO-RS search. Only which attributes were matched on, never the values (they may be patient names). */
export interface QueryEvent {
  type: 'query';
  actor: AuditActor;
  level: 'study' | 'series' | 'instance';
  keys: string[];
  studyInstanceUid?: string;
  results: number;
}

/** Credentials refused or a request outside a user's scopes. */
export interface AuthenticationEvent {
  type: 'authentication';
  actor: AuditActor;
  outcome: 'refused' | 'forbidden';
  detail: string;
}

/** A study's instances and work files were deleted (retention sweep or an operator). */
export interface DeletionEvent {
  type: 'deletion';
  actor?: AuditActor;
  reason: 'retention' | 'operator';
  studyInstanceUid: string;
  instances: number;
}

/** The node started or stopped; at start-up the configuration's hash and whether it changed. */
export interface ApplicationEvent {
  type: 'application';
  action: 'start' | 'stop';
  version: string;
  /** sha256 of the effective configuration (secrets included in the hash, never in the log). */
  configHash?: string;
  /** Hash at the previous start, when it differs (a configuration change). */
  previousConfigHash?: string;
}

/** The trail itself found to be tampered with or damaged (start-up check or `audit verify`). */
export interface TamperEvent {
  type: 'tamper-detected';
  /** Record number where the break is. */
  seq: number;
  problem: string;
}

export type AuditEvent =
  | ReceiptEvent
  | JobTransitionEvent
  | ModelRunEvent
  | DeliveryEvent
  | ReviewEvent
  | MolecularEntryEvent
  | AccessEvent
  | QueryEvent
  | AuthenticationEvent
  | DeletionEvent
  | ApplicationEvent
  | TamperEvent;

export type AuditEventType = AuditEvent['type'];

/** One line of the log: the event, its place in the chain and the hash that seals it. */
export interface AuditRecord {
  /** 1, 2, 3, ... with no gaps. */
  seq: number;
  /** ISO 8601 UTC time of recording. */
  at: string;
  /** hash of record seq-1 (64 zeros for record 1). */
  prev: string;
  event: AuditEvent;
  /** sha256 (hex) of the canonical serialisation of {seq, at, prev, event}. */
  hash: string;
}

/**
 * What code that wants something recorded holds. record() never throws and never waits: the line is appended
 * before it returns (a failure to append is logged, and the node goes on; see AuditTrail).
 */
export interface AuditSink {
  record(event: AuditEvent): void;
}

/** For code and tests that run without a trail. */
export const noAudit: AuditSink = { record: () => undefined };
