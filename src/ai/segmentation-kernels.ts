/**
 * Inner loops of sliding-window accumulation, kept small and monomorphic so V8 optimises them (they run once per
 * voxel per window per TTA pass: 25 M visits for a 96x112x96 grid, 12 windows, 8 flips).
 *
 * 'logits' averaging: acc[c][g] += w * z (no exp per visit; nnU-Net v2 does the same), one activation at the end.
 * 'probabilities' averaging: acc[c][g] += w * p with p = softmax/sigmoid per visit, plus w * H(p) for the
 * expected entropy. Math.exp/log dominate this path (~150 ns/voxel for 4 classes vs ~30 ns for logits).
 */

export type KernelMode = 'softmax' | 'sigmoid' | 'identity';

/** acc is channel-major (c * nvox + g); base[c] = offset of channel c in the model output. */
export function accumulateLogits(
  o: Float32Array, P: number, base: Int32Array, map: Int32Array, weights: Float32Array,
  acc: Float32Array, nvox: number, wsum: Float32Array,
): void {
  for (let c = 0; c < base.length; c++) {
    const b = base[c]!;
    const off = c * nvox;
    for (let v = 0; v < P; v++) {
      const g = map[v]!;
      if (g >= 0) acc[off + g] = acc[off + g]! + weights[v]! * o[b + v]!;
    }
  }
  for (let v = 0; v < P; v++) {
    const g = map[v]!;
    if (g >= 0) wsum[g] = wsum[g]! + weights[v]!;
  }
}

/**
 * accumulateLogits for the node's own memory order ('kji'): walks the window row by row, so grid indices are
 * computed once per row (no per-voxel index map), mirrored along any axis.
 */
export function accumulateLogitsRows(
  o: Float32Array, patch: readonly [number, number, number], dims: readonly [number, number, number],
  origin: readonly [number, number, number], flips: readonly [boolean, boolean, boolean],
  base: Int32Array, weights: Float32Array, acc: Float32Array, nvox: number, wsum: Float32Array,
): void {
  const [pi, pj, pk] = patch;
  const [nx, ny, nz] = dims;
  // Valid i range of the window (tensor index i -> grid column origin + i, or origin + pi - 1 - i when mirrored).
  let ia = 0;
  let ib = pi;
  if (!flips[0]) {
    ia = Math.max(0, -origin[0]);
    ib = Math.min(pi, nx - origin[0]);
  } else {
    ia = Math.max(0, origin[0] + pi - nx);
    ib = Math.min(pi, origin[0] + pi);
  }
  if (ib <= ia) return;
  const K = base.length;
  for (let k = 0; k < pk; k++) {
    const gk = origin[2] + (flips[2] ? pk - 1 - k : k);
    if (gk < 0 || gk >= nz) continue;
    for (let j = 0; j < pj; j++) {
      const gj = origin[1] + (flips[1] ? pj - 1 - j : j);
      if (gj < 0 || gj >= ny) continue;
      const rowT = (k * pj + j) * pi;
      const gRow = (gk * ny + gj) * nx;
      if (!flips[0]) {
        const g0 = gRow + origin[0];
        for (let c = 0; c < K; c++) {
          const b = base[c]! + rowT;
          const off = c * nvox + g0;
          for (let i = ia; i < ib; i++) acc[off + i] = acc[off + i]! + weights[rowT + i]! * o[b + i]!;
        }
        for (let i = ia; i < ib; i++) wsum[g0 + i] = wsum[g0 + i]! + weights[rowT + i]!;
      } else {
        const g0 = gRow + origin[0] + pi - 1;
        for (let c = 0; c < K; c++) {
          const b = base[c]! + rowT;
          const off = c * nvox + g0;
          for (let i = ia; i < ib; i++) acc[off - i] = acc[off - i]! + weights[rowT + i]! * o[b + i]!;
        }
        for (let i = ia; i < ib; i++) wsum[g0 - i] = wsum[g0 - i]! + weights[rowT + i]!;
      }
    }
  }
}

/**
 * Voxels of the window whose largest logit is not the background class, counted on every `stride`-th voxel
 * (the count only weights windows against each other) and, with a map, only inside the grid.
 */
export function countNonBackground(o: Float32Array, P: number, base: Int32Array, map: Int32Array | undefined, bg: number, stride = 1): number {
  let n = 0;
  const bb = base[bg]!;
  for (let v = 0; v < P; v += stride) {
    if (map && map[v]! < 0) continue;
    const zb = o[bb + v]!;
    for (let c = 0; c < base.length; c++) {
      if (c !== bg && o[base[c]! + v]! > zb) {
        n++;
        break;
      }
    }
  }
  return n;
}

/** Voxels of the window whose logit in channel offset b is positive (sigmoid > 0.5). */
export function countAboveZero(o: Float32Array, P: number, b: number, map: Int32Array): number {
  let n = 0;
  for (let v = 0; v < P; v++) if (map[v]! >= 0 && o[b + v]! > 0) n++;
  return n;
}

/** Per-visit activation; returns the window's tumour probability mass (1 - P(bg), or P(WT) for regions). */
export function accumulateProbabilities(
  o: Float32Array, P: number, base: Int32Array, map: Int32Array, weights: Float32Array,
  acc: Float32Array, nvox: number, accH: Float32Array, wsum: Float32Array,
  invT: number, mode: KernelMode, tumourChannel: number, labels: boolean,
): number {
  const K = base.length;
  const tmp = new Float64Array(K);
  let mass = 0;
  for (let v = 0; v < P; v++) {
    const g = map[v]!;
    if (g < 0) continue;
    const w = weights[v]!;
    let h = 0;
    if (mode === 'softmax') {
      let max = -Infinity;
      for (let c = 0; c < K; c++) {
        const z = o[base[c]! + v]! * invT;
        tmp[c] = z;
        if (z > max) max = z;
      }
      let s = 0;
      for (let c = 0; c < K; c++) {
        const e = Math.exp(tmp[c]! - max);
        tmp[c] = e;
        s += e;
      }
      for (let c = 0; c < K; c++) tmp[c] = tmp[c]! / s;
    } else if (mode === 'sigmoid') {
      for (let c = 0; c < K; c++) tmp[c] = 1 / (1 + Math.exp(-o[base[c]! + v]! * invT));
    } else {
      for (let c = 0; c < K; c++) tmp[c] = o[base[c]! + v]!;
    }
    for (let c = 0; c < K; c++) {
      const p = tmp[c]!;
      if (labels) {
        if (p > 0) h -= p * Math.log(p);
      } else if (p > 0 && p < 1) {
        h -= (p * Math.log(p) + (1 - p) * Math.log(1 - p)) / K;
      }
      acc[c * nvox + g] = acc[c * nvox + g]! + w * p;
    }
    mass += labels ? 1 - tmp[tumourChannel]! : tmp[tumourChannel]!;
    accH[g] = accH[g]! + w * h;
    wsum[g] = wsum[g]! + w;
  }
  return mass;
}

/**
 * Weighted mean logits -> probabilities per channel (softmax over channels, or sigmoid per channel). For softmax
 * also the entropy of each voxel's distribution in nats, from the logits: H = log s - sum_c p_c (z_c - max),
 * with s = sum_c exp(z_c - max): K exps and one log per voxel.
 */
export function meanLogitsToProbabilities(
  acc: Float32Array, wsum: Float32Array, nvox: number, K: number, mode: KernelMode, invT: number,
): { probabilities: Float32Array[]; entropy?: Float32Array } {
  const out = Array.from({ length: K }, () => new Float32Array(nvox));
  const entropy = mode === 'softmax' ? new Float32Array(nvox) : undefined;
  const z = new Float64Array(K);
  const e = new Float64Array(K);
  for (let v = 0; v < nvox; v++) {
    const w = wsum[v]!;
    if (!(w > 0)) continue;
    if (mode === 'softmax') {
      let max = -Infinity;
      for (let c = 0; c < K; c++) {
        z[c] = (acc[c * nvox + v]! / w) * invT;
        if (z[c]! > max) max = z[c]!;
      }
      let s = 0;
      for (let c = 0; c < K; c++) {
        e[c] = Math.exp(z[c]! - max);
        s += e[c]!;
      }
      const inv = 1 / s;
      let pz = 0;
      for (let c = 0; c < K; c++) {
        const p = e[c]! * inv;
        out[c]![v] = p;
        pz += p * (z[c]! - max);
      }
      entropy![v] = Math.max(0, Math.log(s) - pz);
    } else if (mode === 'sigmoid') {
      for (let c = 0; c < K; c++) out[c]![v] = 1 / (1 + Math.exp(-(acc[c * nvox + v]! / w) * invT));
    } else {
      for (let c = 0; c < K; c++) out[c]![v] = acc[c * nvox + v]! / w;
    }
  }
  return { probabilities: out, ...(entropy ? { entropy } : {}) };
}

/** Weighted mean probabilities per channel. */
export function splitMeans(acc: Float32Array, wsum: Float32Array, nvox: number, K: number): Float32Array[] {
  const out = Array.from({ length: K }, () => new Float32Array(nvox));
  for (let c = 0; c < K; c++) {
    const o = out[c]!;
    for (let v = 0; v < nvox; v++) {
      const w = wsum[v]!;
      if (w > 0) o[v] = acc[c * nvox + v]! / w;
    }
  }
  return out;
}
