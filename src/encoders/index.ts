/**
 * Encoders: Findings + StudyAttributes + options -> DICOM Part 10 objects (SEG, SR, optional SC key images and an
 * Encapsulated PDF). Pure: no network, no disk. Deterministic UIDs (uid-scheme.ts) make re-delivery idempotent.
 *
 *   const narrative = await narrativeFor(findings, config.pipeline.llm);      // optional LLM, else templates
 *   const out = await encodeResults(findings, header, { node, narrative, predecessors });
 *   for (const o of out.objects) deliver(o);                                     // o.kind, o.sopInstanceUid, o.bytes
 *
 * What is written, and why, is in conformance/objects.md; how to view it in docs/outputs.md.
 */
import type { Findings } from '../ai/findings';
import type { StudyAttributes } from '../dicom/study-attributes';
import { preflight } from './conformance/preflight';
import type { Issue } from './conformance/structural-checks';
import { templateNarrative } from './narrative/templates';
import { EncoderInputError, type EncoderOptions, type Narrative } from './options';
import type { EncodeContext, EncodedObject } from './output-kind';
import { OUTPUT_KINDS, type OutputKind } from './output-kinds';
import type { EncodedSeg } from './seg/seg-encoder';
import { outputUids, type OutputUids } from './uid-scheme';

export { narrativeFor, type LlmConfig } from './narrative/llm';
export { templateNarrative } from './narrative/templates';
export { EncoderInputError, type EncoderOptions, type Narrative, type ObjectReference } from './options';
export { outputUids } from './uid-scheme';
export { OUTPUT_KINDS, type OutputKind } from './output-kinds';
export { decodeSeg, segmentMask, segToLabelmap, frameSlices } from './seg/seg-decoder';
export { preflight } from './conformance/preflight';
export type { Issue } from './conformance/structural-checks';
export type { EncodedObject } from './output-kind';

export interface EncodedResults {
  /** Delivery order (output-kinds.ts): SEG first (the SR references it), then SR, key images, PDF. */
  objects: Array<EncodedObject<OutputKind>>;
  seg?: EncodedSeg;
  narrative: Narrative;
  uids: OutputUids;
  /** Encoder-level notes (empty segments, placeholder frame, ...), safe to log. */
  notes: string[];
  /**
   * Structural check of the outputs against the Findings (viewer constraints, references, volumes); any `error`
   * means the set should not be delivered. Empty when options.preflight is false.
   */
  preflight: Issue[];
}

export async function encodeResults(findings: Findings, header: StudyAttributes, options: EncoderOptions): Promise<EncodedResults> {
  if (header.StudyInstanceUID !== findings.studyInstanceUid) {
    throw new EncoderInputError(
      `study header ${header.StudyInstanceUID} does not match findings study ${findings.studyInstanceUid}`,
      'bad-reference',
    );
  }
  const uids = outputUids(findings, options);
  const narrative =
    options.narrative ?? templateNarrative(findings, { supersedes: options.predecessors?.map((p) => p.sopInstanceUid) });
  const ctx: EncodeContext = { findings, header, options, uids, narrative, notes: [] };
  const objects: Array<EncodedObject<OutputKind>> = [];
  // Registry order: each kind may reference what the kinds before it left in ctx.
  for (const kind of OUTPUT_KINDS) if ((!options.kinds || options.kinds.includes(kind.kind)) && kind.enabled(findings, options)) objects.push(...(await kind.encode(ctx)));
  const issues = options.preflight === false ? [] : preflight(objects, findings);
  return { objects, seg: ctx.seg, narrative, uids, notes: ctx.notes, preflight: issues };
}
