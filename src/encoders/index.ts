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
import { SopClass } from '../dicom/constants';
import { preflight } from './conformance/preflight';
import type { Issue } from './conformance/structural-checks';
import { templateNarrative } from './narrative/templates';
import { EncoderInputError, type EncoderOptions, type Narrative } from './options';
import { renderReportPdf } from './pdf/report-pdf';
import { encodePdf } from './pdf/pdf-encoder';
import { encodeKeyImages } from './sc/sc-encoder';
import { encodeSeg, type EncodedSeg } from './seg/seg-encoder';
import { encodeSr } from './sr/sr-encoder';
import { outputUids, type OutputKind, type OutputUids } from './uid-scheme';

export { narrativeFor, type LlmConfig } from './narrative/llm';
export { templateNarrative } from './narrative/templates';
export { EncoderInputError, type EncoderOptions, type Narrative, type ObjectReference } from './options';
export { outputUids } from './uid-scheme';
export { decodeSeg, segmentMask, segToLabelmap, frameSlices } from './seg/seg-decoder';
export { preflight } from './conformance/preflight';
export type { Issue } from './conformance/structural-checks';

/** One output object, ready for delivery (same shape as delivery's OutgoingObject, plus series and a label). */
export interface EncodedObject {
  kind: OutputKind;
  sopClassUid: string;
  sopInstanceUid: string;
  seriesInstanceUid: string;
  studyInstanceUid: string;
  /** Part 10 bytes (Explicit VR Little Endian). */
  bytes: Buffer;
  /** Suggested file name, e.g. "seg.dcm", "sc-2.dcm". */
  fileName: string;
}

export interface EncodedResults {
  /** Delivery order: SEG first (the SR references it), then SR, key images, PDF. */
  objects: EncodedObject[];
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
  const study = findings.studyInstanceUid;
  const objects: EncodedObject[] = [];
  const notes: string[] = [];

  let seg: EncodedSeg | undefined;
  if (findings.segmentation) {
    seg = encodeSeg(findings, header, options, uids);
    objects.push({ kind: 'seg', sopClassUid: SopClass.Segmentation, sopInstanceUid: seg.sopInstanceUid, seriesInstanceUid: seg.seriesInstanceUid, studyInstanceUid: study, bytes: seg.bytes, fileName: 'seg.dcm' });
    if (seg.plan.emptySegments.length) notes.push(`empty segments (no frames): ${seg.plan.emptySegments.join(', ')}`);
    if (seg.plan.placeholder) notes.push('nothing segmented: one all-zero placeholder frame written');
  }
  const sr = encodeSr(findings, header, options, uids, narrative, seg && { sopInstanceUid: seg.sopInstanceUid, segments: seg.segments, emptySegments: seg.plan.emptySegments });
  objects.push({ kind: 'sr', sopClassUid: SopClass.ComprehensiveSR, sopInstanceUid: sr.sopInstanceUid, seriesInstanceUid: sr.seriesInstanceUid, studyInstanceUid: study, bytes: sr.bytes, fileName: 'sr.dcm' });

  const keyImages = seg ? encodeKeyImages(findings, header, options, uids, seg.segments) : [];
  keyImages.forEach((k, i) =>
    objects.push({ kind: 'sc', sopClassUid: SopClass.SecondaryCapture, sopInstanceUid: k.sopInstanceUid, seriesInstanceUid: k.seriesInstanceUid, studyInstanceUid: study, bytes: k.bytes, fileName: `sc-${i + 1}.dcm` }),
  );

  if (options.pdf?.enabled !== false) {
    const pdfBytes = await renderReportPdf({
      findings,
      header,
      options,
      narrative,
      keyImages: keyImages.map((k) => k.image),
      references: { srUid: sr.sopInstanceUid, segUid: seg?.sopInstanceUid },
    });
    const pdf = encodePdf(pdfBytes, header, options, uids, findings.model.name, [
      { sopClassUid: SopClass.ComprehensiveSR, sopInstanceUid: sr.sopInstanceUid },
    ]);
    objects.push({ kind: 'pdf', sopClassUid: SopClass.EncapsulatedPDF, sopInstanceUid: pdf.sopInstanceUid, seriesInstanceUid: pdf.seriesInstanceUid, studyInstanceUid: study, bytes: pdf.bytes, fileName: 'report-pdf.dcm' });
  }
  const issues = options.preflight === false ? [] : preflight(objects, findings);
  return { objects, seg, narrative, uids, notes, preflight: issues };
}
