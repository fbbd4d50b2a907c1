/**
 * What the encoders need besides Findings and the StudyAttributes: who we are (equipment / device observer), when the
 * result was made, which earlier results this one supersedes, and which optional objects to emit.
 */
import type { ReviewSrInput } from './sr/verified-sr';
import type { OutputKind } from './output-kinds';

/** A reference to a DICOM object that already exists (e.g. the SR of an earlier run of the same study). */
export interface ObjectReference {
  studyInstanceUid: string;
  seriesInstanceUid: string;
  sopClassUid: string;
  sopInstanceUid: string;
}

export interface NodeIdentity {
  /** Node name (config node.name): SR device observer name. */
  name: string;
  /** Node software version (package.json version). */
  version: string;
  manufacturer?: string;
  /** Enhanced General Equipment DeviceSerialNumber; defaults to the node name. */
  deviceSerialNumber?: string;
  institutionName?: string;
}

/** Doctor's and patient's narrative, from the deterministic templates or (optionally) a local LLM. */
export interface Narrative {
  clinician: string;
  patient: string;
  /** 'template', or 'llm:<model>' when a local model wrote it. */
  source: string;
  /** Why the LLM was not used although enabled (the template was used instead). */
  fallbackReason?: string;
}

export interface EncoderOptions {
  node: NodeIdentity;
  /** Content/creation date-time written into every object (default: now). Pass the job time for reproducible bytes. */
  now?: Date;
  /** SR documents this result supersedes (earlier runs of the same study); written as PredecessorDocumentsSequence. */
  predecessors?: ObjectReference[];
  /** Series numbers of the derived series (defaults: each output kind's, 9001 SEG, 9002 SR, 9003 SC, 9004 PDF). */
  seriesNumbers?: Partial<Record<OutputKind, number>>;
  /** Add the composite regions TC and WT as extra (overlapping) SEG segments. Default false. */
  compositeSegments?: boolean;
  /** Omit SEG frames without foreground (default true; false keeps every slice of every segment). */
  omitEmptyFrames?: boolean;
  /**
   * Also reference the other input series (T1/T2/FLAIR) in the SEG, after the display series. Default false: OHIF
   * 3.x overlays a SEG on the first display set holding *any* referenced instance (not ReferencedSeriesSequence[0])
   * and refuses it as "oblique" when that is another series' grid; highdicom likewise allows one source series.
   * The SR lists every input series either way.
   */
  referenceAllInputs?: boolean;
  /**
   * Secondary Capture key images with the overlay burned in (default: enabled): three orthogonal planes through the
   * tumour ('orthogonal', default), or `count` acquired slices spread over it ('spread').
   */
  keyImages?: { enabled?: boolean; count?: number; planes?: 'orthogonal' | 'spread' };
  /** Encapsulated PDF report (default enabled). */
  pdf?: { enabled?: boolean };
  /** Narrative to include; default: the deterministic templates. */
  narrative?: Narrative;
  /** A radiologist's review: enables the review SR kind (sr/review-sr-kind.ts; docs/review.md). */
  review?: ReviewSrInput;
  /** Encode only these kinds (the review workflow encodes its SR alone); default every enabled kind. */
  kinds?: readonly string[];
  /** Re-parse and structurally check the outputs before returning them (default true; conformance/README.md). */
  preflight?: boolean;
}

export const DEFAULT_MANUFACTURER = 'neuro-onc-node project';
export const RESEARCH_USE_STATEMENT =
  'RESEARCH USE ONLY. Not for diagnosis or treatment decisions. The model was trained on synthetic data; ' +
  'its performance on synthetic data is not clinical performance.';
/** Format version of what the encoders write; part of every output UID (bump when content changes). */
export const ENCODER_FORMAT_VERSION = '2';

/** Thrown when Findings or options cannot be encoded; `reason` is machine-readable. */
export class EncoderInputError extends Error {
  constructor(
    message: string,
    public readonly reason:
      | 'grid-mismatch'
      | 'missing-sources'
      | 'unknown-label'
      | 'bad-segments'
      | 'bad-geometry'
      | 'no-segmentation'
      | 'bad-reference'
      | 'bad-code'
      | 'not-finite',
  ) {
    super(message);
    this.name = 'EncoderInputError';
  }
}
