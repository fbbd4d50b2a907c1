/** RANO-style bidimensional measurement on label maps with known geometry (src/ai/bidimensional.ts). */
import { bidimensional, inPlaneSpacing, sliceDiameters } from '../../src/ai/bidimensional';
import type { Vec3 } from '../../src/imaging/volume';

const affine = (si: number, sj: number, sk: number): Float64Array => new Float64Array([si, 0, 0, 0, 0, sj, 0, 0, 0, 0, sk, 0, 0, 0, 0, 1]);

/** Voxels of an ellipse with semi-axes a (along i) and b (along j), rotated by `deg`, centred at (ci, cj). */
function ellipse(ci: number, cj: number, a: number, b: number, deg = 0, si = 1, sj = 1): Array<[number, number]> {
  const t = (deg * Math.PI) / 180;
  const out: Array<[number, number]> = [];
  for (let j = 0; j < 200; j++) {
    for (let i = 0; i < 200; i++) {
      const x = (i - ci) * si;
      const y = (j - cj) * sj;
      const u = x * Math.cos(t) + y * Math.sin(t);
      const v = -x * Math.sin(t) + y * Math.cos(t);
      if ((u / a) ** 2 + (v / b) ** 2 <= 1) out.push([i, j]);
    }
  }
  return out;
}

describe('sliceDiameters', () => {
  it('an axis-aligned ellipse: long = 2a along i, short = 2b along j (between voxel centres)', () => {
    const d = sliceDiameters(ellipse(50, 50, 20, 8), [1, 1])!;
    expect(d.long.lengthMm).toBeCloseTo(40, 0);
    expect(Math.abs(d.long.to[1] - d.long.from[1])).toBeLessThanOrEqual(1);
    expect(d.short.lengthMm).toBeGreaterThan(15);
    expect(d.short.lengthMm).toBeLessThanOrEqual(16.01);
  });

  it('a rotated ellipse: the short axis is perpendicular to the long one', () => {
    const d = sliceDiameters(ellipse(80, 80, 30, 12, 35), [1, 1])!;
    expect(d.long.lengthMm).toBeGreaterThan(58);
    expect(d.long.lengthMm).toBeLessThanOrEqual(60.01);
    expect(d.short.lengthMm).toBeGreaterThan(22);
    expect(d.short.lengthMm).toBeLessThanOrEqual(24.01);
    const lx = d.long.to[0] - d.long.from[0];
    const ly = d.long.to[1] - d.long.from[1];
    const sx = d.short.to[0] - d.short.from[0];
    const sy = d.short.to[1] - d.short.from[1];
    const cos = (lx * sx + ly * sy) / (Math.hypot(lx, ly) * Math.hypot(sx, sy));
    expect(Math.abs(cos)).toBeLessThan(Math.sin((5 * Math.PI) / 180));
  });

  it('measures in mm with anisotropic pixels: a circle of 20 mm drawn on 0.5 x 1 mm pixels', () => {
    const d = sliceDiameters(ellipse(60, 40, 10, 10, 0, 0.5, 1), [0.5, 1])!;
    expect(d.long.lengthMm).toBeGreaterThan(19);
    expect(d.long.lengthMm).toBeLessThanOrEqual(20.01);
    expect(d.short.lengthMm).toBeGreaterThan(18);
  });

  it('needs two voxels', () => {
    expect(sliceDiameters([[3, 3]], [1, 1])).toBeUndefined();
    expect(sliceDiameters([], [1, 1])).toBeUndefined();
  });
});

describe('bidimensional', () => {
  const dims: Vec3 = [100, 100, 4];
  const labels = new Uint8Array(100 * 100 * 4);
  const paint = (k: number, pts: Array<[number, number]>, v: number) => pts.forEach(([i, j]) => (labels[k * 10000 + j * 100 + i] = v));
  paint(0, ellipse(50, 50, 6, 4), 3); // 12 x 8 mm
  paint(1, ellipse(50, 50, 14, 9), 3); // 28 x 18 mm: the largest product
  paint(2, ellipse(50, 50, 20, 3), 3); // longer (40 mm) but thin: smaller product
  paint(3, ellipse(50, 50, 30, 30), 2); // another label: ignored

  it('takes the slice with the largest product of the label asked for; RANO measurable when both >= 10 mm', () => {
    const b = bidimensional(labels, dims, affine(1, 1, 5), [3])!;
    expect(b.slice).toBe(1);
    expect(b.long.lengthMm).toBeCloseTo(28, 0);
    expect(b.short.lengthMm).toBeCloseTo(18, 0);
    expect(b.productMm2).toBeCloseTo(b.long.lengthMm * b.short.lengthMm, 9);
    expect(b.measurable).toBe(true);
    const small = bidimensional(labels, dims, affine(0.3, 0.3, 5), [3])!; // same voxels, 0.3 mm pixels
    expect(small.measurable).toBe(false);
    expect(bidimensional(labels, dims, affine(1, 1, 5), [7])).toBeUndefined();
  });

  it('reads the in-plane spacing from the affine, also when the grid is rotated', () => {
    const c = Math.cos(0.4);
    const s = Math.sin(0.4);
    expect(inPlaneSpacing(new Float64Array([0.8 * c, -1.2 * s, 0, 0, 0.8 * s, 1.2 * c, 0, 0, 0, 0, 3, 0, 0, 0, 0, 1])).map((x) => Math.round(x * 1e9) / 1e9)).toEqual([0.8, 1.2]);
  });
});
