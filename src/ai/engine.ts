/**
 * From one case on the model grid to Findings: model run, post-processing, mapping to the display series,
 * volumes, layered diagnosis, uncertainty summary, leave-one-modality-out importance and radiomics.
 */
import {
  nothingSegmented,
  type Findings,
  type HeadResult,
  type InputSeries,
  type ModalityImportance,
  type RadiomicFeature,
  type SegmentDefinition,
} from './findings';
import { nestedLabels } from '../imaging/inverse-map';
import type { SeriesVolume, Vec3, Volume } from '../imaging/volume';
import type { Logger } from '../log/logger';
import { ROLE_NAMES, type ModelRole } from '../series-id/roles';
import { layeredDiagnosis, type DiagnosisHeads } from './diagnosis';
import { InferenceInputError, MissingModalitiesError } from './errors';
import { planModalities, runModel, type GridInput, type ModelRun } from './inference';
import type { ModelManifest } from './manifest';
import { decodeHierarchical, dice, measureRegions, regionLabelValues, removeSmallComponents, voxelVolumeMm3 } from './postprocess';
import { regionRadiomics } from './radiomics';
import { bidimensionalOf } from './bidimensional';
import type { LoadedModel } from './registry';
import type { DeviceQueue } from './runtime';
import { vasariFeatures } from './vasari';
import type { ClinicalValues } from './feeds';
import { summariseSurvival } from './survival';

/** Resamples a model-grid map onto the display series' grid (nearest neighbour for labels). */
export type ToReference = <T extends Uint8Array | Float32Array>(map: Volume<T>, target: SeriesVolume, mode: 'nearest' | 'linear') => Volume<T>;

export interface StudyCase {
  studyInstanceUid: string;
  /** The case resampled into the model's grid (imaging toModelGrid). */
  grid: GridInput;
  /** Provenance of every series available for the model's roles. */
  inputs: InputSeries[];
  /** Display series: the label map is reported on its native grid. */
  referenceSeries: SeriesVolume;
  /** Inverse mapping (imaging); when absent the model grid must coincide with the reference series' grid. */
  toReference?: ToReference;
  /**
   * Decide the labels on the display grid from the mapped-back probabilities (regions mode: nested WT/TC/ET
   * thresholds), instead of mapping the model-grid labels by nearest neighbour. Set for registered (template-space)
   * grids, whose voxels do not line up with the display series.
   */
  labelsFromMappedProbabilities?: boolean;
  /** Clinical values from the header (age), for the survival heads' clinical inputs. */
  clinical?: ClinicalValues;
}

export interface AnalyseOptions {
  tta: boolean;
  queue?: DeviceQueue;
  log?: Logger;
  minComponentMl?: number;
  hierarchicalDecoding?: boolean;
  minBranchProbability?: number;
  modalityImportance?: boolean;
  modalityImportanceTta?: boolean;
  radiomics?: boolean;
  radiomicsBins?: number;
  /** Withhold the segmentation for inputs outside manifest missingModalities.segmentationRequires (default true). */
  withholdUnvalidatedSegmentation?: boolean;
}

const roleList = (roles: readonly ModelRole[]): string => roles.map((r) => ROLE_NAMES[r]).join('+');

/** Why the segmentation is not reported for the inputs present, or undefined when it is. */
export function segmentationWithheld(m: ModelManifest, present: readonly ModelRole[], missing: readonly ModelRole[]): Findings['segmentationWithheld'] {
  const requires = m.missingModalities.segmentationRequires;
  if (!requires || requires.some((set) => set.every((r) => present.includes(r)))) return undefined;
  return {
    missing: [...missing],
    requires: requires.map((s) => [...s]),
    reason: `segmentation withheld: ${missing.length ? `${roleList(missing)} missing` : 'inputs incomplete'}; ${m.name} segments reliably only with ${requires.map(roleList).join(' or ')} (model card); the classification results below are reported`,
  };
}

function sameGeometry(a: { dims: Vec3; affine: Float64Array }, b: { dims: Vec3; affine: Float64Array }): boolean {
  return a.dims.every((d, i) => d === b.dims[i]) && a.affine.every((x, i) => Math.abs(x - b.affine[i]!) < 1e-4);
}

/** Segment definitions of the label map (labelValue = 1..n in manifest order). */
export function segmentDefinitions(m: ModelManifest): SegmentDefinition[] {
  return (m.outputs.segmentation?.segments ?? []).map((s, i) => ({
    labelValue: i + 1,
    key: s.key,
    label: s.label,
    category: s.category,
    type: s.type,
    ...(s.anatomicRegion ? { anatomicRegion: s.anatomicRegion } : {}),
    ...(s.recommendedDisplayCIELab ? { recommendedDisplayCIELab: s.recommendedDisplayCIELab } : {}),
  }));
}

function gliomaLabels(m: ModelManifest): { NCR: number; ED: number; ET: number } | undefined {
  const segs = m.outputs.segmentation?.segments ?? [];
  const at = (k: string): number => segs.findIndex((s) => s.key === k) + 1;
  const l = { NCR: at('NCR'), ED: at('ED'), ET: at('ET') };
  return l.NCR && l.ED && l.ET ? l : undefined;
}

/**
 * Labels on the display grid from the region probabilities mapped back there (trilinear), thresholded, then small
 * components removed at the display grid's voxel size. Regions-mode glioma models only (undefined otherwise).
 */
function labelsOnReference(m: ModelManifest, run: ModelRun, grid: GridInput, ref: SeriesVolume, toReference: ToReference, opts: AnalyseOptions): { labelmap: Volume<Uint8Array>; notes: string[] } | undefined {
  const seg = m.outputs.segmentation;
  const g = gliomaLabels(m);
  if (!seg || seg.mode !== 'regions' || !g || !run.segmentation) return undefined;
  const mapped: Partial<Record<'WT' | 'TC' | 'ET', Float32Array>> = {};
  let base: Volume<Float32Array> | undefined;
  seg.regions!.forEach((r, i) => {
    const v = toReference({ dims: grid.dims, spacing: grid.spacing, affine: grid.affine, data: run.segmentation!.probabilities[i]! }, ref, 'linear');
    mapped[r.region] = v.data;
    base = v;
  });
  if (!base) return undefined;
  const labels = nestedLabels(mapped, g, seg.threshold, base.data.length);
  const minVoxels = Math.round((opts.minComponentMl ?? 0) / (voxelVolumeMm3(base.affine) / 1000));
  const r = removeSmallComponents(labels, base.dims, minVoxels, seg.enforceHierarchy ? g : undefined);
  const notes = r.removedComponents ? [`removed ${r.removedComponents} tumour component(s) smaller than ${opts.minComponentMl} mL on the display grid (${r.removedVoxels} voxels)`] : [];
  return { labelmap: { dims: base.dims, spacing: base.spacing, affine: base.affine, data: labels, ...(base.frameOfReferenceUid ? { frameOfReferenceUid: base.frameOfReferenceUid } : {}) }, notes };
}

/** Final label map on the model grid: hierarchical decoding (glioma, labels mode) then small-component removal. */
export function postprocessLabels(m: ModelManifest, run: ModelRun, grid: GridInput, opts: AnalyseOptions): { labels: Uint8Array; notes: string[] } {
  const seg = m.outputs.segmentation!;
  const raw = run.segmentation!;
  const g = gliomaLabels(m);
  let labels = raw.labels;
  const notes: string[] = [];
  if (g && seg.mode === 'labels' && seg.enforceHierarchy && (opts.hierarchicalDecoding ?? true)) {
    const prob = (k: 'NCR' | 'ED' | 'ET'): Float32Array => raw.probabilities[seg.classes!.findIndex((c) => c.key === k)]!;
    labels = decodeHierarchical(prob('NCR'), prob('ED'), prob('ET'), g);
  } else {
    labels = Uint8Array.from(labels);
  }
  const voxelMl = voxelVolumeMm3(grid.affine) / 1000;
  const minVoxels = Math.round((opts.minComponentMl ?? 0) / voxelMl);
  const r = removeSmallComponents(labels, grid.dims, minVoxels, g && seg.enforceHierarchy ? g : undefined);
  if (r.removedComponents) notes.push(`removed ${r.removedComponents} tumour component(s) smaller than ${opts.minComponentMl} mL (${r.removedVoxels} voxels)`);
  if (r.relabelledEtVoxels) notes.push(`${r.relabelledEtVoxels} voxels of small enhancing components relabelled as tumour core`);
  return { labels, notes };
}

function headsForDiagnosis(m: ModelManifest, heads: HeadResult[]): DiagnosisHeads {
  const byKind = (kinds: string[]): { spec: ModelManifest['outputs']['heads'][number]; result: HeadResult } | undefined => {
    const spec = m.outputs.heads.find((h) => kinds.includes(h.kind));
    const result = spec && heads.find((h) => h.head === spec.id);
    return spec && result ? { spec, result } : undefined;
  };
  const grade = byKind(['who_grade', 'lgg_hgg']);
  return {
    ...(byKind(['idh']) ? { idh: byKind(['idh'])!.result } : {}),
    ...(byKind(['codeletion_1p19q']) ? { codeletion: byKind(['codeletion_1p19q'])!.result } : {}),
    ...(grade ? { grade: grade.result, gradeKind: grade.spec.kind as 'who_grade' | 'lgg_hgg' } : {}),
    ...(byKind(['histology']) ? { histology: byKind(['histology'])!.result } : {}),
  };
}

/** Leave-one-modality-out: per present role, head probability changes and WT Dice against the full input. */
async function modalityImportance(
  model: LoadedModel,
  grid: GridInput,
  baseline: { run: ModelRun; labels: Uint8Array },
  opts: AnalyseOptions,
  warnings: string[],
  withHeads: boolean,
  clinical: ClinicalValues,
): Promise<ModalityImportance[]> {
  const m = model.manifest;
  const out: ModalityImportance[] = [];
  const wt = gliomaLabels(m) ? [1, 2, 3] : (m.outputs.segmentation?.segments ?? []).map((_, i) => i + 1);
  for (const role of baseline.run.modalities.present) {
    const rest = baseline.run.modalities.present.filter((r) => r !== role);
    try {
      planModalities(m, rest);
    } catch (e) {
      if (e instanceof MissingModalitiesError) {
        warnings.push(`modality importance: ${role} not assessed (without it ${e.message.replace(/^model \S+ /, 'the model ')})`);
        continue;
      }
      throw e;
    }
    const run = await runModel(model, grid, { tta: !!opts.modalityImportanceTta && opts.tta, queue: opts.queue, dropRoles: [role], clinical, ...(opts.log ? { log: opts.log } : {}) });
    const headDeltas: Record<string, number> = {};
    for (const h of withHeads ? baseline.run.heads : []) {
      const full = h.classes.reduce((a, c) => (c.probability > a.probability ? c : a));
      const without = run.heads.find((x) => x.head === h.head)!.classes.find((c) => c.name === full.name)!.probability;
      headDeltas[h.head] = Math.abs(full.probability - without);
    }
    const item: ModalityImportance = { role, headDeltas };
    // No baseline label map when the segmentation was withheld: the heads' changes are still meaningful.
    if (run.segmentation && baseline.labels.length) item.diceToFull = dice(postprocessLabels(m, run, grid, opts).labels, wt, baseline.labels, wt);
    out.push(item);
  }
  return out;
}

/** Runs one model on one study and assembles Findings. */
export async function analyseStudy(model: LoadedModel, study: StudyCase, opts: AnalyseOptions): Promise<Findings> {
  const t0 = performance.now();
  const m = model.manifest;
  const grid = study.grid;
  const clinical = study.clinical ?? {};
  const run = await runModel(model, grid, { tta: opts.tta, clinical, ...(opts.queue ? { queue: opts.queue } : {}), ...(opts.log ? { log: opts.log } : {}) });
  const warnings = [...run.warnings];
  const timings: Record<string, number> = {
    gather: run.timings.gather,
    forward: run.timings.forward,
    accumulate: run.timings.accumulate,
    finalise: run.timings.finalise,
    inference: run.timings.total,
  };
  const notes: string[] = [];

  let tp = performance.now();
  let segmentation: Findings['segmentation'];
  let regions: Findings['regions'] = [];
  let gridLabels: Uint8Array | undefined;
  let meanWtUncertainty: number | undefined;
  let bidim: Findings['bidimensional'];
  const withheld = opts.withholdUnvalidatedSegmentation === false ? undefined : segmentationWithheld(m, run.modalities.present, run.modalities.missing);
  if (withheld) warnings.push(withheld.reason);
  if (m.outputs.segmentation && run.segmentation && !withheld) {
    const post = postprocessLabels(m, run, grid, opts);
    gridLabels = post.labels;
    warnings.push(...post.notes);
    const labelVol: Volume<Uint8Array> = { dims: grid.dims, spacing: grid.spacing, affine: grid.affine, data: gridLabels };
    const uncVol: Volume<Float32Array> = { dims: grid.dims, spacing: grid.spacing, affine: grid.affine, data: run.segmentation.uncertainty };
    const ref = study.referenceSeries;
    let labelmap: Volume<Uint8Array>;
    let uncertainty: Volume<Float32Array>;
    const native = study.toReference && study.labelsFromMappedProbabilities ? labelsOnReference(m, run, grid, ref, study.toReference, opts) : undefined;
    if (native && study.toReference) {
      labelmap = native.labelmap;
      warnings.push(...native.notes);
      uncertainty = study.toReference(uncVol, ref, 'linear');
    } else if (study.toReference) {
      labelmap = study.toReference(labelVol, ref, 'nearest');
      uncertainty = study.toReference(uncVol, ref, 'linear');
    } else if (sameGeometry(grid, ref)) {
      labelmap = { ...labelVol, ...(ref.frameOfReferenceUid ? { frameOfReferenceUid: ref.frameOfReferenceUid } : {}) };
      uncertainty = uncVol;
    } else {
      throw new InferenceInputError('grid-mismatch', 'the model grid differs from the reference series grid and no inverse mapping was given');
    }
    timings.mapping = performance.now() - tp;
    segmentation = { labelmap, uncertainty, segments: segmentDefinitions(m) };
    regions = measureRegions(labelmap.data, labelmap.affine, regionLabelValues(m.outputs.segmentation), uncertainty.data);
    bidim = bidimensionalOf(regions, labelmap, ref);
    const wtValues = (m.outputs.segmentation.segments ?? []).map((_, i) => i + 1);
    let s = 0;
    let n = 0;
    for (let v = 0; v < gridLabels.length; v++) {
      if (wtValues.includes(gridLabels[v]!)) {
        s += run.segmentation.uncertainty[v]!;
        n++;
      }
    }
    meanWtUncertainty = n ? s / n : undefined;
  }
  timings.postprocess = performance.now() - tp;

  // Nothing segmented: the heads would classify a tumour that is not there, so they are not reported.
  const noTumour = segmentation && nothingSegmented(regions) ? { headsNotApplicable: run.heads.map((h) => ({ head: h.head, kind: h.kind, title: h.title })) } : undefined;
  if (noTumour?.headsNotApplicable.length) {
    warnings.push(`no tumour segmented: ${noTumour.headsNotApplicable.map((h) => h.title).join(', ')} not applicable (not reported)`);
  }
  const heads = noTumour ? [] : run.heads;
  const survival = m.outputs.survival.map((spec) =>
    summariseSurvival(spec, run.survival.find((x) => x.head === spec.id)!.passes, {
      ...(clinical.age ? { age: clinical.age } : {}),
      modalitiesUsed: run.modalities.present,
      ...(segmentation && nothingSegmented(regions) ? { notApplicable: 'no tumour segmented: survival figures describe a tumour, so they are not applicable' } : {}),
    }),
  );
  for (const s of survival) {
    if (s.status === 'not-assessable') warnings.push(`${s.title} not assessable: ${s.reason}`);
    if (s.status === 'not-applicable') warnings.push(`no tumour segmented: ${s.title} not applicable (not reported)`);
    warnings.push(...s.notes);
  }
  const diagnosis = noTumour ? undefined : layeredDiagnosis(headsForDiagnosis(m, heads), { minBranchProbability: opts.minBranchProbability ?? 0.5 });

  tp = performance.now();
  let importance: ModalityImportance[] | undefined;
  if (opts.modalityImportance && run.modalities.present.length > 1) {
    const baseline = opts.tta && !opts.modalityImportanceTta
      ? await runModel(model, grid, { tta: false, clinical, ...(opts.queue ? { queue: opts.queue } : {}) })
      : run;
    const baseLabels = withheld ? undefined : baseline === run ? gridLabels : baseline.segmentation ? postprocessLabels(m, baseline, grid, opts).labels : undefined;
    importance = await modalityImportance(model, grid, { run: baseline, labels: baseLabels ?? new Uint8Array(0) }, opts, warnings, !noTumour, clinical);
    timings.modalityImportance = performance.now() - tp;
  }

  tp = performance.now();
  let radiomics: RadiomicFeature[] | undefined;
  if (opts.radiomics && gridLabels && m.outputs.segmentation) {
    const channels: Partial<Record<ModelRole, Float32Array>> = {};
    for (const r of run.modalities.present) channels[r] = grid.channels[r]!;
    radiomics = regionRadiomics({ dims: grid.dims, spacing: grid.spacing, labels: gridLabels, regions: regionLabelValues(m.outputs.segmentation), channels, bins: opts.radiomicsBins ?? 32 });
    const g = gliomaLabels(m);
    if (g) {
      const space = m.preprocessing.space;
      const aligned = space.kind === 'grid' && (space.grid.orientation === 'LPS' || space.grid.orientation === 'RAS') && space.grid.centre === 'head-centroid';
      radiomics.push(
        ...vasariFeatures({
          dims: grid.dims,
          spacing: grid.spacing,
          labels: gridLabels,
          segments: g,
          ...(channels.t2 ? { t2: channels.t2 } : {}),
          ...(channels.flair ? { flair: channels.flair } : {}),
          ...(aligned ? { midline: { i: (grid.dims[0] - 1) / 2, plusIIsLeft: space.grid.orientation === 'LPS' } } : {}),
          minComponentVoxels: Math.round((opts.minComponentMl ?? 0) / (voxelVolumeMm3(grid.affine) / 1000)),
        }),
      );
    }
    timings.radiomics = performance.now() - tp;
  }

  // Per-case uncertainty summary.
  const indeterminateHeads = heads.filter((h) => h.indeterminate).map((h) => h.head);
  if (indeterminateHeads.length) notes.push(`indeterminate heads: ${indeterminateHeads.join(', ')}`);
  if (meanWtUncertainty !== undefined) notes.push(`mean voxel uncertainty inside the tumour ${meanWtUncertainty.toFixed(3)} (normalised entropy)`);
  if (run.modalities.missing.length) notes.push(`missing sequences: ${run.modalities.missing.join(', ')}`);
  if (withheld) notes.push('segmentation withheld for these inputs');
  if (diagnosis?.integrated.indeterminate) notes.push('layered diagnosis indeterminate');
  if (run.passes > 1) notes.push(`${run.passes} flip TTA passes`);
  const level: Findings['uncertaintySummary']['level'] =
    diagnosis?.integrated.indeterminate || (meanWtUncertainty ?? 0) > 0.5
      ? 'high'
      : indeterminateHeads.length || (meanWtUncertainty ?? 0) > 0.25 || run.modalities.missing.length
        ? 'moderate'
        : 'low';
  timings.total = performance.now() - t0;

  const fed = new Set(run.modalities.present);
  return {
    studyInstanceUid: study.studyInstanceUid,
    model: {
      name: m.name,
      version: m.version,
      sha256: model.sha256,
      intendedUse: m.intendedUse,
      trainingData: m.trainingData,
      executionProvider: model.executionProvider,
    },
    inputs: study.inputs.filter((s) => fed.has(s.role)),
    missingModalities: run.modalities.missing,
    referenceSeries: study.referenceSeries,
    ...(segmentation ? { segmentation } : {}),
    ...(withheld ? { segmentationWithheld: withheld } : {}),
    regions,
    ...(bidim ? { bidimensional: bidim } : {}),
    ...(noTumour ? { noTumourDetected: noTumour } : {}),
    heads,
    ...(survival.length ? { survival } : {}),
    ...(diagnosis ? { diagnosis } : {}),
    uncertaintySummary: { level, ...(meanWtUncertainty !== undefined ? { meanSegmentationUncertainty: meanWtUncertainty } : {}), notes },
    ...(importance ? { modalityImportance: importance } : {}),
    ...(radiomics ? { radiomics } : {}),
    timings,
    warnings,
  };
}
