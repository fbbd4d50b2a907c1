/**
 * Deterministic output UIDs. Every Series/SOP Instance UID the encoders write is a hash (src/dicom/uids.ts
 * deterministicUid, "2.25." + a UUID version 8 made of SHA-256) of:
 *   study UID | every input SOP Instance UID (sorted) | model name, version, sha256 | node version |
 *   encoder format version + the options that change content | object kind (+ index)
 * So a retried delivery (same job) re-sends byte-for-byte the same UIDs and the PACS stores each object once,
 * while a re-run with a late-arriving series (new inputs) or another model gets new UIDs; the new SR then names the
 * old one in PredecessorDocumentsSequence (EncoderOptions.predecessors).
 */
import type { Findings, RegionKey } from '../ai/findings';
import { deterministicUid } from '../dicom/uids';
import { ENCODER_FORMAT_VERSION, type EncoderOptions } from './options';
import { perKind, type OutputKind } from './output-kinds';

export type { OutputKind } from './output-kinds';

export interface OutputUids {
  series: Record<OutputKind, string>;
  /** Series Number of each kind's derived series: options.seriesNumbers, else the kind's default. */
  seriesNumbers: Record<OutputKind, number>;
  seg: string;
  sr: string;
  pdf: string;
  /** One per key image, in order. */
  sc(index: number): string;
  dimensionOrganization: string;
  /** Tracking UID of a region: stable per study and region, so superseding reports keep tracking the same finding. */
  tracking(region: RegionKey | 'CLASSIFICATION' | 'MODALITY-IMPORTANCE' | `BIDIM-${RegionKey}`): string;
  deviceObserver: string;
  /** The SR a review issues (reviewSrUids). */
  reviewSr(aiSrUid: string, revision: number, decision: string, correctedSegUid?: string): string;
}

/** The parts that identify "this result": same parts, same UIDs. */
export function resultIdentity(findings: Findings, options: EncoderOptions): string[] {
  const sops = findings.inputs.flatMap((s) => s.sopInstanceUids).sort();
  const profile = [
    `format=${ENCODER_FORMAT_VERSION}`,
    `composite=${options.compositeSegments === true}`,
    `omitEmpty=${options.omitEmptyFrames !== false}`,
    `allInputs=${options.referenceAllInputs === true}`,
    `keyImages=${options.keyImages?.enabled === false ? 0 : (options.keyImages?.count ?? 3)}`,
  ].join(';');
  return [
    findings.studyInstanceUid,
    `inputs=${sops.join(',')}`,
    `model=${findings.model.name}@${findings.model.version}#${findings.model.sha256}`,
    `node=${options.node.version}`,
    profile,
  ];
}

export function outputUids(findings: Findings, options: EncoderOptions): OutputUids {
  const id = resultIdentity(findings, options);
  const u = (kind: string): string => deterministicUid(...id, kind);
  return {
    series: perKind((d) => u(`${d.kind}-series`)),
    seriesNumbers: perKind((d) => options.seriesNumbers?.[d.kind] ?? d.seriesNumber),
    seg: u('seg-instance'),
    sr: u('sr-instance'),
    pdf: u('pdf-instance'),
    sc: (index: number) => u(`sc-instance-${index}`),
    dimensionOrganization: u('seg-dimension-organization'),
    tracking: (region) => deterministicUid(findings.studyInstanceUid, 'tracking', region),
    deviceObserver: deterministicUid('device-observer', options.node.name),
    reviewSr: reviewSrUid,
  };
}

/**
 * SOP Instance UID of the SR a review issues (accept, reject, correct): derived from the AI SR it supersedes, the
 * review's revision number, the decision and the corrected SEG, so re-delivering one review re-sends the same UID.
 * Every review SR of one result is in the result's review-sr series (series['review-sr']).
 */
export function reviewSrUid(aiSrUid: string, revision: number, decision: string, correctedSegUid = ''): string {
  return deterministicUid(aiSrUid, 'review-sr', String(revision), decision, correctedSegUid);
}
