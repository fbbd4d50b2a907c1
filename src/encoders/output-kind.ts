/**
 * What an output kind is (SEG, SR, key images, PDF, ...): one descriptor per kind, in the kind's own folder, listed
 * once in output-kinds.ts. encodeResults() runs the enabled kinds in registry order (which is also the delivery
 * order), the conformance checks find a kind's structural check by SOP Class, and the kind names the derived series
 * (UID, Series Number).
 */
import type { Findings } from '../ai/findings';
import type { NaturalDataset } from '../dicom/p10';
import type { StudyAttributes } from '../dicom/study-attributes';
import type { CheckContext, Issue } from './conformance/structural-checks';
import type { EncoderOptions, Narrative } from './options';
import type { EncodedKeyImage } from './sc/sc-encoder';
import type { EncodedSeg } from './seg/seg-encoder';
import type { OutputUids } from './uid-scheme';

/** One output object, ready for delivery (same shape as delivery's OutgoingObject, plus series and a label). */
export interface EncodedObject<K extends string = string> {
  kind: K;
  sopClassUid: string;
  sopInstanceUid: string;
  seriesInstanceUid: string;
  studyInstanceUid: string;
  /** Part 10 bytes (Explicit VR Little Endian). */
  bytes: Buffer;
  /** Suggested file name, e.g. "seg.dcm", "sc-2.dcm". */
  fileName: string;
}

/**
 * What the kinds share while one result is encoded. Kinds earlier in the registry leave what later ones reference
 * here (the SR references the SEG; the PDF the SR and the key images).
 */
export interface EncodeContext {
  findings: Findings;
  header: StudyAttributes;
  options: EncoderOptions;
  uids: OutputUids;
  narrative: Narrative;
  /** Encoder-level notes (empty segments, placeholder frame, ...), safe to log. */
  notes: string[];
  seg?: EncodedSeg;
  sr?: { sopClassUid: string; sopInstanceUid: string };
  keyImages?: EncodedKeyImage[];
}

export interface OutputKindDescriptor<K extends string = string> {
  kind: K;
  /** SOP Classes that are this kind when checking objects (the encoder writes the first). */
  sopClasses: readonly string[];
  /** Series Number of the derived series unless options.seriesNumbers overrides it. */
  seriesNumber: number;
  /** Whether this result gets objects of this kind. */
  enabled(findings: Findings, options: EncoderOptions): boolean;
  /** The objects of this kind, in delivery order; may add to ctx what later kinds reference. */
  encode(ctx: EncodeContext): Promise<Array<EncodedObject<K>>> | Array<EncodedObject<K>>;
  /** Structural checks of one parsed object of this kind against the set (conformance/). */
  check(ds: NaturalDataset, ctx: CheckContext): Issue[];
}

/** Keeps the kind's name a literal type, so the registry can derive the OutputKind union from it. */
export function defineOutputKind<K extends string>(d: OutputKindDescriptor<K>): OutputKindDescriptor<K> {
  return d;
}
