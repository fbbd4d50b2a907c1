/**
 * IBSI 1 morphological and intensity-based statistical features, computed on the model grid (isotropic, as IBSI
 * recommends), and an intensity-histogram entropy after fixed-bin-number discretisation. Pure functions.
 * Definitions and identifiers follow the IBSI reference manual (Zwanenburg et al., Radiology 2020;295:328-338;
 * arXiv 1612.07003); validated against the IBSI digital phantom in test/ai/radiomics.test.ts.
 */
import type { RadiomicFeature, RegionKey } from './findings';
import type { Vec3 } from '../imaging/volume';
import type { ModelRole } from '../series-id/roles';
import { marchingCubes, meshArea, meshVolume, type Mesh } from './marching-cubes';

export interface FeatureValue {
  name: string;
  ibsiId?: string;
  value: number;
  unit?: string;
}

/** Eigenvalues of a symmetric 3x3 matrix [a b c; b d e; c e f], descending (trigonometric closed form). */
export function symmetricEigenvalues3(a: number, b: number, c: number, d: number, e: number, f: number): [number, number, number] {
  const p1 = b * b + c * c + e * e;
  if (p1 === 0) return [a, d, f].sort((x, y) => y - x) as [number, number, number];
  const q = (a + d + f) / 3;
  const p2 = (a - q) ** 2 + (d - q) ** 2 + (f - q) ** 2 + 2 * p1;
  const p = Math.sqrt(p2 / 6);
  // B = (A - qI) / p; r = det(B) / 2
  const A = a - q;
  const D = d - q;
  const F = f - q;
  const det = (A * (D * F - e * e) - b * (b * F - e * c) + c * (b * e - D * c)) / p ** 3;
  const r = Math.max(-1, Math.min(1, det / 2));
  const phi = Math.acos(r) / 3;
  const l1 = q + 2 * p * Math.cos(phi);
  const l3 = q + 2 * p * Math.cos(phi + (2 * Math.PI) / 3);
  return [l1, 3 * q - l1 - l3, l3];
}

/** Largest distance between mesh vertices (IBSI L0JK); exact O(n²) up to 20k vertices, else over extreme points. */
export function maxDiameter(mesh: Mesh): number {
  const v = mesh.vertices;
  let idx = Array.from({ length: v.length / 3 }, (_, i) => i);
  if (idx.length > 20000) {
    // Keep the points extreme along many directions (they include the diametral pair's neighbourhood).
    const keep = new Set<number>();
    const dirs = 400;
    for (let n = 0; n < dirs; n++) {
      const z = 1 - (2 * (n + 0.5)) / dirs;
      const r = Math.sqrt(1 - z * z);
      const t = n * Math.PI * (3 - Math.sqrt(5));
      const [dx, dy, dz] = [r * Math.cos(t), r * Math.sin(t), z];
      let lo = 0;
      let hi = 0;
      let loV = Infinity;
      let hiV = -Infinity;
      for (const i of idx) {
        const s = v[3 * i]! * dx + v[3 * i + 1]! * dy + v[3 * i + 2]! * dz;
        if (s < loV) [loV, lo] = [s, i];
        if (s > hiV) [hiV, hi] = [s, i];
      }
      keep.add(lo).add(hi);
    }
    idx = [...keep];
  }
  let best = 0;
  for (let a = 0; a < idx.length; a++) {
    const i = 3 * idx[a]!;
    for (let b = a + 1; b < idx.length; b++) {
      const j = 3 * idx[b]!;
      const d = (v[i]! - v[j]!) ** 2 + (v[i + 1]! - v[j + 1]!) ** 2 + (v[i + 2]! - v[j + 2]!) ** 2;
      if (d > best) best = d;
    }
  }
  return Math.sqrt(best);
}

/** IBSI morphological features of a binary mask; `intensity` adds the centre of mass shift (KLMA). */
export function morphologicalFeatures(mask: Uint8Array, dims: Vec3, spacing: Vec3, intensity?: Float32Array): FeatureValue[] {
  const n = mask.reduce((s, x) => s + (x ? 1 : 0), 0);
  if (!n) return [];
  const mesh = marchingCubes(mask, dims, spacing);
  const V = meshVolume(mesh);
  const A = meshArea(mesh);
  const voxelVol = spacing[0] * spacing[1] * spacing[2];
  // Voxel-centre point set (mm) for PCA and centres of mass.
  let sx = 0, sy = 0, sz = 0, sxx = 0, syy = 0, szz = 0, sxy = 0, sxz = 0, syz = 0;
  let wsum = 0, wx = 0, wy = 0, wz = 0;
  for (let k = 0, v = 0; k < dims[2]; k++)
    for (let j = 0; j < dims[1]; j++)
      for (let i = 0; i < dims[0]; i++, v++) {
        if (!mask[v]) continue;
        const x = i * spacing[0];
        const y = j * spacing[1];
        const z = k * spacing[2];
        sx += x; sy += y; sz += z;
        sxx += x * x; syy += y * y; szz += z * z; sxy += x * y; sxz += x * z; syz += y * z;
        if (intensity) {
          const w = intensity[v]!;
          wsum += w; wx += w * x; wy += w * y; wz += w * z;
        }
      }
  const mx = sx / n, my = sy / n, mz = sz / n;
  // Sample covariance (1/(N-1)), which reproduces the IBSI phantom axis lengths.
  const cv = n > 1 ? n / (n - 1) : 1;
  const [l1, l2, l3] = symmetricEigenvalues3(
    cv * (sxx / n - mx * mx), cv * (sxy / n - mx * my), cv * (sxz / n - mx * mz),
    cv * (syy / n - my * my), cv * (syz / n - my * mz), cv * (szz / n - mz * mz),
  );
  const major = 4 * Math.sqrt(Math.max(l1, 0));
  const minor = 4 * Math.sqrt(Math.max(l2, 0));
  const least = 4 * Math.sqrt(Math.max(l3, 0));
  // Axis-aligned bounding box of the mesh vertices.
  const lo = [Infinity, Infinity, Infinity];
  const hi = [-Infinity, -Infinity, -Infinity];
  for (let t = 0; t < mesh.vertices.length; t += 3) {
    for (let a = 0; a < 3; a++) {
      lo[a] = Math.min(lo[a]!, mesh.vertices[t + a]!);
      hi[a] = Math.max(hi[a]!, mesh.vertices[t + a]!);
    }
  }
  const [ex, ey, ez] = [hi[0]! - lo[0]!, hi[1]! - lo[1]!, hi[2]! - lo[2]!];
  const comp2 = (36 * Math.PI * V * V) / A ** 3;
  const out: FeatureValue[] = [
    { name: 'volume_mesh', ibsiId: 'RNU0', value: V, unit: 'mm3' },
    { name: 'volume_voxel_counting', ibsiId: 'YEKZ', value: n * voxelVol, unit: 'mm3' },
    { name: 'surface_area_mesh', ibsiId: 'C0JK', value: A, unit: 'mm2' },
    { name: 'surface_to_volume_ratio', ibsiId: '2PR5', value: A / V, unit: '/mm' },
    { name: 'compactness_1', ibsiId: 'SKGS', value: V / (Math.sqrt(Math.PI) * A ** 1.5) },
    { name: 'compactness_2', ibsiId: 'BQWJ', value: comp2 },
    { name: 'spherical_disproportion', ibsiId: 'KRCK', value: A / Math.cbrt(36 * Math.PI * V * V) },
    { name: 'sphericity', ibsiId: 'QCFX', value: Math.cbrt(36 * Math.PI * V * V) / A },
    { name: 'asphericity', ibsiId: '25C7', value: Math.cbrt(A ** 3 / (36 * Math.PI * V * V)) - 1 },
    { name: 'maximum_3d_diameter', ibsiId: 'L0JK', value: maxDiameter(mesh), unit: 'mm' },
    { name: 'major_axis_length', ibsiId: 'TDIC', value: major, unit: 'mm' },
    { name: 'minor_axis_length', ibsiId: 'P9VJ', value: minor, unit: 'mm' },
    { name: 'least_axis_length', ibsiId: '7J51', value: least, unit: 'mm' },
    { name: 'elongation', ibsiId: 'Q3CK', value: l1 > 0 ? Math.sqrt(l2 / l1) : 1 },
    { name: 'flatness', ibsiId: 'N17B', value: l1 > 0 ? Math.sqrt(l3 / l1) : 1 },
    { name: 'volume_density_aabb', ibsiId: 'PBX1', value: V / (ex * ey * ez) },
    { name: 'area_density_aabb', ibsiId: 'R59B', value: A / (2 * (ex * ey + ex * ez + ey * ez)) },
  ];
  if (intensity && wsum !== 0) {
    out.push({ name: 'centre_of_mass_shift', ibsiId: 'KLMA', value: Math.hypot(mx - wx / wsum, my - wy / wsum, mz - wz / wsum), unit: 'mm' });
  }
  return out;
}

/** Percentile of sorted values, linear interpolation between closest ranks (numpy's default). */
export function percentile(sorted: ArrayLike<number>, q: number): number {
  const pos = ((sorted.length - 1) * q) / 100;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/** IBSI intensity-based statistical features of the ROI intensities. */
export function intensityFeatures(values: Float64Array | Float32Array): FeatureValue[] {
  const N = values.length;
  if (!N) return [];
  const x = Float64Array.from(values).sort();
  let s = 0;
  let s2 = 0;
  for (const v of x) {
    s += v;
    s2 += v * v;
  }
  const mu = s / N;
  let m2 = 0, m3 = 0, m4 = 0, mad = 0;
  for (const v of x) {
    const d = v - mu;
    m2 += d * d; m3 += d * d * d; m4 += d * d * d * d; mad += Math.abs(d);
  }
  m2 /= N; m3 /= N; m4 /= N;
  const median = percentile(x, 50);
  const p10 = percentile(x, 10);
  const p90 = percentile(x, 90);
  const p25 = percentile(x, 25);
  const p75 = percentile(x, 75);
  const mid = x.filter((v) => v >= p10 && v <= p90);
  const midMean = mid.reduce((a, b) => a + b, 0) / mid.length;
  const rmad = mid.reduce((a, v) => a + Math.abs(v - midMean), 0) / mid.length;
  const medad = x.reduce((a, v) => a + Math.abs(v - median), 0) / N;
  return [
    { name: 'mean', ibsiId: 'Q4LE', value: mu },
    { name: 'variance', ibsiId: 'ECT3', value: m2 },
    { name: 'skewness', ibsiId: 'KE2A', value: m2 > 0 ? m3 / m2 ** 1.5 : 0 },
    { name: 'excess_kurtosis', ibsiId: 'IPH6', value: m2 > 0 ? m4 / (m2 * m2) - 3 : 0 },
    { name: 'median', ibsiId: 'Y12H', value: median },
    { name: 'minimum', ibsiId: '1GSF', value: x[0]! },
    { name: 'percentile_10', ibsiId: 'QG58', value: p10 },
    { name: 'percentile_90', ibsiId: '8DWT', value: p90 },
    { name: 'maximum', ibsiId: '84IY', value: x[N - 1]! },
    { name: 'interquartile_range', ibsiId: 'SALO', value: p75 - p25 },
    { name: 'range', ibsiId: '2OJQ', value: x[N - 1]! - x[0]! },
    { name: 'mean_absolute_deviation', ibsiId: '4FUA', value: mad / N },
    { name: 'robust_mean_absolute_deviation', ibsiId: '1128', value: rmad },
    { name: 'median_absolute_deviation', ibsiId: 'N72L', value: medad },
    { name: 'coefficient_of_variation', ibsiId: '7TET', value: mu !== 0 ? Math.sqrt(m2) / mu : 0 },
    { name: 'quartile_coefficient_of_dispersion', ibsiId: '9S40', value: p75 + p25 !== 0 ? (p75 - p25) / (p75 + p25) : 0 },
    { name: 'energy', ibsiId: 'N8CA', value: s2 },
    { name: 'root_mean_square', ibsiId: '5ZWQ', value: Math.sqrt(s2 / N) },
  ];
}

/**
 * Discretised intensities (IBSI fixed bin number, 1..Ng) or fixed bin size (1 + floor((x - min) / width)).
 */
export function discretise(values: ArrayLike<number>, mode: { bins: number } | { width: number; min?: number }): Int32Array {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    lo = Math.min(lo, values[i]!);
    hi = Math.max(hi, values[i]!);
  }
  const out = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if ('bins' in mode) out[i] = hi > lo ? Math.min(mode.bins, Math.floor((mode.bins * (v - lo)) / (hi - lo)) + 1) : 1;
    else out[i] = Math.floor((v - (mode.min ?? lo)) / mode.width) + 1;
  }
  return out;
}

/** Intensity histogram entropy (IBSI TLU2, log2) and uniformity (BJ5W) of discretised intensities. */
export function histogramFeatures(levels: Int32Array): FeatureValue[] {
  const counts = new Map<number, number>();
  for (const l of levels) counts.set(l, (counts.get(l) ?? 0) + 1);
  let h = 0;
  let u = 0;
  for (const c of counts.values()) {
    const p = c / levels.length;
    h -= p * Math.log2(p);
    u += p * p;
  }
  return [
    { name: 'histogram_entropy', ibsiId: 'TLU2', value: h, unit: 'bits' },
    { name: 'histogram_uniformity', ibsiId: 'BJ5W', value: u },
  ];
}

export interface RadiomicsInput {
  dims: Vec3;
  spacing: Vec3;
  /** Label map on the grid (0 = background). */
  labels: Uint8Array;
  /** Regions and their label values. */
  regions: { key: RegionKey; labelValues: number[] }[];
  /** Normalised sequences on the same grid. */
  channels: Partial<Record<ModelRole, Float32Array>>;
  /** Discretisation for histogram features (IBSI fixed bin number; default 32). */
  bins?: number;
}

/** Shape features per region and first-order features per region and sequence, as Findings radiomics. */
export function regionRadiomics(input: RadiomicsInput): RadiomicFeature[] {
  const out: RadiomicFeature[] = [];
  for (const r of input.regions) {
    const mask = Uint8Array.from(input.labels, (l) => (r.labelValues.includes(l) ? 1 : 0));
    const n = mask.reduce((a, b) => a + b, 0);
    if (!n) continue;
    for (const f of morphologicalFeatures(mask, input.dims, input.spacing)) {
      out.push({ region: r.key, family: 'shape', name: f.name, value: f.value, ...(f.unit ? { unit: f.unit } : {}), ...(f.ibsiId ? { ibsiId: f.ibsiId } : {}) });
    }
    for (const [role, data] of Object.entries(input.channels) as [ModelRole, Float32Array][]) {
      if (!data) continue;
      const vals = new Float64Array(n);
      for (let v = 0, m = 0; v < mask.length; v++) if (mask[v]) vals[m++] = data[v]!;
      const feats = [...intensityFeatures(vals), ...histogramFeatures(discretise(vals, { bins: input.bins ?? 32 }))];
      for (const f of feats) {
        out.push({ region: r.key, sequence: role, family: 'firstorder', name: f.name, value: f.value, ...(f.unit ? { unit: f.unit } : {}), ...(f.ibsiId ? { ibsiId: f.ibsiId } : {}) });
      }
    }
  }
  return out;
}
