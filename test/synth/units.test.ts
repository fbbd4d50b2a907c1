/** Small pure parts of the generator: seeded random streams, NIfTI qform maths, stack planning, noise. */
import { parseNifti } from '../../src/imaging/nifti';
import { planStack } from '../../src/synth/acquisition';
import { compose, rotationXYZ, scaling, translation } from '../../src/synth/geometry';
import { fractalNoise } from '../../src/synth/noise';
import { encodeNifti, lpsToRasAffine, quaternionOf } from '../../src/synth/nifti-writer';
import { Rng } from '../../src/synth/random';

describe('Rng', () => {
  it('is deterministic per key, and forks are independent of draws on the parent', () => {
    const a = new Rng('k');
    const b = new Rng('k');
    expect(Array.from({ length: 5 }, () => a.nextUint32())).toEqual(Array.from({ length: 5 }, () => b.nextUint32()));
    const p1 = new Rng('parent');
    const p2 = new Rng('parent');
    p2.next();
    p2.normal();
    expect(p1.fork('x').next()).toBe(p2.fork('x').next());
    expect(new Rng('k').next()).not.toBe(new Rng('k2').next());
  });

  it('draws plausible distributions', () => {
    const r = new Rng('dist');
    const u = Array.from({ length: 20000 }, () => r.next());
    const mean = u.reduce((s, v) => s + v, 0) / u.length;
    expect(mean).toBeGreaterThan(0.49);
    expect(mean).toBeLessThan(0.51);
    const g = Array.from({ length: 20000 }, () => r.normal());
    const gm = g.reduce((s, v) => s + v, 0) / g.length;
    const gv = g.reduce((s, v) => s + (v - gm) ** 2, 0) / g.length;
    expect(Math.abs(gm)).toBeLessThan(0.03);
    expect(gv).toBeGreaterThan(0.95);
    expect(gv).toBeLessThan(1.05);
    const p = Array.from({ length: 5000 }, () => r.poisson(2.5));
    expect(p.reduce((s, v) => s + v, 0) / p.length).toBeCloseTo(2.5, 1);
    const counts = { a: 0, b: 0 };
    for (let i = 0; i < 4000; i++) counts[r.weighted([['a', 3], ['b', 1]] as const)]++;
    expect(counts.a / counts.b).toBeGreaterThan(2.6);
    expect(counts.a / counts.b).toBeLessThan(3.4);
  });
});

describe('NIfTI writer', () => {
  it.each([
    ['identity-ish LPS template', compose(translation([90, 126, -72]), scaling([-1, -1, 1]))],
    ['rotated, anisotropic', compose(translation([10, -20, 30]), rotationXYZ(0.3, -0.2, 0.5), scaling([1.1, 0.9, 2]))],
    ['rotated, flipped axis', compose(rotationXYZ(-0.1, 2.8, 0.2), scaling([2, 2, -2]))],
  ])('%s: qform and sform both reproduce the affine', (_name, lps) => {
    const vol = { dims: [4, 5, 6] as [number, number, number], spacing: [1, 1, 1] as [number, number, number], affine: lps, data: new Uint8Array(120).map((_, i) => i % 4) };
    const nii = parseNifti(encodeNifti(vol, { gzip: true }));
    for (let i = 0; i < 12; i++) expect(nii.affine[i]).toBeCloseTo(lps[i]!, 4);
    expect(Array.from(nii.data)).toEqual(Array.from(vol.data));
    // The quaternion form alone (what qform-only readers use) gives the same RAS matrix.
    const ras = lpsToRasAffine(lps);
    const q = quaternionOf(ras);
    const qOnly = encodeNifti(vol);
    qOnly.writeInt16LE(0, 254); // sform_code = 0: readers fall back to the quaternion
    const parsed = parseNifti(qOnly);
    expect(parsed.affineSource).toBe('qform');
    const rebuilt = parsed.affineRas;
    for (let i = 0; i < 12; i++) expect(rebuilt[i]).toBeCloseTo(ras[i]!, 4);
    expect(q.pixdim.map((v) => Number(v.toFixed(4)))).toEqual([0, 1, 2].map((c) => Number(Math.hypot(ras[c]!, ras[4 + c]!, ras[8 + c]!).toFixed(4))));
  });
});

describe('stack planning', () => {
  it('axial/sagittal/coronal stacks have DICOM row/column directions and are centred where asked', () => {
    const centre: [number, number, number] = [5, -10, 20];
    const base = { pixelSpacing: [1, 1] as [number, number], matrix: [10, 12] as [number, number], sliceThickness: 4, sliceGap: 1, slices: 5, centre };
    const ax = planStack({ ...base, orientation: 'axial' });
    expect([ax.affine[0], ax.affine[4], ax.affine[8]]).toEqual([1, 0, 0]);
    expect([ax.affine[1], ax.affine[5], ax.affine[9]]).toEqual([0, 1, 0]);
    expect(ax.spacing[2]).toBe(5);
    const sag = planStack({ ...base, orientation: 'sagittal' });
    expect([sag.affine[0], sag.affine[4], sag.affine[8]]).toEqual([0, 1, 0]);
    expect([sag.affine[1], sag.affine[5], sag.affine[9]]).toEqual([0, 0, -1]);
    for (const s of [ax, sag, planStack({ ...base, orientation: 'coronal', obliqueDeg: [10, 5, 0] })]) {
      const mid = [0, 1, 2].map((r) => s.affine[r * 4]! * 4.5 + s.affine[r * 4 + 1]! * 5.5 + s.affine[r * 4 + 2]! * 2 + s.affine[r * 4 + 3]!);
      mid.forEach((v, r) => expect(v).toBeCloseTo(centre[r]!, 9));
    }
  });
});

describe('fractal noise', () => {
  it('is smooth, bounded and seed-dependent', () => {
    const n = fractalNoise(7, 10);
    let max = 0;
    for (let x = 0; x < 50; x += 0.7) {
      const v = n.at(x, 3, 4);
      max = Math.max(max, Math.abs(v));
      expect(Math.abs(n.at(x + 0.01, 3, 4) - v)).toBeLessThan(0.02);
    }
    expect(max).toBeLessThanOrEqual(1);
    expect(max).toBeGreaterThan(0.05);
    expect(fractalNoise(8, 10).at(1.3, 2.2, 3.1)).not.toBe(n.at(1.3, 2.2, 3.1));
  });
});
