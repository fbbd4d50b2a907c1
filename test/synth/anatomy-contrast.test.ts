/**
 * Anatomy from the real mricron ch2 template and the tissue contrast of every synthesised weighting: median WM vs
 * GM vs CSF in the published order, with the reference table and with per-case jitter, on the anatomy grid and
 * after a real acquisition (slice profile, bias field, Rician noise).
 */
import { applyBiasAndNoise, planStack, poseFrom, sampleBiasField, sampleStack, headCentrePatient } from '../../src/synth/acquisition';
import { fitMixture, loadAnatomy, partialVolume, type Anatomy } from '../../src/synth/anatomy';
import { baseTable, jitterTable, synthesise, tableKeepsOrderings, type SignalTable } from '../../src/synth/contrasts';
import { Rng } from '../../src/synth/random';
import { medianWhere } from './util';

let anat: Anatomy;
beforeAll(() => {
  anat = loadAnatomy({ resolution: 2 });
});

const REF = baseTable({ ncr: 'necrosisGbm', et: 'enhancingGbm', net: 'coreAstro', texture: { ed: 0, ncr: 0, et: 0, net: 0 } });

describe('anatomy from ch2.nii.gz', () => {
  it('fits CSF < GM < WM intensity centres and derives plausible tissue volumes', () => {
    const { csf, gm, wm } = anat.centres;
    expect(csf).toBeLessThan(gm);
    expect(gm).toBeLessThan(wm);
    const ml = (m: Float32Array): number => m.reduce((s, v) => s + v, 0) * anat.resolution ** 3 / 1000;
    const brainMl = anat.brain.reduce((s, v) => s + v, 0) * anat.resolution ** 3 / 1000;
    // An adult brain (Colin27): 1.1-1.9 l inside the BET mask; GM and WM each a large share.
    expect(brainMl).toBeGreaterThan(1100);
    expect(brainMl).toBeLessThan(1900);
    expect(ml(anat.maps.gm)).toBeGreaterThan(ml(anat.maps.wm) * 0.8);
    expect(ml(anat.maps.wm)).toBeGreaterThan(350);
    for (let i = 0; i < anat.maps.csf.length; i++) {
      const s = anat.maps.csf[i]! + anat.maps.gm[i]! + anat.maps.wm[i]! + anat.maps.soft[i]! + anat.maps.bone[i]!;
      if (s > 1.0001) throw new Error(`fractions sum to ${s} at ${i}`);
    }
  });

  it('partial-volume fractions interpolate between neighbouring centres', () => {
    const c = { csf: 40, gm: 80, wm: 120 };
    expect(partialVolume(30, c)).toEqual([1, 0, 0]);
    expect(partialVolume(60, c)).toEqual([0.5, 0.5, 0]);
    expect(partialVolume(110, c)).toEqual([0, 0.25, 0.75]);
    expect(partialVolume(200, c)).toEqual([0, 0, 1]);
  });

  it('the mixture fit recovers the means of a synthetic three-component histogram', () => {
    const h = new Float64Array(256);
    for (const [m, s, w] of [[40, 6, 1], [90, 7, 2], [150, 8, 1.5]] as const) {
      for (let v = 0; v < 256; v++) h[v] = h[v]! + (w * 1e5 * Math.exp(-0.5 * ((v - m) / s) ** 2)) / s;
    }
    const fit = fitMixture(h, 3);
    expect(fit.means[0]).toBeCloseTo(40, 0);
    expect(fit.means[1]).toBeCloseTo(90, 0);
    expect(fit.means[2]).toBeCloseTo(150, 0);
  });
});

/** Pure-tissue voxels on the anatomy grid. */
function pure(a: Anatomy, name: 'csf' | 'gm' | 'wm'): (i: number) => boolean {
  const m = a.maps[name];
  return (i) => a.brain[i] === 1 && m[i]! > 0.95;
}

function orderings(t: SignalTable, a: Anatomy): void {
  const med = (w: Parameters<typeof synthesise>[3]) => {
    const v = synthesise(a.maps, null, t, w);
    return { csf: medianWhere(v, pure(a, 'csf')), gm: medianWhere(v, pure(a, 'gm')), wm: medianWhere(v, pure(a, 'wm')) };
  };
  const t1 = med('t1');
  expect(t1.wm).toBeGreaterThan(t1.gm);
  expect(t1.gm).toBeGreaterThan(t1.csf);
  const t2 = med('t2');
  expect(t2.csf).toBeGreaterThan(t2.gm);
  expect(t2.gm).toBeGreaterThan(t2.wm);
  const flair = med('flair');
  expect(flair.gm).toBeGreaterThan(flair.wm);
  expect(flair.wm).toBeGreaterThan(flair.csf * 3); // CSF suppressed
  const adc = med('adc');
  expect(adc.csf).toBeGreaterThan(adc.gm);
}

describe('tissue contrast per weighting (anatomy grid)', () => {
  it('reference table: T1 WM > GM > CSF, T2 CSF > GM > WM, FLAIR GM > WM >> CSF', () => {
    expect(tableKeepsOrderings(REF)).toBe(true);
    orderings(REF, anat);
  });

  it('jittered tables keep the orderings and differ between cases', () => {
    const tables = [1, 2, 3, 4, 5].map((s) => jitterTable(REF, new Rng(`jitter-${s}`)));
    for (const t of tables) {
      expect(tableKeepsOrderings(t)).toBe(true);
      orderings(t, anat);
    }
    expect(new Set(tables.map((t) => t.gm.t1.toFixed(6))).size).toBe(5);
  });

  it('T1ce enhances dura/sinus but not white matter', () => {
    const t1 = synthesise(anat.maps, null, REF, 't1');
    const t1ce = synthesise(anat.maps, null, REF, 't1ce');
    const duraIdx = (i: number) => anat.maps.sinus[i]! > 0.5;
    expect(medianWhere(t1ce, duraIdx)).toBeGreaterThan(medianWhere(t1, duraIdx) * 1.3);
    expect(medianWhere(t1ce, pure(anat, 'wm'))).toBeCloseTo(medianWhere(t1, pure(anat, 'wm')), 5);
  });
});

describe('tissue contrast after acquisition', () => {
  it('a noisy, biased, thick-slice T2 and FLAIR keep the tissue order', () => {
    const pose = poseFrom(anat, [8, -4, 6], [1.03, 0.97, 1.0], [2, -5, 10]);
    const stack = planStack({
      orientation: 'axial', obliqueDeg: [6, 0, 0], pixelSpacing: [2, 2], matrix: [120, 120], sliceThickness: 5, sliceGap: 1,
      slices: 22, centre: headCentrePatient(anat, pose),
    });
    const bias = sampleBiasField(new Rng('bias'), headCentrePatient(anat, pose));
    // Tissue maps sampled through the same stack tell which voxels are (nearly) pure tissue.
    const [gmF, wmF, csfF] = sampleStack(anat, pose, stack, [anat.maps.gm, anat.maps.wm, anat.maps.csf]);
    for (const w of ['t2', 'flair', 't1'] as const) {
      const [img] = sampleStack(anat, pose, stack, [synthesise(anat.maps, null, REF, w)]);
      applyBiasAndNoise(img!, stack, bias, 25, new Rng(`noise-${w}`));
      const m = {
        wm: medianWhere(img!, (i) => wmF![i]! > 0.85),
        gm: medianWhere(img!, (i) => gmF![i]! > 0.75),
        csf: medianWhere(img!, (i) => csfF![i]! > 0.85),
      };
      if (w === 't1') expect(m.wm > m.gm && m.gm > m.csf).toBe(true);
      if (w === 't2') expect(m.csf > m.gm && m.gm > m.wm).toBe(true);
      if (w === 'flair') expect(m.gm > m.wm && m.wm > m.csf).toBe(true);
    }
  });
});
