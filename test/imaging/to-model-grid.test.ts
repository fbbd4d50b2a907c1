/**
 * The preprocessing (toModelGrid) and the inverse mapping, on a 4-series study written as DICOM from ch2 anatomy in
 * different planes and resolutions and read back through buildSeriesVolume:
 *  - co-registration by patient coordinates: every channel matches ch2 resampled directly onto the model grid;
 *  - grid geometry per GridSpec (RAS/LPS/reference-series, head-centroid/volume-centre);
 *  - head mask contains the brain (mricron ch2bet) and excludes the background;
 *  - z-score statistics inside the mask, clipping, coverage, Frame of Reference warnings, errors;
 *  - inverse mapping of labels/probabilities back onto native slices (also non-uniform stacks) vs analytic truth.
 */
import { writeSeries } from '../../src/synth/series-writer';
import { applyAffine } from '../../src/imaging/affine';
import { buildSeriesVolume } from '../../src/imaging/build-volume';
import type { GridSpec, NormalisationSpec } from '../../src/imaging/grid-spec';
import { headMask } from '../../src/imaging/head-mask';
import { argmaxToSeries, labelsToSeries, probabilitiesToSeries, seriesTargetGrid } from '../../src/imaging/inverse-map';
import { maskCentroid } from '../../src/imaging/model-grid';
import { readNifti } from '../../src/imaging/nifti';
import { resampleLinear, type TargetGrid } from '../../src/imaging/resample';
import { toModelGrid, type ModelGridCase } from '../../src/imaging/to-model-grid';
import type { SeriesVolume, Vec3 } from '../../src/imaging/volume';
import { VolumeBuildError } from '../../src/imaging/volume-errors';
import type { ModelRole } from '../../src/series-id/roles';
import { AXIAL, CORONAL, SAGITTAL, ch2, ch2Series, rotatePlane, type ScanPlan } from './helpers/ch2-series';

const FOR = '1.2.826.0.1.3680043.10.1453.77.1';
const PLANS: Record<ModelRole, ScanPlan> = {
  t1: { ...AXIAL, spacing: [1.5, 1.5, 2], dims: [120, 144, 90] },
  t1ce: { ...rotatePlane(AXIAL, 12, 0, -6), spacing: [1.2, 1.2, 3], dims: [150, 175, 56] },
  t2: { ...SAGITTAL, spacing: [1.1, 1.1, 4], dims: [200, 170, 42], gain: 3 },
  flair: { ...rotatePlane(CORONAL, 0, 8, 0), spacing: [1.3, 1.3, 5], dims: [140, 140, 44], gain: 2 },
};
const GRID: GridSpec = { spacing: [2, 2, 2], size: [96, 108, 96], orientation: 'RAS', centre: 'head-centroid' };
const ZSCORE: NormalisationSpec = { method: 'zscore', clipPercentiles: [0.5, 99.5], mask: 'head' };

let volumes: Record<ModelRole, SeriesVolume>;

beforeAll(async () => {
  const entries = await Promise.all(
    (Object.keys(PLANS) as ModelRole[]).map(async (role) => {
      const w = await writeSeries(ch2Series(PLANS[role]), { FrameOfReferenceUID: FOR, SeriesDescription: role }, { seed: `mg-${role}` });
      return [role, await buildSeriesVolume(w.instances.map((i) => i.buffer))] as const;
    }),
  );
  volumes = Object.fromEntries(entries.map(([r, b]) => [r, b.volume])) as Record<ModelRole, SeriesVolume>;
});

function corr(a: ArrayLike<number>, b: ArrayLike<number>, use: (i: number) => boolean): number {
  let n = 0, sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
  for (let i = 0; i < a.length; i++) {
    if (!use(i)) continue;
    const x = a[i]!, y = b[i]!;
    n++;
    sa += x;
    sb += y;
    saa += x * x;
    sbb += y * y;
    sab += x * y;
  }
  return (sab - (sa * sb) / n) / Math.sqrt((saa - (sa * sa) / n) * (sbb - (sb * sb) / n));
}

function dice(a: Uint8Array, b: Uint8Array): number {
  let inter = 0, na = 0, nb = 0;
  for (let i = 0; i < a.length; i++) {
    if (a[i]) na++;
    if (b[i]) nb++;
    if (a[i] && b[i]) inter++;
  }
  return (2 * inter) / (na + nb);
}

let mg: ModelGridCase;
beforeAll(() => {
  mg = toModelGrid(volumes, 't1ce', GRID, ZSCORE);
});

describe('toModelGrid', () => {

  it('builds the RAS grid of the spec around the head centroid', () => {
    expect(mg.dims).toEqual([96, 108, 96]);
    expect(Array.from(mg.affine.slice(0, 12), (v, i) => (i % 4 === 3 ? 0 : v + 0))).toEqual([-2, 0, 0, 0, 0, -2, 0, 0, 0, 0, 2, 0]);
    const centre = applyAffine(mg.affine, [47.5, 53.5, 47.5]);
    const c = maskCentroid(mg.headMask, mg)!;
    // The grid centre is the reference head centroid (computed on a 3 mm copy): within a few mm of the fine one.
    expect(Math.hypot(centre[0] - c[0], centre[1] - c[1], centre[2] - c[2])).toBeLessThan(4);
    expect(mg.referenceRole).toBe('t1ce');
    expect(mg.frameOfReferenceUid).toBe(FOR);
    expect(mg.warnings).toEqual([]);
  });

  it('co-registers every series by patient coordinates: each channel matches ch2 resampled straight onto the grid', () => {
    const raw = toModelGrid(volumes, 't1ce', GRID, { method: 'none', mask: 'all' });
    const truth = resampleLinear(ch2(), mg, { fill: 0 });
    const lines: string[] = [];
    for (const role of Object.keys(PLANS) as ModelRole[]) {
      const ch = raw.channels[role]!;
      const cov = raw.coverage[role]!;
      const r = corr(ch, truth, (i) => cov[i] === 1 && mg.headMask[i] === 1);
      lines.push(`${role}: r=${r.toFixed(4)} coverage=${raw.stats[role]!.coverage.toFixed(3)}`);
      // Thick slices blur along their normal; the correlation stays high only if the geometry is right.
      expect(r).toBeGreaterThan(0.9);
    }
    console.log(`model-grid channels vs ch2 on the grid: ${lines.join('; ')}`);
  });

  it('z-scores inside the head mask: reference mean 0 / std 1 in its mask, background 0, values clipped', () => {
    const ref = mg.channels.t1ce!;
    const st = mg.stats.t1ce!;
    expect(st.clip).toBeDefined();
    let n = 0, s = 0, ss = 0, bg = 0;
    for (let i = 0; i < ref.length; i++) {
      if (mg.headMask[i]) {
        n++;
        s += ref[i]!;
        ss += ref[i]! * ref[i]!;
      } else if (ref[i] !== 0) bg++;
    }
    expect(Math.abs(s / n)).toBeLessThan(1e-3);
    expect(Math.abs(Math.sqrt(ss / n - (s / n) ** 2) - 1)).toBeLessThan(1e-3);
    expect(bg).toBe(0);
    const hi = (st.clip![1] - st.mean) / st.std;
    let max = -Infinity;
    for (let i = 0; i < ref.length; i++) max = Math.max(max, ref[i]!);
    expect(max).toBeLessThanOrEqual(hi + 1e-4);
    // Every channel is normalised over the same (reference) head mask: mean 0 there, 0 outside.
    for (const role of ['t1', 't2', 'flair'] as ModelRole[]) {
      const ch = mg.channels[role]!;
      const cov = mg.coverage[role]!;
      let m = 0, c = 0, outside = 0;
      for (let i = 0; i < ch.length; i++) {
        if (mg.headMask[i] && cov[i]) {
          m += ch[i]!;
          c++;
        } else if (ch[i] !== 0) outside++;
      }
      expect(Math.abs(m / c)).toBeLessThan(1e-3);
      expect(outside).toBe(0);
    }
  });

  it('the head mask holds the brain (mricron ch2bet) and leaves most of the background out', () => {
    const bet = readNifti('/usr/share/mricron/templates/ch2bet.nii.gz');
    const brain = resampleLinear(bet, mg, { fill: 0 });
    const head = resampleLinear(ch2(), mg, { fill: 0 });
    let nBrain = 0, inMask = 0, nMask = 0, air = 0;
    const cov = mg.coverage.t1ce!;
    for (let i = 0; i < brain.length; i++) {
      if (brain[i]! > 0 && cov[i]) {
        nBrain++;
        if (mg.headMask[i]) inMask++;
      }
      if (mg.headMask[i]) {
        nMask++;
        if (head[i]! < 1) air++;
      }
    }
    const ml = (nMask * 2 ** 3) / 1000;
    console.log(`head mask ${ml.toFixed(0)} mL, brain inside ${((100 * inMask) / nBrain).toFixed(2)} %, air in mask ${((100 * air) / nMask).toFixed(2)} %`);
    expect(inMask / nBrain).toBeGreaterThan(0.99);
    expect(air / nMask).toBeLessThan(0.02);
    expect(ml).toBeGreaterThan(1500);
    expect(ml).toBeLessThan(6000);
  });

  it('LPS / reference-series orientations, volume-centre, and the reference series native grid', () => {
    const small: GridSpec = { ...GRID, spacing: [3, 3, 3], size: [64, 72, 64] };
    const lps = toModelGrid({ t1: volumes.t1 }, 't1', { ...small, orientation: 'LPS', centre: 'volume-centre' }, ZSCORE);
    expect(lps.affine[0]).toBe(3);
    expect(lps.affine[5]).toBe(3);
    const c = applyAffine(lps.affine, [31.5, 35.5, 31.5]);
    const vc = applyAffine(volumes.t1.affine, [(120 - 1) / 2, (144 - 1) / 2, (90 - 1) / 2]);
    c.forEach((v, i) => expect(v).toBeCloseTo(vc[i]!, 6));
    const ref = toModelGrid({ t1ce: volumes.t1ce }, 't1ce', { ...small, orientation: 'reference-series' }, ZSCORE);
    for (const a of [0, 1]) for (let r = 0; r < 3; r++) expect(ref.affine[r * 4 + a]! / 3).toBeCloseTo(volumes.t1ce.affine[r * 4 + a]! / 1.2, 9);
    const nat = toModelGrid({ t1ce: volumes.t1ce, t2: volumes.t2 }, 't1ce', 'reference-native', ZSCORE);
    expect(nat.dims).toEqual(volumes.t1ce.dims);
    expect(Array.from(nat.affine)).toEqual(Array.from(volumes.t1ce.affine));
  });

  it('warns when series do not share a Frame of Reference, and refuses a missing reference role', () => {
    const other = { ...volumes.t2, frameOfReferenceUid: '1.2.3.999' };
    const mg2 = toModelGrid({ t1ce: volumes.t1ce, t2: other }, 't1ce', { ...GRID, spacing: [3, 3, 3], size: [64, 72, 64] }, ZSCORE);
    expect(mg2.warnings.map((w) => w.code)).toEqual(['frame-of-reference-differs']);
    expect(mg2.warnings[0]!.message).toContain('t2');
    expect(() => toModelGrid({ t1: volumes.t1 }, 't1ce', GRID, ZSCORE)).toThrow(VolumeBuildError);
    expect(() => toModelGrid({ t1: volumes.t1 }, 't1', { ...GRID, size: [0, 10, 10] }, ZSCORE)).toThrow(/size/);
  });
});

describe('inverse mapping onto native slices', () => {
  const centre: Vec3 = [15, -10, 20];
  const radius = 18;
  const dist = (p: Vec3): number => Math.hypot(p[0] - centre[0], p[1] - centre[1], p[2] - centre[2]);
  const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

  /** f at every voxel centre of a grid (per-slice origins honoured); one reused point, no per-voxel allocation. */
  function field(grid: TargetGrid, f: (p: Vec3) => number): Float32Array {
    const [nx, ny, nz] = grid.dims;
    const a = grid.affine;
    const out = new Float32Array(nx * ny * nz);
    const p: Vec3 = [0, 0, 0];
    let o = 0;
    for (let k = 0; k < nz; k++) {
      const base = grid.sliceOrigins?.[k] ?? ([a[2]! * k + a[3]!, a[6]! * k + a[7]!, a[10]! * k + a[11]!] as Vec3);
      for (let j = 0; j < ny; j++) {
        for (let i = 0; i < nx; i++) {
          p[0] = base[0] + a[0]! * i + a[1]! * j;
          p[1] = base[1] + a[4]! * i + a[5]! * j;
          p[2] = base[2] + a[8]! * i + a[9]! * j;
          out[o++] = f(p);
        }
      }
    }
    return out;
  }

  it('labels (nearest), probabilities (trilinear) and argmax land on the native T1 slices where the truth is', () => {
    const pTumour = field(mg, (p) => sigmoid((radius - dist(p)) / 1.5));
    const labels = Uint8Array.from(pTumour, (p) => (p > 0.5 ? 1 : 0));
    const target = seriesTargetGrid(volumes.t1);
    const truthP = field(target, (p) => sigmoid((radius - dist(p)) / 1.5));
    const truth = Uint8Array.from(truthP, (p) => (p > 0.5 ? 1 : 0));
    const nearest = labelsToSeries(labels, mg, target);
    const argmax = argmaxToSeries([Float32Array.from(pTumour, (p) => 1 - p), pTumour], mg, target);
    const [probs] = probabilitiesToSeries([pTumour], mg, target);
    let maxErr = 0;
    for (let i = 0; i < truthP.length; i++) maxErr = Math.max(maxErr, Math.abs(probs![i]! - truthP[i]!));
    const dn = dice(nearest, truth), da = dice(argmax, truth);
    console.log(`inverse mapping onto T1 (1.5x1.5x2 mm) from the 2 mm grid: Dice nearest ${dn.toFixed(4)}, argmax ${da.toFixed(4)}, max |p - p_true| ${maxErr.toFixed(3)}`);
    expect(dn).toBeGreaterThan(0.95);
    expect(da).toBeGreaterThan(0.97);
    expect(da).toBeGreaterThanOrEqual(dn);
    expect(maxErr).toBeLessThan(0.1);
    expect(nearest.length).toBe(120 * 144 * 90);
  });

  it('targets the original slice planes of a non-uniform stack (one result slice per source instance)', async () => {
    const lin = ch2Series({ ...AXIAL, spacing: [2, 2, 1], dims: [90, 100, 60] });
    const all = (await writeSeries(lin, { FrameOfReferenceUID: FOR }, { seed: 'nonuni' })).instances.map((i) => i.buffer);
    const keep = [0, 2, 5, 7, 10, 12, 15, 17, 20, 22, 25, 27, 30, 32, 35, 37, 40, 42, 45, 47, 50, 52, 55, 57];
    const b = await buildSeriesVolume(keep.map((k) => all[k]!));
    expect(b.sourcePositions).toHaveLength(keep.length);
    const target = seriesTargetGrid(b.volume, b.sourcePositions);
    expect(target.dims[2]).toBe(keep.length);
    const g = toModelGrid({ t1: b.volume }, 't1', { ...GRID, centre: 'volume-centre' }, ZSCORE);
    const gridLabels = Uint8Array.from(field(g, (p) => (dist(p) < radius ? 1 : 0)));
    const onSlices = labelsToSeries(gridLabels, g, target);
    const truth = Uint8Array.from(field(target, (p) => (dist(p) < radius ? 1 : 0)));
    expect(dice(onSlices, truth)).toBeGreaterThan(0.93);
  });

  it('refuses result arrays that do not match the grid', () => {
    const small = { dims: [4, 4, 4] as Vec3, affine: volumes.t1.affine };
    expect(() => labelsToSeries(new Uint8Array(10), small, seriesTargetGrid(volumes.t1))).toThrow(/label map has 10 voxels/);
  });
});

describe('head mask building blocks', () => {
  it('fills an enclosed cavity and drops a detached speck', () => {
    const dims: Vec3 = [30, 30, 30];
    const v = new Float32Array(27000);
    for (let k = 0; k < 30; k++) for (let j = 0; j < 30; j++) for (let i = 0; i < 30; i++) {
      const r = Math.hypot(i - 15, j - 15, k - 15);
      // Shell (bright) with a dark core (like ventricles) and a bright speck far away.
      v[i + 30 * (j + 30 * k)] = r < 10 && r > 4 ? 100 : 0;
    }
    v[1 + 30 * (1 + 30 * 1)] = 100;
    const m = headMask(v, dims);
    expect(m[15 + 30 * (15 + 30 * 15)]).toBe(1);
    expect(m[1 + 30 * (1 + 30 * 1)]).toBe(0);
    expect(m[0]).toBe(0);
  });
});
