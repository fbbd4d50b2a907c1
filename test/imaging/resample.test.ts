/**
 * World-space resampling: exactness properties (identity, axis flips, integer shifts, linear functions under
 * oblique rotations), edge handling, per-slice origins, and agreement with an independent trilinear implementation
 * (PyTorch grid_sample from Debian python3-torch) on random data and a random oblique mapping.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { affineFromAxes, applyAffine, invertAffine, multiply4 } from '../../src/imaging/affine';
import { resampleLinear, resampleNearest } from '../../src/imaging/resample';
import type { Vec3, Volume } from '../../src/imaging/volume';
import { AXIAL, rotatePlane } from './helpers/ch2-series';
import { tempDir } from './helpers/dcm2niix';

function cross(a: Vec3, b: Vec3): Vec3 {
  return [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
}

function obliqueAffine(ax: number, ay: number, az: number, spacing: Vec3, origin: Vec3): Float64Array {
  const p = rotatePlane(AXIAL, ax, ay, az);
  return affineFromAxes([p.row, p.col, cross(p.row, p.col)], spacing, origin);
}

/** Deterministic pseudo-random numbers (LCG). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

function randomVolume(dims: Vec3, affine: Float64Array, seed: number): Volume<Float32Array> {
  const r = rng(seed);
  return { dims, spacing: [1, 1, 1], affine, data: Float32Array.from({ length: dims[0] * dims[1] * dims[2] }, () => r() * 1000) };
}

describe('resampling exactness', () => {
  const src = randomVolume([20, 17, 9], obliqueAffine(20, -10, 35, [1.1, 0.9, 2.3], [-10, 5, 30]), 7);

  it('identity grid reproduces the source exactly (linear and nearest)', () => {
    expect(resampleLinear(src, src)).toEqual(src.data);
    const lab = { ...src, data: Int16Array.from(src.data, (v) => Math.round(v)) };
    expect(resampleNearest(lab, src)).toEqual(lab.data);
  });

  it('a grid with reversed axes gives the mirrored array; an integer voxel shift gives the shifted array', () => {
    const [nx, ny, nz] = src.dims;
    // Reverse i and k: voxel (i,j,k) of the target is voxel (nx-1-i, j, nz-1-k) of the source.
    const flip = new Float64Array([-1, 0, 0, nx - 1, 0, 1, 0, 0, 0, 0, -1, nz - 1, 0, 0, 0, 1]);
    const out = resampleLinear(src, { dims: src.dims, affine: multiply4(src.affine, flip) });
    for (let k = 0; k < nz; k++) for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++) {
      expect(out[i + nx * (j + ny * k)]).toBe(src.data[nx - 1 - i + nx * (j + ny * (nz - 1 - k))]);
    }
    const shift = new Float64Array([1, 0, 0, 2, 0, 1, 0, 1, 0, 0, 1, 1, 0, 0, 0, 1]);
    const sh = resampleLinear(src, { dims: src.dims, affine: multiply4(src.affine, shift) }, { fill: -1 });
    expect(sh[0]).toBe(src.data[2 + nx * 1 + nx * ny * 1]);
    expect(sh[3 + nx * 4 + nx * ny * 2]).toBe(src.data[5 + nx * 5 + nx * ny * 3]);
    expect(sh[nx * 0 + 0 + nx * ny * (nz - 1)]).toBe(-1); // k + 1 = nz: outside
  });

  it('reproduces a linear function of position under an oblique rotation (interior voxels)', () => {
    const f = (p: Vec3): number => 3 * p[0] - 2 * p[1] + 0.5 * p[2] + 7;
    const dims: Vec3 = [30, 28, 20];
    const a = obliqueAffine(-15, 25, 10, [1.3, 1.1, 1.7], [-20, -15, -16]);
    const lin: Volume<Float32Array> = { dims, spacing: [1, 1, 1], affine: a, data: new Float32Array(dims[0] * dims[1] * dims[2]) };
    let o = 0;
    for (let k = 0; k < dims[2]; k++) for (let j = 0; j < dims[1]; j++) for (let i = 0; i < dims[0]; i++) lin.data[o++] = f(applyAffine(a, [i, j, k]));
    const tgt = { dims: [24, 24, 24] as Vec3, affine: obliqueAffine(5, -5, 50, [0.8, 0.8, 0.8], [-8, -9, -7]) };
    const out = resampleLinear(lin, tgt, { fill: NaN });
    const toSrc = multiply4(invertAffine(a), tgt.affine);
    let checked = 0, maxErr = 0;
    o = 0;
    for (let k = 0; k < 24; k++) for (let j = 0; j < 24; j++) for (let i = 0; i < 24; i++, o++) {
      const s = applyAffine(toSrc, [i, j, k]);
      if (s.every((v, ax) => v >= 0 && v <= dims[ax]! - 1)) {
        maxErr = Math.max(maxErr, Math.abs(out[o]! - f(applyAffine(tgt.affine, [i, j, k]))));
        checked++;
      } else if (s.some((v, ax) => v < -0.5 || v > dims[ax]! - 0.5)) {
        expect(out[o]).toBeNaN();
      }
    }
    expect(checked).toBeGreaterThan(5000);
    expect(maxErr).toBeLessThan(2e-3);
  });

  it('per-slice origins place each target slice where given', () => {
    const origins: Vec3[] = Array.from({ length: 4 }, (_, k) => applyAffine(src.affine, [0, 0, [0, 3, 4, 8][k]!]));
    const out = resampleLinear(src, { dims: [src.dims[0], src.dims[1], 4], affine: src.affine, sliceOrigins: origins });
    const plane = src.dims[0] * src.dims[1];
    [0, 3, 4, 8].forEach((sk, k) => expect(out.subarray(k * plane, (k + 1) * plane)).toEqual(src.data.subarray(sk * plane, (sk + 1) * plane)));
  });
});

describe('agreement with PyTorch grid_sample (independent trilinear)', () => {
  it('matches to 1e-3 on random data and a random oblique mapping (interior samples)', () => {
    const work = tempDir('resample-torch-');
    try {
      const dims: Vec3 = [23, 19, 15];
      const src = randomVolume(dims, obliqueAffine(11, 33, -21, [1.2, 0.7, 1.9], [-12, -7, -14]), 11);
      const tgt = { dims: [26, 22, 18] as Vec3, affine: obliqueAffine(-31, 8, 17, [0.9, 1.0, 1.1], [-11, -10, -9]) };
      const ours = resampleLinear(src, tgt, { fill: NaN });
      const m = multiply4(invertAffine(src.affine), tgt.affine);
      writeFileSync(join(work, 'src.f32'), Buffer.from(src.data.buffer));
      writeFileSync(join(work, 'm.json'), JSON.stringify({ m: Array.from(m), src: dims, tgt: tgt.dims }));
      const py = `
import json, numpy as np, torch, sys
w = sys.argv[1]
cfg = json.load(open(w + '/m.json'))
nx, ny, nz = cfg['src']; tx, ty, tz = cfg['tgt']
m = np.array(cfg['m'], dtype=np.float64).reshape(4, 4)
vol = np.fromfile(w + '/src.f32', dtype=np.float32).reshape(nz, ny, nx)
k, j, i = np.meshgrid(np.arange(tz), np.arange(ty), np.arange(tx), indexing='ij')
pts = np.stack([i, j, k, np.ones_like(i)], -1).reshape(-1, 4).astype(np.float64) @ m.T
x, y, z = pts[:, 0], pts[:, 1], pts[:, 2]
g = np.stack([2 * x / (nx - 1) - 1, 2 * y / (ny - 1) - 1, 2 * z / (nz - 1) - 1], -1).reshape(1, tz, ty, tx, 3)
out = torch.nn.functional.grid_sample(torch.from_numpy(vol)[None, None].double(), torch.from_numpy(g), mode='bilinear', align_corners=True, padding_mode='zeros')
inside = (x >= 0) & (x <= nx - 1) & (y >= 0) & (y <= ny - 1) & (z >= 0) & (z <= nz - 1)
res = np.where(inside, out.numpy().reshape(-1), np.nan).astype(np.float32)
res.tofile(w + '/torch.f32')
`;
      writeFileSync(join(work, 'gs.py'), py);
      execFileSync('/usr/bin/python3', [join(work, 'gs.py'), work], { stdio: 'pipe', timeout: 120000, env: { ...process.env, OMP_NUM_THREADS: '1' } });
      const b = readFileSync(join(work, 'torch.f32'));
      const theirs = new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
      let compared = 0, maxErr = 0;
      for (let i = 0; i < theirs.length; i++) {
        if (Number.isNaN(theirs[i])) continue;
        compared++;
        maxErr = Math.max(maxErr, Math.abs(theirs[i]! - ours[i]!));
      }
      expect(compared).toBeGreaterThan(500);
      expect(maxErr).toBeLessThan(1e-3);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});
