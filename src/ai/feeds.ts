/**
 * The graph inputs besides the image tiles: modality mask and clinical inputs (survival heads). One place builds
 * them for the engine, the warm-up and the probes, so a graph input the manifest declares is never left unfed.
 */
import type * as ort from 'onnxruntime-node';
import type { PatientAge } from '../dicom/patient-age';
import { clinicalInputs, type ClinicalInputSpec, type ModelManifest } from './manifest';

/** Clinical values of one case, from its header; absent = unknown. */
export interface ClinicalValues {
  age?: PatientAge;
}

/**
 * What a graph is fed for an unknown value, and in warm-ups and probes: a plausible adult age, so the forward runs;
 * a head whose required input was unknown is not reported.
 */
export const NEUTRAL_CLINICAL: Record<ClinicalInputSpec['quantity'], number> = { 'age-years': 60 };

/** The value fed for one clinical input, and whether it is the case's own. */
export function clinicalValue(c: ClinicalInputSpec, values: ClinicalValues): { value: number; known: boolean } {
  const v = c.quantity === 'age-years' ? values.age?.years : undefined;
  return v === undefined || !Number.isFinite(v) ? { value: NEUTRAL_CLINICAL[c.quantity], known: false } : { value: v, known: true };
}

/** Mask and clinical feeds (batch 1), the same for every tile and pass. mask: availability per channel, or absent. */
export function auxiliaryFeeds(m: ModelManifest, Tensor: typeof ort.Tensor, opts: { mask?: Float32Array; clinical?: ClinicalValues }): Record<string, ort.Tensor> {
  const feeds: Record<string, ort.Tensor> = {};
  if (opts.mask && m.inputs.modalityMask) feeds[m.inputs.modalityMask.name] = new Tensor('float32', opts.mask, [1, opts.mask.length]);
  for (const c of clinicalInputs(m)) feeds[c.name] = new Tensor('float32', Float32Array.of(clinicalValue(c, opts.clinical ?? {}).value), [1, 1]);
  return feeds;
}
