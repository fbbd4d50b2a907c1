/**
 * Training-set variety, the cheap parts: the pure draws (wide stays inside its documented ranges, every unseen shift
 * lies outside them), the varied series geometry, and the tumour variety on the real anatomy (moved, resized,
 * reshaped lesions stay inside the brain, class labels unchanged).
 */
import type { Vec3 } from '../../src/imaging/volume';
import { loadAnatomy, type Anatomy } from '../../src/synth/anatomy';
import type { TumourKind } from '../../src/synth/classes';
import { planTumour } from '../../src/synth/phenotypes';
import { Rng } from '../../src/synth/random';
import { rasteriseLesions } from '../../src/synth/tumour';
import { varyTumour } from '../../src/synth/tumour-variety';
import { drawUnseen, drawVariety, drawWide, shapesFor, UNSEEN, UNSEEN_SHIFTS, WIDE, type Range, type VarietySettings } from '../../src/synth/variety';
import { variedStack } from '../../src/synth/variety-protocol';

const KINDS: TumourKind[] = ['gbm', 'astro', 'oligo', 'mets', 'none'];
const inside = (x: number, r: Range): boolean => x >= r[0] && x <= r[1];
const outside = (x: number, r: Range): boolean => x < r[0] || x > r[1];

function draws(f: (rng: Rng, k: TumourKind) => VarietySettings, n: number): Array<[TumourKind, VarietySettings]> {
  const out: Array<[TumourKind, VarietySettings]> = [];
  for (const kind of KINDS) for (let i = 0; i < n; i++) out.push([kind, f(new Rng(`variety-test/${kind}/${i}`), kind)]);
  return out;
}

describe('variety draws (pure)', () => {
  it('narrow draws nothing; the same seed draws the same settings', () => {
    expect(drawVariety('narrow', new Rng('x'), 'gbm')).toBeNull();
    expect(drawVariety('wide', new Rng('x'), 'gbm')).toEqual(drawVariety('wide', new Rng('x'), 'gbm'));
    expect(drawVariety('wide', new Rng('x'), 'gbm')).not.toEqual(drawVariety('wide', new Rng('y'), 'gbm'));
  });

  it('wide stays inside its documented ranges and covers them', () => {
    const all = draws(drawWide, 40);
    const thickness: number[] = [];
    for (const [kind, v] of all) {
      expect(v.level).toBe('wide');
      expect(v.unseen).toEqual([]);
      expect(inside(v.anatomy.deformationMaxMm, WIDE.deformationMaxMm)).toBe(true);
      expect(inside(v.contrast.gamma, WIDE.gamma)).toBe(true);
      expect(inside(v.contrast.jitterSd, WIDE.jitterSd)).toBe(true);
      expect(inside(v.biasStrength, WIDE.biasStrength)).toBe(true);
      expect(inside(v.noiseFactor, WIDE.noiseFactor)).toBe(true);
      for (const s of Object.values(v.series)) {
        expect(inside(s.pixelFactor, WIDE.pixelFactor) && inside(s.profileFactor, WIDE.profileFactor) && inside(s.blurSigmaMm, WIDE.blurSigmaMm)).toBe(true);
        if (s.acquisition === '2d') {
          expect(WIDE.orientations2d).toContain(s.orientation);
          expect(inside(s.sliceThicknessMm!, WIDE.sliceThicknessMm) && inside(s.sliceGapMm!, WIDE.sliceGapMm)).toBe(true);
          thickness.push(s.sliceThicknessMm!);
        }
      }
      expect(v.series.t2.acquisition).toBe('2d');
      if (v.motion) expect(inside(v.motion.rotationDeg, WIDE.rotationDeg) && inside(v.motion.translationMm, WIDE.translationMm)).toBe(true);
      expect(WIDE.locations).toContain(v.tumour.location);
      expect(shapesFor(kind)).toContain(v.tumour.shape);
      if (v.tumour.radiusMm !== null) expect(inside(v.tumour.radiusMm, WIDE.gliomaRadiusMm)).toBe(true);
      if (kind === 'mets') expect(inside(v.tumour.sizeScale, WIDE.metsSizeScale)).toBe(true);
    }
    // The draws spread over the range (thin and thick slices, with and without motion, every location and shape).
    expect(Math.min(...thickness)).toBeLessThan(1.5);
    expect(Math.max(...thickness)).toBeGreaterThan(5.5);
    expect(all.filter(([, v]) => v.motion).length).toBeGreaterThan(all.length * 0.3);
    expect(all.filter(([, v]) => !v.motion).length).toBeGreaterThan(all.length * 0.3);
    for (const loc of WIDE.locations) expect(all.some(([k, v]) => k !== 'none' && v.tumour.location === loc)).toBe(true);
    for (const shape of ['multifocal', 'infiltrative', 'cystic']) expect(all.some(([, v]) => v.tumour.shape === shape)).toBe(true);
  });

  it('every shift an unseen case names lies outside what wide draws', () => {
    const all = draws(drawUnseen, 20);
    const seen = new Set<string>();
    for (const [kind, v] of all) {
      expect(v.level).toBe('unseen');
      expect(v.unseen.length).toBeGreaterThanOrEqual(2);
      for (const shift of v.unseen) {
        seen.add(shift);
        switch (shift) {
          case 'thickSlices':
            for (const r of ['t2', 'flair'] as const) {
              expect(outside(v.series[r].sliceThicknessMm!, WIDE.sliceThicknessMm)).toBe(true);
              expect(outside(v.series[r].sliceGapMm!, WIDE.sliceGapMm)).toBe(true);
            }
            break;
          case 'sagittalFlair2d':
            expect(v.series.flair.acquisition).toBe('2d');
            expect(WIDE.orientations2d).not.toContain(v.series.flair.orientation);
            break;
          case 'strongBias':
            expect(outside(v.biasStrength, WIDE.biasStrength)).toBe(true);
            break;
          case 'heavyNoise':
            expect(outside(v.noiseFactor, WIDE.noiseFactor)).toBe(true);
            break;
          case 'contrastCurve':
            expect(outside(v.contrast.gamma, WIDE.gamma)).toBe(true);
            break;
          case 'coarsePixels':
            for (const s of Object.values(v.series)) expect(outside(s.pixelFactor, WIDE.pixelFactor)).toBe(true);
            break;
          case 'strongBlur':
            for (const s of Object.values(v.series)) expect(outside(s.blurSigmaMm, WIDE.blurSigmaMm) && outside(s.profileFactor, WIDE.profileFactor)).toBe(true);
            break;
          case 'largeMotion':
            expect(outside(v.motion!.rotationDeg, WIDE.rotationDeg) && outside(v.motion!.translationMm, WIDE.translationMm)).toBe(true);
            break;
          case 'tumourSizeEdge':
            expect(kind).not.toBe('none');
            if (kind === 'mets') expect(outside(v.tumour.sizeScale, WIDE.metsSizeScale)).toBe(true);
            else expect(outside(v.tumour.radiusMm!, WIDE.gliomaRadiusMm)).toBe(true);
            break;
          case 'infratentorial':
            expect(['gbm', 'astro', 'oligo']).toContain(kind);
            expect(WIDE.locations).not.toContain(v.tumour.location);
            break;
          default:
            throw new Error(`untested shift ${shift}`);
        }
      }
    }
    expect([...seen].sort()).toEqual([...UNSEEN_SHIFTS].sort());
    // Unseen's thick slices start where wide's end.
    expect(UNSEEN.thickSlices.sliceThicknessMm[0]).toBeGreaterThan(WIDE.sliceThicknessMm[1]);
  });
});

describe('varied series geometry', () => {
  const planned = {
    orientation: 'axial' as const, obliqueDeg: [5, 0, 0] as Vec3, pixelSpacing: [1.8, 1.8] as [number, number], matrix: [128, 128] as [number, number],
    sliceThickness: 5, sliceGap: 1, slices: 25, centre: [1, 2, 3] as Vec3,
  };
  it('2-D: the drawn thickness, gap and plane; coverage kept; profile and blur carried', () => {
    const s = variedStack(planned, { acquisition: '2d', orientation: 'coronal', sliceThicknessMm: 2, sliceGapMm: 0.5, pixelFactor: 1.2, profileFactor: 1.4, blurSigmaMm: 0.6 }, 'small');
    expect(s).toMatchObject({ orientation: 'coronal', obliqueDeg: [0, 0, 0], sliceThickness: 2, sliceGap: 0.5, slices: 68, centre: [1, 2, 3], blurSigmaMm: 0.6 });
    expect(s.profileMm).toBeCloseTo(2.8);
    expect(s.pixelSpacing[0]).toBeCloseTo(2.16);
    const same = variedStack(planned, { acquisition: '2d', orientation: 'axial', sliceThicknessMm: 6, sliceGapMm: 2, pixelFactor: 1, profileFactor: 1, blurSigmaMm: 0 }, 'small');
    expect(same.obliqueDeg).toEqual([5, 0, 0]);
    expect(same.slices).toBe(19);
  });
  it('3-D: isotropic voxels at the drawn pixel size (a planned 2-D stack becomes a sagittal volume)', () => {
    const s = variedStack(planned, { acquisition: '3d', pixelFactor: 1.25, profileFactor: 1, blurSigmaMm: 0 }, 'small');
    expect(s.orientation).toBe('sagittal');
    expect(s.sliceThickness).toBe(2.5);
    expect(s.pixelSpacing).toEqual([2.5, 2.5]);
    expect(s.sliceGap).toBe(0);
  });
});

describe('tumour variety on the real anatomy', () => {
  let anat: Anatomy;
  beforeAll(() => {
    anat = loadAnatomy({ resolution: 2 });
  });

  function labelsOf(plan: ReturnType<typeof planTumour>): Uint8Array {
    return rasteriseLesions(anat, anat.maps, plan.lesions, plan.textureSeed, plan.textureScaleMm).labels;
  }

  it('moves, resizes and reshapes lesions; labels stay inside the brain and class labels do not change', () => {
    const cases: Array<[TumourKind, VarietySettings['tumour']]> = [
      ['gbm', { location: 'cortex', shape: 'multifocal', radiusMm: 12, sizeScale: 1 }],
      ['gbm', { location: 'periventricular', shape: 'cystic', radiusMm: 18, sizeScale: 1 }],
      ['astro', { location: 'anywhere', shape: 'infiltrative', radiusMm: 6, sizeScale: 1 }],
      ['oligo', { location: 'infratentorial', shape: 'default', radiusMm: 40, sizeScale: 1 }],
      ['mets', { location: 'default', shape: 'cystic', radiusMm: null, sizeScale: 1.8 }],
    ];
    for (const [kind, t] of cases) {
      const base = planTumour(kind, anat, new Rng(`tv/${kind}/${t.location}`));
      const v = varyTumour(base, anat, new Rng(`tv/${kind}/${t.location}/v`), t);
      expect(v.classes).toEqual(base.classes);
      const labels = labelsOf(v);
      let tumour = 0;
      for (let i = 0; i < labels.length; i++) {
        if (!labels[i]) continue;
        tumour++;
        expect(anat.brain[i]).toBe(1);
      }
      expect(tumour).toBeGreaterThan(10);
      if (t.radiusMm !== null) expect(v.features.lesionRadiiMm[0]).toBeCloseTo(t.location === 'infratentorial' ? 15 : t.radiusMm, 5);
      // A resized lesion's oedema extends beyond it by at most what it did (not across the hemisphere).
      const [b0, v0] = [base.lesions[0]!, v.lesions[0]!];
      if (b0.oedema && v0.oedema) {
        const scale = mean(v0.body.radii) / mean(b0.body.radii);
        expect(mean(v0.oedema.radii) - mean(v0.body.radii)).toBeCloseTo((mean(b0.oedema.radii) - mean(b0.body.radii)) * Math.min(1, Math.sqrt(scale)), 5);
      }
      if (t.location === 'infratentorial') expect(['cerebellum', 'brainstem']).toContain(v.features.lobe);
      if (t.location === 'periventricular') expect(anat.depth[centreIndex(v.lesions[0]!.body.centre)]!).toBeGreaterThan(20);
      if (t.shape === 'multifocal') expect(v.features.lesionCount).toBeGreaterThanOrEqual(2);
      if (t.shape === 'cystic') {
        expect(v.signal.ncr).toBe('cyst');
        expect(v.features.necrosis).toBe(true);
      }
      if (t.shape === 'infiltrative') expect(v.lesions[0]!.edgeMm).toBeGreaterThanOrEqual(3);
      if (kind === 'mets') v.features.lesionRadiiMm.forEach((r, i) => expect(r).toBeCloseTo(base.features.lesionRadiiMm[i]! * 1.8, 5));
    }
  });

  const mean = (r: Vec3): number => (r[0] + r[1] + r[2]) / 3;

  function centreIndex(p: Vec3): number {
    const a = anat.affine;
    // Inverse of an axis-aligned affine (the template grid).
    const i = Math.round((p[0] - a[3]!) / a[0]!);
    const j = Math.round((p[1] - a[7]!) / a[5]!);
    const k = Math.round((p[2] - a[11]!) / a[10]!);
    return i + anat.dims[0] * (j + anat.dims[1] * k);
  }
});
