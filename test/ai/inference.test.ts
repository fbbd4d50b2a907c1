/** @jest-environment ./test/ai/ort-environment.js */
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { planModalities, runModel, type GridInput } from '../../src/ai/inference';
import { MissingModalitiesError } from '../../src/ai/errors';
import { loadPackage, type LoadedModel } from '../../src/ai/registry';
import { normalisedEntropy, softmax } from '../../src/ai/probability';
import type { ModelManifest } from '../../src/ai/manifest';
import type { Vec3 } from '../../src/imaging/volume';
import { dice, makePhantom } from './phantom';

const FIX = join(__dirname, '../fixtures/models');
const cpu = { executionProviders: ['cpu'] as const, intraOpNumThreads: 1 };
let glioma: LoadedModel;
let regions: LoadedModel;

beforeAll(async () => {
  glioma = await loadPackage(join(FIX, 'tiny-glioma'), { ...cpu, executionProviders: ['cpu'] });
  regions = await loadPackage(join(FIX, 'tiny-regions'), { ...cpu, executionProviders: ['cpu'] });
});
afterAll(async () => {
  await glioma.session.release();
  await regions.session.release();
});

function withManifest(model: LoadedModel, patch: Partial<ModelManifest>): LoadedModel {
  return { ...model, manifest: { ...model.manifest, ...patch } };
}

/** Independent reference: flips a grid-ordered volume (i fastest) along grid axes. */
function flipVolume(src: Float32Array, dims: Vec3, f: [boolean, boolean, boolean]): Float32Array {
  const out = new Float32Array(src.length);
  const [nx, ny, nz] = dims;
  for (let k = 0; k < nz; k++)
    for (let j = 0; j < ny; j++)
      for (let i = 0; i < nx; i++) {
        const s = (f[2] ? nz - 1 - k : k) * nx * ny + (f[1] ? ny - 1 - j : j) * nx + (f[0] ? nx - 1 - i : i);
        out[k * nx * ny + j * nx + i] = src[s]!;
      }
  return out;
}

/** Independent reference: one forward of the whole grid (kji layout = our memory order), outputs by name. */
async function fullForward(model: LoadedModel, chans: Float32Array[], dims: Vec3, mask?: number[]): Promise<Record<string, Float32Array>> {
  const n = dims[0] * dims[1] * dims[2];
  const data = new Float32Array(chans.length * n);
  chans.forEach((c, i) => data.set(c, i * n));
  const feeds: Record<string, ort.Tensor> = { image: new ort.Tensor('float32', data, [1, chans.length, dims[2], dims[1], dims[0]]) };
  if (mask) feeds.modality_mask = new ort.Tensor('float32', Float32Array.from(mask), [1, mask.length]);
  const out = await model.session.run(feeds);
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, v.data as Float32Array]));
}

function voxelSoftmax(logits: Float32Array, K: number, n: number): Float32Array[] {
  const out = Array.from({ length: K }, () => new Float32Array(n));
  for (let v = 0; v < n; v++) {
    const p = softmax(Array.from({ length: K }, (_, c) => logits[c * n + v]!));
    p.forEach((x, c) => (out[c]![v] = x));
  }
  return out;
}

const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
};
const roles = ['t1', 't1ce', 't2', 'flair'] as const;
const chansOf = (g: GridInput): Float32Array[] => roles.map((r) => g.channels[r]!);

describe('sliding-window inference', () => {
  const ph = makePhantom({ dims: [20, 18, 16], centre: [10, 9, 8], radii: [2, 3.5, 6] });
  const n = 20 * 18 * 16;

  it('one window covering the grid equals one full forward (probabilities and heads)', async () => {
    const m = withManifest(glioma, { tiling: { mode: 'sliding-window', patchSize: [20, 18, 16], overlap: 0.5, blending: 'gaussian', gaussianSigmaScale: 0.125 } });
    const run = await runModel(m, ph.input, { tta: false });
    expect(run.forwardCount).toBe(1);
    const ref = await fullForward(glioma, chansOf(ph.input), ph.input.dims, [1, 1, 1, 1]);
    const probs = voxelSoftmax(ref.seg_logits!, 4, n);
    for (let c = 0; c < 4; c++) expect(maxAbsDiff(run.segmentation!.probabilities[c]!, probs[c]!)).toBeLessThan(1e-5);
    // Voxel uncertainty = normalised entropy of the voxel's class probabilities (computed independently here).
    let worst = 0;
    for (let v = 0; v < n; v += 7) worst = Math.max(worst, Math.abs(run.segmentation!.uncertainty[v]! - normalisedEntropy([0, 1, 2, 3].map((c) => probs[c]![v]!))));
    expect(worst).toBeLessThan(1e-5);
    expect(Math.max(...run.segmentation!.uncertainty)).toBeGreaterThan(0.3); // boundaries are uncertain
    const idh = run.heads.find((h) => h.head === 'idh')!;
    const refIdh = softmax(Array.from(ref.idh_logits!), 1.5); // manifest temperature 1.5
    expect(idh.classes.map((c) => c.probability)).toEqual(refIdh.map((x) => expect.closeTo(x, 6)));
    expect(idh.temperature).toBe(1.5);
    // Without temperature the probabilities would differ: the calibration is really applied.
    expect(Math.abs(softmax(Array.from(ref.idh_logits!))[0]! - refIdh[0]!)).toBeGreaterThan(1e-4);
  });

  it('a window larger than the grid pads with the fill value and crops back', async () => {
    // Patch 24^3 > grid 20x18x16: zero padding = the convolutions' own zero padding for this 1-layer-deep model.
    const run = await runModel(glioma, ph.input, { tta: false });
    expect(run.tiles).toBe(1);
    const ref = await fullForward(glioma, chansOf(ph.input), ph.input.dims, [1, 1, 1, 1]);
    const probs = voxelSoftmax(ref.seg_logits!, 4, n);
    for (let c = 0; c < 4; c++) expect(maxAbsDiff(run.segmentation!.probabilities[c]!, probs[c]!)).toBeLessThan(1e-5);
  });

  it('overlapping windows blend to the full forward away from window borders, and segment the phantom', async () => {
    const big = makePhantom();
    const run = await runModel(glioma, big.input, { tta: false });
    expect(run.tiles).toBe(3 * 2 * 2); // windowStarts(40,24,.5)=3, (36)=2, (32)=2
    const nb = 40 * 36 * 32;
    const ref = await fullForward(glioma, chansOf(big.input), big.input.dims, [1, 1, 1, 1]);
    const probs = voxelSoftmax(ref.seg_logits!, 4, nb);
    // Differences come only from zero padding at inner window borders (receptive field radius 1).
    expect(maxAbsDiff(run.segmentation!.probabilities[2]!, probs[2]!)).toBeLessThan(0.35);
    let mean = 0;
    for (let v = 0; v < nb; v++) mean += Math.abs(run.segmentation!.probabilities[2]![v]! - probs[2]![v]!) / nb;
    expect(mean).toBeLessThan(0.01);
    expect(dice(run.segmentation!.labels, [1, 2, 3], big.truth, [1, 2, 3])).toBeGreaterThan(0.95);
    expect(dice(run.segmentation!.labels, [1, 3], big.truth, [1, 3])).toBeGreaterThan(0.9);
    expect(dice(run.segmentation!.labels, [3], big.truth, [3])).toBeGreaterThan(0.85);
  });

  it('is deterministic: the same input gives bit-identical outputs', async () => {
    const a = await runModel(glioma, ph.input, { tta: true });
    const b = await runModel(glioma, ph.input, { tta: true });
    expect(Buffer.from(a.segmentation!.probabilities[3]!.buffer).equals(Buffer.from(b.segmentation!.probabilities[3]!.buffer))).toBe(true);
    expect(Buffer.from(a.segmentation!.labels).equals(Buffer.from(b.segmentation!.labels))).toBe(true);
    expect(a.heads).toEqual(b.heads);
  });
});

describe('flip test-time augmentation', () => {
  const ph = makePhantom({ dims: [20, 18, 16], centre: [11, 8, 7], radii: [2, 3.5, 6], seed: 3 });
  const n = 20 * 18 * 16;
  const dims = ph.input.dims;

  it('probabilities averaging: mean of the un-mirrored softmax outputs of the mirrored inputs', async () => {
    // Patch = grid, so the heads' global pooling sees exactly the grid (no padding).
    const m = withManifest(glioma, {
      tta: { flipAxes: ['i', 'k'] },
      tiling: { mode: 'sliding-window', patchSize: [20, 18, 16], overlap: 0.5, blending: 'gaussian', gaussianSigmaScale: 0.125 },
    });
    const run = await runModel(m, ph.input, { tta: true, averaging: 'probabilities' });
    const viaLogits = await runModel(m, ph.input, { tta: true });
    expect(run.passes).toBe(4);
    expect(run.forwardCount).toBe(4);
    const mean = Array.from({ length: 4 }, () => new Float32Array(n));
    const meanLogits = new Float32Array(4 * n);
    const headPasses: number[][] = [];
    for (const f of [[false, false, false], [true, false, false], [false, false, true], [true, false, true]] as [boolean, boolean, boolean][]) {
      const out = await fullForward(glioma, chansOf(ph.input).map((c) => flipVolume(c, dims, f)), dims, [1, 1, 1, 1]);
      const p = voxelSoftmax(out.seg_logits!, 4, n).map((c) => flipVolume(c, dims, f));
      p.forEach((c, ci) => c.forEach((x, v) => (mean[ci]![v] = mean[ci]![v]! + x / 4)));
      for (let c = 0; c < 4; c++) flipVolume(out.seg_logits!.subarray(c * n, (c + 1) * n), dims, f).forEach((z, v) => (meanLogits[c * n + v] = meanLogits[c * n + v]! + z / 4));
      headPasses.push(softmax(Array.from(out.grade_logits!)));
    }
    for (let c = 0; c < 4; c++) expect(maxAbsDiff(run.segmentation!.probabilities[c]!, mean[c]!)).toBeLessThan(2e-6);
    // Default 'logits' averaging: softmax of the mean un-mirrored logits (nnU-Net style).
    const fromLogits = voxelSoftmax(meanLogits, 4, n);
    for (let c = 0; c < 4; c++) expect(maxAbsDiff(viaLogits.segmentation!.probabilities[c]!, fromLogits[c]!)).toBeLessThan(2e-6);
    // The two averages differ (Jensen), by more than the tolerance above, so the test tells them apart.
    expect(Math.max(...[0, 1, 2, 3].map((c) => maxAbsDiff(viaLogits.segmentation!.probabilities[c]!, mean[c]!)))).toBeGreaterThan(1e-5);
    // Mutual information exists only with probabilities averaging, and is >= 0.
    expect(viaLogits.segmentation!.mutualInformation).toBeUndefined();
    expect(Math.min(...run.segmentation!.mutualInformation!)).toBeGreaterThanOrEqual(0);
    const grade = run.heads.find((h) => h.head === 'grade')!;
    const avg = [0, 1, 2].map((c) => headPasses.reduce((a, p) => a + p[c]! / 4, 0));
    grade.classes.forEach((c, i) => expect(c.probability).toBeCloseTo(avg[i]!, 6));
    // Variance across passes = mean over classes of the population variance.
    const variance = [0, 1, 2].reduce((a, c) => a + headPasses.reduce((s, p) => s + (p[c]! - avg[c]!) ** 2, 0) / 4, 0) / 3;
    expect(grade.uncertainty.ttaVariance).toBeCloseTo(variance, 9);
    expect(grade.uncertainty.ttaVariance).toBeGreaterThan(0); // the random branch is not mirror-symmetric
  });

  it('mirrored input gives the mirrored segmentation (equivariance through the whole engine)', async () => {
    const flipped: GridInput = { ...ph.input, channels: Object.fromEntries(roles.map((r) => [r, flipVolume(ph.input.channels[r]!, dims, [true, true, true])])) };
    const m = withManifest(glioma, { tta: { flipAxes: ['i', 'j', 'k'] } });
    const a = await runModel(m, ph.input, { tta: true });
    const b = await runModel(m, flipped, { tta: true });
    // Full mirror TTA makes the ensemble exactly mirror-equivariant.
    const back = flipVolume(b.segmentation!.probabilities[1]!, dims, [true, true, true]);
    expect(maxAbsDiff(a.segmentation!.probabilities[1]!, back)).toBeLessThan(1e-5);
  });
});

describe('NIfTI axis order and sigmoid regions (nnU-Net style package)', () => {
  it('feeds [i,j,k] tensors and converts nested regions to labels', async () => {
    const ph = makePhantom({ dims: [16, 16, 16], centre: [9, 7, 8], radii: [2.5, 4.5, 7], seed: 5 });
    const run = await runModel(regions, ph.input, { tta: false });
    expect(run.tiles).toBe(1);
    // Reference: build the [1,4,i,j,k] tensor by hand (k fastest) and read the output back the same way.
    const N = 16;
    const data = new Float32Array(4 * N ** 3);
    roles.forEach((r, c) => {
      const src = ph.input.channels[r]!;
      for (let i = 0; i < N; i++) for (let j = 0; j < N; j++) for (let k = 0; k < N; k++) data[c * N ** 3 + (i * N + j) * N + k] = src[(k * N + j) * N + i]!;
    });
    const out = (await regions.session.run({ input: new ort.Tensor('float32', data, [1, 4, N, N, N]) })).output!.data as Float32Array;
    let worst = 0;
    for (let i = 0; i < N; i++)
      for (let j = 0; j < N; j++)
        for (let k = 0; k < N; k++) {
          const pET = 1 / (1 + Math.exp(-out[2 * N ** 3 + (i * N + j) * N + k]!));
          worst = Math.max(worst, Math.abs(pET - run.segmentation!.probabilities[2]![(k * N + j) * N + i]!));
        }
    expect(worst).toBeLessThan(1e-5);
    // Labels: segments order NCR=1, ED=2, ET=3 (a tiny 16^3 phantom: 3x3x3 smoothing blurs its thin shells).
    expect(dice(run.segmentation!.labels, [3], ph.truth, [3])).toBeGreaterThan(0.85);
    expect(dice(run.segmentation!.labels, [1, 2, 3], ph.truth, [1, 2, 3])).toBeGreaterThan(0.8);
  });
});

describe('missing modalities', () => {
  const ph = makePhantom({ dims: [20, 18, 16], centre: [10, 9, 8], radii: [2, 3.5, 6], seed: 7 });
  const n = 20 * 18 * 16;

  it('fills the missing channel with the declared value and clears its mask entry', async () => {
    const { t2: _t2, ...rest } = ph.input.channels;
    const run = await runModel(glioma, { ...ph.input, channels: rest }, { tta: false });
    expect(run.modalities.missing).toEqual(['t2']);
    expect(Array.from(run.modalities.mask!)).toEqual([1, 1, 0, 1]);
    expect(run.warnings.join(' ')).toMatch(/missing t2: filled with 0 .*modality mask/);
    const zeros = new Float32Array(n);
    const ref = await fullForward(glioma, [ph.input.channels.t1!, ph.input.channels.t1ce!, zeros, ph.input.channels.flair!], ph.input.dims, [1, 1, 0, 1]);
    const probs = voxelSoftmax(ref.seg_logits!, 4, n);
    expect(maxAbsDiff(run.segmentation!.probabilities[1]!, probs[1]!)).toBeLessThan(1e-5);
    // dropRoles gives the same result as not having the series at all (the data is not fed).
    const dropped = await runModel(glioma, ph.input, { tta: false, dropRoles: ['t2'] });
    expect(maxAbsDiff(dropped.segmentation!.probabilities[1]!, run.segmentation!.probabilities[1]!)).toBe(0);
    // And differs from the full-input run.
    const full = await runModel(glioma, ph.input, { tta: false });
    expect(maxAbsDiff(full.segmentation!.probabilities[1]!, run.segmentation!.probabilities[1]!)).toBeGreaterThan(0.01);
  });

  it('refuses with a typed error naming the absent roles when no minimum set is present', async () => {
    const { t2: _a, flair: _b, ...rest } = ph.input.channels;
    await expect(runModel(glioma, { ...ph.input, channels: rest }, { tta: false })).rejects.toThrow(
      'model tiny-glioma needs flair or t2; present: t1, t1ce; absent: t2, flair',
    );
    try {
      planModalities(glioma.manifest, ['t1', 't1ce']);
    } catch (e) {
      expect(e).toBeInstanceOf(MissingModalitiesError);
      expect((e as MissingModalitiesError).absentRoles).toEqual(['t2', 'flair']);
      expect((e as MissingModalitiesError).reason).toBe('missing-modalities');
    }
    expect.assertions(4);
  });

  it('supportedSubsets (GMMAS prefixes) and drop-channels', () => {
    const m = {
      ...glioma.manifest,
      inputs: { image: { ...glioma.manifest.inputs.image, channels: ['flair', 't1ce', 't1', 't2'] as ('flair' | 't1ce' | 't1' | 't2')[], shape: ['N', 'C', 'D', 'H', 'W'] } },
      missingModalities: {
        strategy: 'drop-channels' as const,
        fillValue: 0,
        minimumRoleSets: [['flair' as const]],
        supportedSubsets: [['flair', 't1ce', 't1', 't2'], ['flair', 't1ce', 't1'], ['flair', 't1ce'], ['flair']] as ('flair' | 't1ce' | 't1' | 't2')[][],
      },
    } as ModelManifest;
    expect(planModalities(m, ['t1ce', 'flair']).fed).toEqual(['flair', 't1ce']);
    expect(() => planModalities(m, ['flair', 't2'])).toThrow(/supports only the subsets .*present: flair, t2; absent: t1ce, t1/);
  });
});
