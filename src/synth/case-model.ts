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

export interface CaseModel {
  anatomy: Anatomy;
  plan: TumourPlan;
  maps: TissueMaps;
  fields: TumourFields | null;
  /** Label map on the anatomy grid (all zero for healthy cases). */
  labels: Uint8Array;
  table: SignalTable;
}

export interface CaseModelOptions {
  /** Per-case contrast jitter (default true); off gives the reference table (tests of tissue ordering use both). */
  jitter?: boolean;
  /** Apply mass effect (default true). */
  massEffect?: boolean;
}

export function buildCaseModel(anat: Anatomy, kind: TumourKind, rng: Rng, opts: CaseModelOptions = {}): CaseModel {
  const plan = planTumour(kind, anat, rng.fork('phenotype'));
  const maps = opts.massEffect === false ? anat.maps : applyMassEffect(anat, plan.massEffects);
  const fields = plan.lesions.length
    ? rasteriseLesions(anat, maps, plan.lesions, plan.textureSeed, plan.textureScaleMm)
    : null;
  const base = baseTable(plan.signal);
  const table = opts.jitter === false ? base : jitterTable(base, rng.fork('contrast-jitter'));
  const labels = fields ? fields.labels : new Uint8Array(anat.dims[0] * anat.dims[1] * anat.dims[2]);
  return { anatomy: anat, plan, maps, fields, labels, table };
}

/** One weighting of the case on the anatomy grid (noise-free, bias-free; acquisition adds those). */
export function caseWeighting(c: CaseModel, w: SynthWeighting): Float32Array {
  return synthesise(c.maps, c.fields, c.table, w);
}
