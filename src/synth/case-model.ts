/**
 * A synthetic case in anatomy (template) space: the phenotype plan, the mass-effect-warped tissue maps, the tumour
 * fractions and label map, and the jittered signal table. Everything downstream (series sampling, ground truth,
 * training export) reads from this one object, so images and labels cannot disagree.
 */
import type { Anatomy, TissueMaps } from './anatomy';
import type { TumourKind } from './classes';
import { baseTable, jitterTable, synthesise, type SignalTable, type SynthWeighting } from './contrasts';
import { applyMassEffect } from './mass-effect';
import { planTumour, type TumourPlan } from './phenotypes';
import type { Rng } from './random';
import { rasteriseLesions, type TumourFields } from './tumour';
import { varyTumour } from './tumour-variety';
import type { VarietySettings } from './variety';

export interface CaseModel {
  anatomy: Anatomy;
  plan: TumourPlan;
  maps: TissueMaps;
  fields: TumourFields | null;
  /** Label map on the anatomy grid (all zero for healthy cases). */
  labels: Uint8Array;
  table: SignalTable;
  /** Power curve applied to every synthesised weighting (training variety; absent = none). */
  gamma?: number;
}

export interface CaseModelOptions {
  /** Per-case contrast jitter (default true); off gives the reference table (tests of tissue ordering use both). */
  jitter?: boolean;
  /** Apply mass effect (default true). */
  massEffect?: boolean;
  /** Training variety: contrast jitter sd, contrast curve and tumour location/shape/size (absent: the phenotype as drawn). */
  variety?: Pick<VarietySettings, 'contrast' | 'tumour'>;
}

export function buildCaseModel(anat: Anatomy, kind: TumourKind, rng: Rng, opts: CaseModelOptions = {}): CaseModel {
  const drawn = planTumour(kind, anat, rng.fork('phenotype'));
  const v = opts.variety;
  const plan = v ? varyTumour(drawn, anat, rng.fork('tumour-variety'), v.tumour) : drawn;
  const maps = opts.massEffect === false ? anat.maps : applyMassEffect(anat, plan.massEffects);
  const fields = plan.lesions.length
    ? rasteriseLesions(anat, maps, plan.lesions, plan.textureSeed, plan.textureScaleMm)
    : null;
  const base = baseTable(plan.signal);
  const table = opts.jitter === false ? base : jitterTable(base, rng.fork('contrast-jitter'), v?.contrast.jitterSd);
  const labels = fields ? fields.labels : new Uint8Array(anat.dims[0] * anat.dims[1] * anat.dims[2]);
  return { anatomy: anat, plan, maps, fields, labels, table, ...(v && v.contrast.gamma !== 1 ? { gamma: v.contrast.gamma } : {}) };
}

/** One weighting of the case on the anatomy grid (noise-free, bias-free; acquisition adds those). */
export function caseWeighting(c: CaseModel, w: SynthWeighting): Float32Array {
  const out = synthesise(c.maps, c.fields, c.table, w);
  // Values are relative to white matter on T1 (~1), so a power curve keeps every tissue ordering but not the ratios.
  // ADC and CBV are physical quantities, not image contrast: left alone.
  if (c.gamma !== undefined && w !== 'adc' && w !== 'cbv') for (let i = 0; i < out.length; i++) out[i] = Math.pow(Math.max(0, out[i]!), c.gamma);
  return out;
}
