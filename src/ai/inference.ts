/**
 * Runs one model on one case already resampled into the model grid: missing-modality handling, sliding window
 * with importance blending, flip TTA, calibrated head probabilities and voxel uncertainty.
 *
 * Accumulation: for every window w and TTA pass t, each voxel v it covers adds g(v) * p_wt(v) to a running sum
 * (g = importance weight, p = class probabilities after the activation), and g(v) * H(p_wt(v)) for the expected
 * entropy. The mean probability is sum / sum(g); argmax gives the label. Head outputs are combined across windows
 * per the manifest's aggregation, then averaged across passes.
 */
import * as ort from 'onnxruntime-node';
import type { HeadResult } from './findings';
import type { Vec3 } from '../imaging/volume';
import type { Logger } from '../log/logger';
import type { ModelRole } from '../series-id/roles';
import { InferenceInputError, MissingModalitiesError, UnsupportedSpaceError } from './errors';
import { auxiliaryFeeds, type ClinicalValues } from './feeds';
import type { HeadSpec, ModelManifest, SurvivalHeadSpec } from './manifest';
import { flipCombinations, gatherPatch, NO_FLIP, patchGridIndex, tensorSpatialShape, toTensorOrder, type Flips } from './patch';
import { entropy, headProbabilities, meanClassVariance, meanVector, mutualInformation, normalisedEntropy, weightedMeanVector } from './probability';
import type { LoadedModel } from './registry';
import { DeviceQueue } from './runtime';
import {
  accumulateLogits,
  accumulateLogitsRows,
  accumulateProbabilities,
  countAboveZero,
  countNonBackground,
  meanLogitsToProbabilities,
  splitMeans,
  type KernelMode,
} from './segmentation-kernels';
import { centreTileIndex, importanceMap, planTiles, type TilePlan } from './tiling';

/** One case on the model grid: normalised channels (i fastest) keyed by role, with the grid's geometry. */
export interface GridInput {
  dims: Vec3;
  spacing: Vec3;
  /** Grid voxel -> patient LPS mm (4x4 row-major). */
  affine: Float64Array;
  channels: Partial<Record<ModelRole, Float32Array>>;
}

export interface InferenceOptions {
  /** Run the manifest's flip TTA (when it declares flip axes). */
  tta: boolean;
  /** Serialises runs per execution provider; a private queue when absent. */
  queue?: DeviceQueue;
  /** Treat these roles as absent even if given (leave-one-modality-out). */
  dropRoles?: readonly ModelRole[];
  /**
   * How overlapping windows and TTA passes combine (see segmentation-kernels.ts): 'logits' (default, nnU-Net
   * style: weighted mean of logits, one activation at the end; fast) or 'probabilities' (weighted mean of
   * per-pass probabilities, GMMAS style; adds the voxel mutual-information map; ~5x more accumulation time).
   */
  averaging?: 'logits' | 'probabilities';
  /** Clinical inputs of survival heads (age); unknown values are fed as a neutral value. */
  clinical?: ClinicalValues;
  log?: Logger;
}

export interface ModalityPlan {
  /** Roles in the model's channel order that are present and fed. */
  present: ModelRole[];
  /** Model channels that are absent (filled or dropped). */
  missing: ModelRole[];
  /** What each fed tensor channel holds (null = filled). */
  fed: (ModelRole | null)[];
  mask?: Float32Array;
}

export interface SegmentationRaw {
  /** Mean probability per segmentation output channel on the grid (labels: classes; regions: WT/TC/ET). */
  probabilities: Float32Array[];
  /** 0 = background, n = manifest segments[n-1]. */
  labels: Uint8Array;
  /** Voxel uncertainty in [0,1]: normalised predictive entropy (labels) or mean binary entropy / ln 2 (regions). */
  uncertainty: Float32Array;
  /** Voxel mutual information between prediction and window/pass (nats), with 'probabilities' averaging only. */
  mutualInformation?: Float32Array;
}

export interface ModelRun {
  manifest: ModelManifest;
  executionProvider: string;
  modalities: ModalityPlan;
  dims: Vec3;
  segmentation?: SegmentationRaw;
  heads: HeadResult[];
  /** Survival heads' hazards, per TTA pass (tiles combined per the head's aggregation). */
  survival: { head: string; passes: number[][] }[];
  tiles: number;
  passes: number;
  forwardCount: number;
  timings: { gather: number; forward: number; accumulate: number; finalise: number; total: number };
  warnings: string[];
}

/** Decides what to feed; throws MissingModalitiesError naming the absent roles when the model cannot run. */
export function planModalities(m: ModelManifest, available: readonly ModelRole[]): ModalityPlan {
  const channels = m.inputs.image.channels;
  const present = channels.filter((r) => available.includes(r));
  const missing = channels.filter((r) => !available.includes(r));
  const mm = m.missingModalities;
  const ok = mm.minimumRoleSets.some((set) => set.every((r) => present.includes(r)));
  if (!ok) {
    const sets = mm.minimumRoleSets.map((s) => s.join('+')).join(' or ');
    throw new MissingModalitiesError(
      'missing-modalities',
      m.name,
      missing,
      present,
      `model ${m.name} needs ${sets}; present: ${present.join(', ') || 'none'}; absent: ${missing.join(', ')}`,
    );
  }
  if (mm.supportedSubsets && !mm.supportedSubsets.some((s) => s.length === present.length && s.every((r) => present.includes(r)))) {
    throw new MissingModalitiesError(
      'unsupported-subset',
      m.name,
      missing,
      present,
      `model ${m.name} supports only the subsets ${mm.supportedSubsets.map((s) => `[${s.join(',')}]`).join(' ')}; present: ${present.join(', ')}; absent: ${missing.join(', ')}`,
    );
  }
  if (mm.strategy === 'drop-channels') return { present, missing, fed: [...present] };
  const fed = channels.map((r) => (present.includes(r) ? r : null));
  const mask = m.inputs.modalityMask ? Float32Array.from(fed, (r) => (r ? 1 : 0)) : undefined;
  return { present, missing, fed, ...(mask ? { mask } : {}) };
}

/**
 * Warnings about the model's space the node only approximates: an approximate grid instead of the atlas, the
 * Colin27 stand-in for another atlas, bias-field correction it does not perform. Throws UnsupportedSpaceError for a
 * template grid orientation the registration cannot place ('reference-series' has no meaning in an atlas).
 */
export function checkSpace(m: ModelManifest): string[] {
  const s = m.preprocessing.space;
  if (s.kind !== 'template') return [];
  const needs = s.requires.length ? ` (needs ${s.requires.join(', ')})` : '';
  if (s.approximateWithGrid) return [`model ${m.name} expects ${s.template} atlas space${needs}; run on an approximate head-centred grid instead`];
  if (s.grid.orientation === 'reference-series') {
    throw new UnsupportedSpaceError(m.name, `model ${m.name}: a template grid needs orientation LPS or RAS, not reference-series`);
  }
  const out: string[] = [];
  if (!/^(colin27|ch2|mni)/i.test(s.template)) out.push(`model ${m.name} expects ${s.template} space; the node registers to Colin27 (ch2, MNI space) instead`);
  if (s.requires.includes('bias-field-correction')) out.push(`model ${m.name} was trained on bias-field-corrected images; the node does not correct the bias field`);
  return out;
}

interface PassHeads {
  /** Per head id: per tile: probabilities. */
  perTile: Map<string, number[][]>;
  /** Tumour probability mass seen by each tile. */
  tumourMass: number[];
}

function aggregateTiles(h: Pick<HeadSpec, 'aggregation'>, perTile: number[][], tumourMass: number[], centreTile: number): number[] {
  if (perTile.length === 1) return perTile[0]!;
  if (h.aggregation === 'centre-crop') return perTile[centreTile]!;
  if (h.aggregation === 'tumour-weighted-mean') return weightedMeanVector(perTile, tumourMass);
  return meanVector(perTile);
}

/** Head result from its per-pass probabilities (temperature already applied). */
export function summariseHead(h: HeadSpec, passes: number[][]): HeadResult {
  const p = meanVector(passes);
  let top = 0;
  p.forEach((v, i) => {
    if (v > p[top]!) top = i;
  });
  const ne = normalisedEntropy(p);
  const indeterminate = p[top]! < h.indeterminate.minConfidence || ne > h.indeterminate.maxNormalisedEntropy;
  return {
    head: h.id,
    kind: h.kind,
    title: h.title,
    classes: h.classes.map((c, i) => ({ name: c.name, probability: p[i]!, ...(c.code ? { code: c.code } : {}) })),
    predicted: indeterminate ? 'indeterminate' : h.classes[top]!.name,
    confidence: p[top]!,
    uncertainty: {
      entropy: entropy(p),
      normalisedEntropy: ne,
      ...(passes.length > 1 ? { ttaVariance: meanClassVariance(passes), mutualInformation: mutualInformation(passes) } : {}),
    },
    indeterminate,
    temperature: h.temperature,
  };
}

/** A survival head's hazards for the one case of the batch; a graph that gives fewer than the declared bins is refused by name. */
function survivalHazards(h: SurvivalHeadSpec, raw: Float32Array): number[] {
  const b = h.timeBinsMonths.length;
  if (raw.length !== b) throw new InferenceInputError('bad-output', `survival head "${h.id}" output "${h.name}" gave ${raw.length} values for ${b} time bins`);
  return Array.from(raw);
}

const privateQueue = new DeviceQueue(1);

/** Runs the model over the whole grid (all windows x all TTA passes) and returns grid-space results. */
export async function runModel(model: LoadedModel, input: GridInput, opts: InferenceOptions): Promise<ModelRun> {
  const m = model.manifest;
  const warnings = checkSpace(m);
  const n = input.dims[0] * input.dims[1] * input.dims[2];
  const available = (Object.keys(input.channels) as ModelRole[]).filter(
    (r) => input.channels[r] && !(opts.dropRoles ?? []).includes(r),
  );
  for (const r of available) {
    if (input.channels[r]!.length !== n) {
      throw new InferenceInputError('bad-input', `channel ${r} has ${input.channels[r]!.length} voxels, grid ${input.dims.join('x')} has ${n}`);
    }
  }
  const want = m.preprocessing.space.grid;
  if (want.spacing.some((s, a) => Math.abs(s - input.spacing[a]!) > 1e-3)) {
    throw new InferenceInputError('grid-mismatch', `model ${m.name} wants ${want.spacing.join('x')} mm voxels, got ${input.spacing.join('x')} mm`);
  }
  if (want.size.some((s, a) => s !== input.dims[a])) {
    warnings.push(`grid ${input.dims.join('x')} differs from the manifest's ${want.size.join('x')}`);
  }
  const plan = planModalities(m, available);
  if (plan.missing.length) {
    warnings.push(
      m.missingModalities.strategy === 'fill'
        ? `missing ${plan.missing.join(', ')}: filled with ${m.missingModalities.fillValue} (normalised units)${m.inputs.modalityMask ? ' and flagged in the modality mask' : ''}`
        : `missing ${plan.missing.join(', ')}: model run on the ${plan.present.join('+')} subset`,
    );
  }
  const queue = opts.queue ?? privateQueue;
  return queue.run(model.executionProvider, () => runPlanned(model, input, plan, opts, warnings));
}

async function runPlanned(model: LoadedModel, input: GridInput, plan: ModalityPlan, opts: InferenceOptions, warnings: string[]): Promise<ModelRun> {
  const t0 = performance.now();
  const m = model.manifest;
  const dims = input.dims;
  const nvox = dims[0] * dims[1] * dims[2];
  const tiles: TilePlan = planTiles(dims, m.tiling);
  const flips: Flips[] = opts.tta && m.tta.flipAxes.length ? flipCombinations(m.tta.flipAxes) : [NO_FLIP];
  const axes = m.inputs.image.axes;
  const patch = tiles.patch;
  const P = patch[0] * patch[1] * patch[2];
  const spatial = tensorSpatialShape(patch, axes);
  const weights = toTensorOrder(importanceMap(patch, tiles.blending, tiles.gaussianSigmaScale), patch, axes);
  const fedArrays = plan.fed.map((r) => (r ? input.channels[r]! : null));
  const fill = m.missingModalities.fillValue;
  const seg = m.outputs.segmentation;
  const K = seg ? (seg.mode === 'labels' ? seg.classes!.length : seg.regions!.length) : 0;
  const channelOf = seg ? (seg.mode === 'labels' ? seg.classes!.map((c) => c.channel) : seg.regions!.map((r) => r.channel)) : [];
  const bgIndex = seg?.mode === 'labels' ? seg.classes!.findIndex((c) => c.key === 'background') : -1;
  const wtIndex = seg?.mode === 'regions' ? seg.regions!.findIndex((r) => r.region === 'WT') : -1;

  const averaging = opts.averaging ?? 'logits';
  const acc = new Float32Array(K * nvox);
  const accH = seg && averaging === 'probabilities' ? new Float32Array(nvox) : undefined;
  const wsum = new Float32Array(seg ? nvox : 0);
  const base = Int32Array.from(channelOf, (c) => c * P);
  const kernelMode: KernelMode = seg?.mode === 'labels' ? (seg.activation === 'softmax' ? 'softmax' : 'identity') : seg?.activation === 'sigmoid' ? 'sigmoid' : 'identity';
  const tumourChannel = seg?.mode === 'labels' ? bgIndex : wtIndex;
  const needMass = [...m.outputs.heads, ...m.outputs.survival].some((h) => h.aggregation === 'tumour-weighted-mean');
  const headPasses = new Map<string, number[][]>([...m.outputs.heads, ...m.outputs.survival].map((h) => [h.id, []]));
  const centreTile = centreTileIndex(dims, tiles);
  const timings = { gather: 0, forward: 0, accumulate: 0, finalise: 0, total: 0 };
  const Tensor = model.Tensor ?? ort.Tensor;
  const aux = auxiliaryFeeds(m, Tensor, { ...(plan.mask ? { mask: plan.mask } : {}), ...(opts.clinical ? { clinical: opts.clinical } : {}) });
  const T = seg?.temperature ?? 1;
  let forwardCount = 0;

  for (const f of flips) {
    const pass: PassHeads = { perTile: new Map([...m.outputs.heads, ...m.outputs.survival].map((h) => [h.id, []])), tumourMass: [] };
    let whole: ort.Tensor | undefined;
    if (m.inputs.wholeImage) {
      const data = gatherPatch(fedArrays, dims, [0, 0, 0], dims, axes, f, fill);
      whole = new Tensor('float32', data, [1, fedArrays.length, ...tensorSpatialShape(dims, axes)]);
    }
    for (const tile of tiles.tiles) {
      let t = performance.now();
      const data = gatherPatch(fedArrays, dims, tile.origin, patch, axes, f, fill);
      const feeds: Record<string, ort.Tensor> = {
        [m.inputs.image.name]: new Tensor('float32', data, [1, fedArrays.length, ...spatial]),
        ...aux,
      };
      if (whole) feeds[m.inputs.wholeImage!.name] = whole;
      timings.gather += performance.now() - t;
      t = performance.now();
      const out = await model.session.run(feeds);
      forwardCount++;
      timings.forward += performance.now() - t;
      t = performance.now();
      let mass = 0;
      if (seg) {
        const o = out[seg.name]!.data as Float32Array;
        // The per-voxel grid index map is needed unless the row kernel applies; windows inside the grid need no map
        // for the tumour count either.
        const inside = tile.origin.every((o, a) => o >= 0 && o + patch[a]! <= dims[a]!);
        const map = averaging === 'logits' && axes === 'kji' && (!needMass || inside) ? undefined : patchGridIndex(dims, tile.origin, patch, axes, f);
        if (averaging === 'logits') {
          if (axes === 'kji') accumulateLogitsRows(o, patch, dims, tile.origin, f, base, weights, acc, nvox, wsum);
          else accumulateLogits(o, P, base, map!, weights, acc, nvox, wsum);
          if (needMass) {
            mass = seg.mode === 'labels' ? countNonBackground(o, P, base, map, tumourChannel, 3) : countAboveZero(o, P, base[tumourChannel]!, map ?? patchGridIndex(dims, tile.origin, patch, axes, f));
          }
        } else {
          mass = accumulateProbabilities(o, P, base, map!, weights, acc, nvox, accH!, wsum, 1 / T, kernelMode, tumourChannel, seg.mode === 'labels');
        }
      }
      pass.tumourMass.push(mass);
      for (const h of m.outputs.heads) {
        const raw = out[h.name]!.data as Float32Array;
        pass.perTile.get(h.id)!.push(headProbabilities(raw, h.activation, h.classes.length, h.temperature));
      }
      for (const h of m.outputs.survival) pass.perTile.get(h.id)!.push(survivalHazards(h, out[h.name]!.data as Float32Array));
      timings.accumulate += performance.now() - t;
    }
    for (const h of [...m.outputs.heads, ...m.outputs.survival]) {
      headPasses.get(h.id)!.push(aggregateTiles(h, pass.perTile.get(h.id)!, pass.tumourMass, centreTile));
    }
  }

  const tf = performance.now();
  let segmentation: SegmentationRaw | undefined;
  if (seg) {
    const means = averaging === 'logits' ? meanLogitsToProbabilities(acc, wsum, nvox, K, kernelMode, 1 / T) : { probabilities: splitMeans(acc, wsum, nvox, K) };
    segmentation = finaliseSegmentation(m, means.probabilities, accH, wsum, nvox, 'entropy' in means ? means.entropy : undefined);
  }
  const heads = m.outputs.heads.map((h) => summariseHead(h, headPasses.get(h.id)!));
  timings.finalise = performance.now() - tf;
  timings.total = performance.now() - t0;
  opts.log?.info('model run', {
    model: m.name,
    executionProvider: model.executionProvider,
    tiles: tiles.tiles.length,
    passes: flips.length,
    forwardMs: Math.round(timings.forward),
    totalMs: Math.round(timings.total),
  });
  return {
    manifest: m,
    executionProvider: model.executionProvider,
    modalities: plan,
    dims: [...dims] as Vec3,
    ...(segmentation ? { segmentation } : {}),
    heads,
    survival: m.outputs.survival.map((h) => ({ head: h.id, passes: headPasses.get(h.id)! })),
    tiles: tiles.tiles.length,
    passes: flips.length,
    forwardCount,
    timings,
    warnings,
  };
}

/**
 * Labels and uncertainty maps from mean probabilities per output channel (already divided by the weight sum);
 * accH (probabilities averaging only) gives the expected entropy, hence the mutual information.
 */
function finaliseSegmentation(
  m: ModelManifest,
  probs: Float32Array[],
  accH: Float32Array | undefined,
  wsum: Float32Array,
  nvox: number,
  /** Precomputed voxel entropy (nats) of probs, when the logits path already has it. */
  entropyOf?: Float32Array,
): SegmentationRaw {
  const seg = m.outputs.segmentation!;
  const K = probs.length;
  const labels = new Uint8Array(nvox);
  const uncertainty = new Float32Array(nvox);
  const mi = accH ? new Float32Array(nvox) : undefined;
  const labelOfSegment = new Map(seg.segments.map((s, i) => [s.key, i + 1]));
  if (seg.mode === 'labels') {
    const labelOfClass = seg.classes!.map((c) => (c.key === 'background' ? 0 : labelOfSegment.get(c.key)!));
    const bg = seg.classes!.findIndex((c) => c.key === 'background');
    const lnK = Math.log(K);
    for (let v = 0; v < nvox; v++) {
      if (!(wsum[v]! > 0)) {
        // Not covered by any window (fixed crops that leave gaps): background, certain.
        for (let c = 0; c < K; c++) probs[c]![v] = c === bg ? 1 : 0;
        continue;
      }
      let best = 0;
      let h = 0;
      for (let c = 1; c < K; c++) if (probs[c]![v]! > probs[best]![v]!) best = c;
      if (entropyOf) h = entropyOf[v]!;
      else {
        for (let c = 0; c < K; c++) {
          const pc = probs[c]![v]!;
          if (pc > 0) h -= pc * Math.log(pc);
        }
      }
      labels[v] = labelOfClass[best]!;
      uncertainty[v] = Math.min(1, h / lnK);
      if (mi) mi[v] = Math.max(0, h - accH![v]! / wsum[v]!);
    }
  } else {
    const idx = (r: 'WT' | 'TC' | 'ET'): number => seg.regions!.findIndex((x) => x.region === r);
    const [iw, it, ie] = [idx('WT'), idx('TC'), idx('ET')];
    const thr = seg.threshold;
    const lNCR = labelOfSegment.get('NCR') ?? 0;
    const lED = labelOfSegment.get('ED') ?? 0;
    const lET = labelOfSegment.get('ET') ?? 0;
    for (let v = 0; v < nvox; v++) {
      if (!(wsum[v]! > 0)) continue;
      let h = 0;
      for (let c = 0; c < K; c++) {
        const pc = probs[c]![v]!;
        if (pc > 0 && pc < 1) h -= (pc * Math.log(pc) + (1 - pc) * Math.log(1 - pc)) / K;
      }
      // Nested regions -> labels; ET implies TC implies WT (hierarchy by construction).
      if (ie >= 0 && probs[ie]![v]! > thr) labels[v] = lET;
      else if (it >= 0 && probs[it]![v]! > thr) labels[v] = lNCR;
      else if (iw >= 0 && probs[iw]![v]! > thr) labels[v] = lED;
      uncertainty[v] = Math.min(1, h / Math.LN2);
      if (mi) mi[v] = Math.max(0, h - accH![v]! / wsum[v]!);
    }
  }
  return { probabilities: probs, labels, uncertainty, ...(mi ? { mutualInformation: mi } : {}) };
}
