import { centreTileIndex, importanceMap, planTiles, windowStarts } from '../../src/ai/tiling';
import { entropy, headProbabilities, meanClassVariance, mutualInformation, normalisedEntropy, sigmoid, softmax } from '../../src/ai/probability';
import { flipCombinations, gatherPatch, patchGridIndex } from '../../src/ai/patch';

describe('window placement', () => {
  it('follows the nnU-Net step rule', () => {
    expect(windowStarts(96, 64, 0.5)).toEqual([0, 32]);
    expect(windowStarts(112, 64, 0.5)).toEqual([0, 24, 48]);
    expect(windowStarts(64, 64, 0.5)).toEqual([0]);
    expect(windowStarts(50, 64, 0.5)).toEqual([0]);
    expect(windowStarts(240, 128, 0.5)).toEqual([0, 56, 112]);
    expect(windowStarts(240, 128, 0)).toEqual([0, 112]);
    expect(windowStarts(155, 128, 0)).toEqual([0, 27]); // GMMAS's z crops
  });
  it('plans the glioma-mtl grid as 2x3x2 windows of 64^3', () => {
    const p = planTiles([96, 112, 96], { mode: 'sliding-window', patchSize: [64, 64, 64], overlap: 0.5, blending: 'gaussian', gaussianSigmaScale: 0.125 });
    expect(p.tiles).toHaveLength(12);
    expect(p.tiles[0]!.origin).toEqual([0, 0, 0]);
    expect(p.tiles[11]!.origin).toEqual([32, 48, 32]);
    expect(p.tiles[centreTileIndex([96, 112, 96], p)]!.origin).toEqual([0, 24, 0]);
    expect(planTiles([10, 11, 12], { mode: 'whole' }).patch).toEqual([10, 11, 12]);
  });
});

describe('Gaussian importance weights', () => {
  const w = importanceMap([9, 9, 9], 'gaussian', 0.125);
  const at = (i: number, j: number, k: number): number => w[i + 9 * (j + 9 * k)]!;
  it('peak 1 at the centre, separable Gaussian with sigma = scale * patch, mirror symmetric, floored', () => {
    expect(at(4, 4, 4)).toBeCloseTo(1, 12);
    const s = 0.125 * 9;
    expect(at(6, 4, 4)).toBeCloseTo(Math.exp(-4 / (2 * s * s)), 6);
    expect(at(6, 5, 3)).toBeCloseTo(Math.exp(-(4 + 1 + 1) / (2 * s * s)), 6);
    expect(at(0, 0, 0)).toBe(at(8, 8, 8));
    expect(at(1, 2, 3)).toBe(at(7, 6, 5));
    expect(Math.min(...w)).toBeCloseTo(1e-3, 9); // corner weight exp(-48/2.53) < 1e-3 -> floor
  });
  it('constant blending is all ones', () => {
    expect(Array.from(importanceMap([3, 2, 2], 'constant'))).toEqual(new Array(12).fill(1));
  });
});

describe('patches', () => {
  const dims: [number, number, number] = [4, 3, 2];
  const src = Float32Array.from({ length: 24 }, (_, v) => v);
  it('gathers a window in kji order, pads with the fill value, and mirrors', () => {
    const p = gatherPatch([src], dims, [2, 1, 1], [3, 2, 1], 'kji', [false, false, false], -1);
    // voxel (i,j,k) = i + 4j + 12k; window i 2..4 (4 outside), j 1..2, k 1
    expect(Array.from(p)).toEqual([18, 19, -1, 22, 23, -1]);
    const f = gatherPatch([src], dims, [2, 1, 1], [3, 2, 1], 'kji', [true, false, false], -1);
    expect(Array.from(f)).toEqual([-1, 19, 18, -1, 23, 22]);
    const ijk = gatherPatch([src, null], dims, [0, 0, 0], [2, 1, 2], 'ijk', [false, false, false], 7);
    // [c][i][j][k]: (0,0,0)=0 (0,0,1)=12 (1,0,0)=1 (1,0,1)=13; missing channel = fill
    expect(Array.from(ijk)).toEqual([0, 12, 1, 13, 7, 7, 7, 7]);
  });
  it('maps tensor voxels back to grid indices under flips', () => {
    const map = patchGridIndex(dims, [2, 1, 1], [3, 2, 1], 'kji', [true, false, false]);
    expect(Array.from(map)).toEqual([-1, 19, 18, -1, 23, 22]);
  });
  it('lists every flip combination once, identity first', () => {
    expect(flipCombinations(['i', 'k'])).toEqual([[false, false, false], [true, false, false], [false, false, true], [true, false, true]]);
    expect(flipCombinations(['i', 'j', 'k'])).toHaveLength(8);
    expect(flipCombinations([])).toEqual([[false, false, false]]);
  });
});

describe('calibration and uncertainty maths', () => {
  it('temperature scaling softens the softmax', () => {
    const z = [2, 0];
    expect(softmax(z)[0]).toBeCloseTo(1 / (1 + Math.exp(-2)), 12);
    expect(softmax(z, 2)[0]).toBeCloseTo(1 / (1 + Math.exp(-1)), 12);
    expect(softmax([1000, 0])[0]).toBe(1); // stable
    expect(sigmoid(-800)).toBeGreaterThanOrEqual(0);
    expect(headProbabilities([0.5], 'sigmoid', 2, 0.5)).toEqual([1 - sigmoid(1), sigmoid(1)]);
    expect(headProbabilities([2, 6], 'probabilities', 2)).toEqual([0.25, 0.75]);
  });
  it('entropy in nats and normalised', () => {
    expect(entropy([0.5, 0.5])).toBeCloseTo(Math.LN2, 12);
    expect(entropy([1, 0, 0])).toBe(0);
    expect(normalisedEntropy([1 / 3, 1 / 3, 1 / 3])).toBeCloseTo(1, 12);
    expect(normalisedEntropy([0.9, 0.1])).toBeCloseTo(-(0.9 * Math.log(0.9) + 0.1 * Math.log(0.1)) / Math.LN2, 12);
  });
  it('variance and mutual information across passes', () => {
    expect(meanClassVariance([[0.8, 0.2], [0.8, 0.2]])).toBe(0);
    // class 0: values .9,.5 -> mean .7, var .04; class 1 same -> mean .04
    expect(meanClassVariance([[0.9, 0.1], [0.5, 0.5]])).toBeCloseTo(0.04, 12);
    expect(mutualInformation([[0.5, 0.5], [0.5, 0.5]])).toBeCloseTo(0, 12);
    // Two confident passes that disagree: predictive entropy ln 2, expected entropy 0 -> MI = ln 2.
    expect(mutualInformation([[1, 0], [0, 1]])).toBeCloseTo(Math.LN2, 12);
  });
});
