/**
 * Intensity normalisation of one channel on the model grid (NormalisationSpec in grid-spec.ts), in place:
 *  1. statistics mask M: 'head' = a head mask (head-mask.ts; toModelGrid passes the reference series' mask so every
 *     channel is normalised over the same anatomy, else the channel's own), 'nonzero' = voxels != 0,
 *     'all' = every voxel; always intersected with the channel's coverage (voxels inside its source field of view);
 *  2. clip every voxel to the [p_lo, p_hi] percentiles of M (when clipPercentiles is given);
 *  3. z-score with the mean and standard deviation of M (after clipping);
 *  4. voxels outside M ('head'/'nonzero') and outside coverage are set to 0, the usual convention of
 *     nnU-Net/BraTS preprocessing (background = 0 after normalisation).
 * method 'none' leaves the values and only zeroes uncovered voxels.
 */
import type { NormalisationSpec } from './grid-spec';
import { headMask, percentiles } from './head-mask';
import type { Vec3 } from './volume';

export interface NormalisationResult {
  /** The statistics mask used (1 = in M). */
  mask: Uint8Array;
  mean: number;
  std: number;
  /** Clip bounds actually applied (undefined when not clipped). */
  clip?: [number, number];
}

/**
 * Normalises `values` in place per the spec. `covered` marks voxels inside the source's field of view; `head` is a
 * precomputed head mask for mask 'head' (computed from this channel when absent).
 */
export function normaliseChannel(values: Float32Array, dims: Vec3, spec: NormalisationSpec, covered: Uint8Array, head?: Uint8Array): NormalisationResult {
  const n = values.length;
  let mask: Uint8Array;
  if (spec.mask === 'head') {
    if (head) {
      mask = new Uint8Array(n);
      for (let i = 0; i < n; i++) mask[i] = head[i]! & covered[i]!;
    } else mask = headMask(values, dims, { covered });
  } else if (spec.mask === 'nonzero') {
    mask = new Uint8Array(n);
    for (let i = 0; i < n; i++) mask[i] = covered[i] && values[i] !== 0 ? 1 : 0;
  } else mask = Uint8Array.from(covered);
  if (spec.method === 'none') {
    for (let i = 0; i < n; i++) if (!covered[i]) values[i] = 0;
    return { mask, mean: 0, std: 1 };
  }
  let clip: [number, number] | undefined;
  let lo = -Infinity, hi = Infinity;
  if (spec.clipPercentiles) {
    [lo, hi] = percentiles(values, spec.clipPercentiles, mask) as [number, number];
    clip = [lo, hi];
  }
  // One pass: clip every voxel and accumulate the masked sum.
  let sum = 0, count = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i]!;
    const c = v < lo ? lo : v > hi ? hi : v;
    values[i] = c;
    if (mask[i]) {
      sum += c;
      count++;
    }
  }
  const mean = count ? sum / count : 0;
  let ss = 0;
  for (let i = 0; i < n; i++) {
    if (mask[i]) {
      const d = values[i]! - mean;
      ss += d * d;
    }
  }
  const std = count > 1 ? Math.sqrt(ss / count) : 0;
  const inv = std > 1e-12 ? 1 / std : 0;
  const keepOutside = spec.mask === 'all';
  for (let i = 0; i < n; i++) {
    values[i] = covered[i] && (keepOutside || mask[i]) ? (values[i]! - mean) * inv : 0;
  }
  return { mask, mean, std, ...(clip ? { clip } : {}) };
}
