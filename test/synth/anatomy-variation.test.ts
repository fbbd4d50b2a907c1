/**
 * Anatomy variation: a case's head is the Colin27 template warped by a smooth random deformation and scaled, so a
 * method that registers to that same template (brain extraction, template space) is not tested on the atlas itself.
 * Also the ground-truth brain mask the brain-extraction evaluation compares against.
 */
import { loadAnatomy, type Anatomy } from '../../src/synth/anatomy';
import { displacement, sampleVariation, varyAnatomy } from '../../src/synth/anatomy-variation';
import { brainMaskVolume } from '../../src/synth/ground-truth';
import { Rng } from '../../src/synth/random';
import { synthesiseStudy } from '../../src/synth/study';

let anat: Anatomy;
beforeAll(() => {
  anat = loadAnatomy({ resolution: 2 });
});

function dice(a: Uint8Array, b: Uint8Array): number {
  let inter = 0;
  let sa = 0;
  let sb = 0;
  for (let i = 0; i < a.length; i++) {
    if (a[i]) sa++;
    if (b[i]) sb++;
    if (a[i] && b[i]) inter++;
  }
  return (2 * inter) / (sa + sb);
}
const count = (m: Uint8Array): number => m.reduce((s, v) => s + v, 0);

describe('anatomy variation', () => {
  it('is deterministic per seed and differs between seeds', () => {
    const a = sampleVariation(new Rng('a'), 4);
    expect(sampleVariation(new Rng('a'), 4)).toEqual(a);
    expect(sampleVariation(new Rng('b'), 4)).not.toEqual(a);
    expect(a.amplitudeMm).toBeGreaterThanOrEqual(2.4);
    expect(a.amplitudeMm).toBeLessThanOrEqual(4);
    // The displacement never exceeds the amplitude on any axis.
    for (const p of [[0, 0, 0], [40, -30, 20], [-60, 50, -40]] as const) {
      for (const u of displacement(a, [...p])) expect(Math.abs(u)).toBeLessThanOrEqual(a.amplitudeMm + 1e-9);
    }
  });

  it('warps the brain away from the atlas and scales it by about headScale^3', () => {
    const v = { ...sampleVariation(new Rng('warp'), 4), headScale: 1.07 };
    const warped = varyAnatomy(anat, v);
    const d = dice(warped.brain, anat.brain);
    // Not the atlas any more, but still a brain of the right shape.
    expect(d).toBeLessThan(0.95);
    expect(d).toBeGreaterThan(0.75);
    const ratio = count(warped.brain) / count(anat.brain);
    expect(ratio).toBeGreaterThan(1.07 ** 3 * 0.95);
    expect(ratio).toBeLessThan(1.07 ** 3 * 1.05);
    // Identity variation reproduces the atlas.
    const same = varyAnatomy(anat, { amplitudeMm: 0, headScale: 1, waves: [] });
    expect(dice(same.brain, anat.brain)).toBeGreaterThan(0.999);
    // The shared atlas is not modified.
    expect(loadAnatomy({ resolution: 2 })).toBe(anat);
  });

  it('a varied study carries a ground-truth brain mask that contains the tumour', async () => {
    const s = await synthesiseStudy({ tumor: 'gbm', seed: 'var-1', vendor: 'siemens', size: 'small', distractors: 'none', transferSyntax: 'explicit', anatomyVariation: 4 });
    expect(s.variation).not.toBeNull();
    const mask = brainMaskVolume(s);
    let tumour = 0;
    for (let i = 0; i < mask.data.length; i++) {
      if (s.caseModel.labels[i]) {
        tumour++;
        expect(mask.data[i]).toBe(1);
      }
    }
    expect(tumour).toBeGreaterThan(100);
    expect(dice(mask.data, anat.brain)).toBeLessThan(0.97);
  }, 120_000);
});
