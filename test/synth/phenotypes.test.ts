/**
 * Label statistics and imaging appearance per phenotype (anatomy grid, 2 mm, several seeds each): the rules of
 * docs/synthetic-data.md hold for every drawn case, not just on average.
 */
import { loadAnatomy, lpsToMni, type Anatomy } from '../../src/synth/anatomy';
import { buildCaseModel, caseWeighting, type CaseModel } from '../../src/synth/case-model';
import type { TumourKind } from '../../src/synth/classes';
import { components } from '../../src/synth/ground-truth';
import { lobeOf, planTumour } from '../../src/synth/phenotypes';
import { Rng } from '../../src/synth/random';
import { meanWhere } from './util';

let anat: Anatomy;
beforeAll(() => {
  anat = loadAnatomy({ resolution: 2 });
});

const SEEDS = [1, 2, 3, 4];
const models = new Map<string, CaseModel>();
const model = (kind: TumourKind, seed: number): CaseModel => {
  const key = `phenotype-test/${kind}/${seed}`;
  let m = models.get(key);
  if (!m) models.set(key, (m = buildCaseModel(anat, kind, new Rng(key))));
  return m;
};

function counts(labels: Uint8Array): [number, number, number, number] {
  const c: [number, number, number, number] = [0, 0, 0, 0];
  for (const v of labels) c[v as 0 | 1 | 2 | 3]++;
  return c;
}

/**
 * Fraction of the voxels with `label` whose 6 neighbours are all tumour core or enhancing (1 or 3). For necrosis (1):
 * "enclosed by the ring"; for the enhancing rim (3): 0 when the rim is one voxel thin.
 */
function enclosedFraction(c: CaseModel, label: 1 | 3): number {
  const [nx, ny] = anat.dims;
  const l = c.labels;
  let n = 0;
  let enclosed = 0;
  for (let i = 0; i < l.length; i++) {
    if (l[i] !== label) continue;
    n++;
    const nb = [i - 1, i + 1, i - nx, i + nx, i - nx * ny, i + nx * ny];
    if (nb.every((j) => l[j] === 1 || l[j] === 3)) enclosed++;
  }
  return n ? enclosed / n : 0;
}

describe('glioblastoma, IDH-wildtype', () => {
  it.each(SEEDS)('seed %i: enhancing ring around necrosis, wider oedema, grade 4', (seed) => {
    const c = model('gbm', seed);
    const [, ncr, ed, et] = counts(c.labels);
    expect(ncr).toBeGreaterThan(0);
    expect(et).toBeGreaterThan(0);
    expect(ed).toBeGreaterThan(et);
    // Necrosis sits inside the enhancing rim: almost no necrotic voxel touches oedema or background.
    expect(enclosedFraction(c, 1)).toBeGreaterThan(0.9);
    expect(c.plan.classes).toMatchObject({ idh: 'wildtype', grade: '4', histology: 'glioblastoma' });
    // Appearance: ET enhances on T1ce, necrosis does not; oedema bright on FLAIR.
    const t1ce = caseWeighting(c, 't1ce');
    const flair = caseWeighting(c, 'flair');
    expect(meanWhere(t1ce, (i) => c.labels[i] === 3)).toBeGreaterThan(1.5 * meanWhere(t1ce, (i) => c.labels[i] === 1));
    const wm = (i: number) => anat.brain[i] === 1 && c.labels[i] === 0 && anat.maps.wm[i]! > 0.9;
    expect(meanWhere(flair, (i) => c.labels[i] === 2)).toBeGreaterThan(meanWhere(flair, wm));
    // Vasogenic oedema is clearly bright on T2 too (about 2.5x white matter), and CSF brighter still.
    const t2 = caseWeighting(c, 't2');
    const edT2 = meanWhere(t2, (i) => c.labels[i] === 2);
    expect(edT2).toBeGreaterThan(2 * meanWhere(t2, wm));
    expect(meanWhere(t2, (i) => anat.brain[i] === 1 && c.maps.csf[i]! > 0.9)).toBeGreaterThan(1.1 * edT2);
    // The enhancing rim is thick enough (3-8 mm) to survive the 2 mm grid: many ET voxels have only tumour around.
    expect(enclosedFraction(c, 3)).toBeGreaterThan(0.35);
  });
});

describe('astrocytoma, IDH-mutant', () => {
  it.each(SEEDS)('seed %i: no enhancement, non-enhancing core, mismatch when drawn', (seed) => {
    const c = model('astro', seed);
    const [, core, , et] = counts(c.labels);
    expect(et).toBe(0);
    expect(core).toBeGreaterThan(0);
    expect(c.plan.classes).toMatchObject({ idh: 'mutant', codeletion_1p19q: 'intact', histology: 'astrocytoma' });
    expect(['2', '3']).toContain(c.plan.classes.grade);
    const t2 = caseWeighting(c, 't2');
    const flair = caseWeighting(c, 'flair');
    const coreT2 = meanWhere(t2, (i) => c.labels[i] === 1);
    const wmT2 = meanWhere(t2, (i) => c.labels[i] === 0 && anat.maps.wm[i]! > 0.9);
    expect(coreT2).toBeGreaterThan(1.5 * wmT2);
    const coreFlair = meanWhere(flair, (i) => c.labels[i] === 1);
    const rimFlair = meanWhere(flair, (i) => c.labels[i] === 2);
    if (c.plan.features.t2FlairMismatch) {
      // T2-FLAIR mismatch: FLAIR core relatively hypointense, hyperintense rim; T2 core homogeneously bright.
      expect(coreFlair).toBeLessThan(0.75 * rimFlair);
    } else {
      expect(coreFlair).toBeGreaterThan(0.8 * rimFlair);
    }
  });

  it('draws the mismatch sign in a fraction of cases (not always, not never)', () => {
    // Only the plan is needed (no rasterisation): the draw of the sign is what is tested.
    const flags = Array.from({ length: 20 }, (_, s) => planTumour('astro', anat, new Rng(`mismatch/${s}`)).features.t2FlairMismatch);
    const n = flags.filter(Boolean).length;
    expect(n).toBeGreaterThan(4);
    expect(n).toBeLessThan(17);
  });
});

describe('oligodendroglioma, IDH-mutant and 1p/19q-codeleted', () => {
  it.each(SEEDS)('seed %i: codeleted, cortically based, non-enhancing unless patchy foci were drawn', (seed) => {
    const c = model('oligo', seed);
    expect(c.plan.classes).toMatchObject({ idh: 'mutant', codeletion_1p19q: 'codeleted', histology: 'oligodendroglioma' });
    const centre = c.plan.lesions[0]!.body.centre;
    const a = anat.affine;
    const ijk = [(centre[0] - a[3]!) / a[0]!, (centre[1] - a[7]!) / a[5]!, (centre[2] - a[11]!) / a[10]!].map(Math.round);
    // Cortically based: the centre lies within ~12 mm of the brain surface (depth window of the placement rule).
    expect(anat.depth[ijk[0]! + anat.dims[0] * (ijk[1]! + anat.dims[1] * ijk[2]!)]!).toBeLessThan(16);
    if (c.plan.features.enhancement === 'none') expect(counts(c.labels)[3]).toBe(0);
    else expect(counts(c.labels)[3]).toBeGreaterThan(0);
  });

  it('calcification-like foci are dark on T2 relative to the tumour core', () => {
    // Find a calcified case from the plans alone (cheap), then build it.
    const seed = [11, 12, 13, 14, 15, 16, 17, 18].find((s) => {
      const plan = planTumour('oligo', anat, new Rng(`phenotype-test/oligo/${s}`).fork('phenotype'));
      return plan.features.calcification && plan.lesions[0]!.calcifications!.some((b) => Math.min(...b.radii) > 1.6);
    });
    expect(seed).toBeDefined();
    const c = model('oligo', seed!);
    expect(c.fields!.calc.some((v) => v > 80)).toBe(true);
    const t2 = caseWeighting(c, 't2');
    expect(meanWhere(t2, (i) => c.fields!.calc[i]! > 80)).toBeLessThan(0.75 * meanWhere(t2, (i) => c.fields!.net[i]! > 200));
  });

  it('prefers the frontal lobe', () => {
    const lobes = Array.from({ length: 20 }, (_, s) => lobeOf(lpsToMni(planTumour('oligo', anat, new Rng(`lobe/${s}`)).lesions[0]!.body.centre)));
    expect(lobes.filter((l) => l === 'frontal').length).toBeGreaterThanOrEqual(8);
  });
});

describe('metastases (lung adenocarcinoma)', () => {
  it.each(SEEDS)('seed %i: small, round, enhancing lesions with oedema; GTV = labels 1+3', (seed) => {
    const c = model('mets', seed);
    const [, , ed, et] = counts(c.labels);
    expect(et).toBeGreaterThan(0);
    expect(ed).toBeGreaterThan(0);
    const gtv = components(anat.dims, (i) => c.labels[i] === 1 || c.labels[i] === 3);
    expect(gtv.count).toBeGreaterThanOrEqual(1);
    expect(gtv.count).toBeLessThanOrEqual(c.plan.features.lesionCount);
    const voxMl = anat.resolution ** 3 / 1000;
    const sizes = new Array<number>(gtv.count).fill(0);
    for (const k of gtv.map) if (k) sizes[k - 1]!++;
    for (const s of sizes) expect(s * voxMl).toBeLessThan(20); // each lesion < 20 ml
    expect(c.plan.classes.egfr === 'mutant' || c.plan.classes.egfr === 'wildtype').toBe(true);
    expect(c.plan.classes.idh).toBeNull();
  });

  it('EGFR-mutant cases have more and smaller lesions on average (the documented weak correlate)', () => {
    const stats = { mutant: { n: 0, lesions: 0, radius: 0 }, wildtype: { n: 0, lesions: 0, radius: 0 } };
    for (let s = 0; s < 40; s++) {
      const plan = planTumour('mets', anat, new Rng(`egfr/${s}`));
      const g = stats[plan.classes.egfr!];
      g.n++;
      g.lesions += plan.features.lesionCount;
      g.radius += plan.features.lesionRadiiMm.reduce((a, b) => a + b, 0) / plan.features.lesionCount;
    }
    expect(stats.mutant.n).toBeGreaterThan(5);
    expect(stats.wildtype.n).toBeGreaterThan(5);
    expect(stats.mutant.lesions / stats.mutant.n).toBeGreaterThan(stats.wildtype.lesions / stats.wildtype.n);
    expect(stats.mutant.radius / stats.mutant.n).toBeLessThan(stats.wildtype.radius / stats.wildtype.n);
  });
});

describe('healthy', () => {
  it('has no labels and no tumour fields', () => {
    const c = model('none', 1);
    expect(counts(c.labels)).toEqual([c.labels.length, 0, 0, 0]);
    expect(c.fields).toBeNull();
    expect(c.plan.classes.integratedDiagnosis).toBe('No tumour');
  });
});

describe('mass effect', () => {
  it('moves tissue away from a GBM (white matter near the centre changes) but leaves the skull alone', () => {
    const a = model('gbm', 1);
    const b = buildCaseModel(anat, 'gbm', new Rng('phenotype-test/gbm/1'), { massEffect: false });
    let changedBrain = 0;
    for (let i = 0; i < anat.maps.wm.length; i++) if (Math.abs(a.maps.wm[i]! - b.maps.wm[i]!) > 0.05) changedBrain++;
    expect(changedBrain).toBeGreaterThan(100);
    expect(a.maps.bone).toBe(anat.maps.bone);
    expect(a.maps.soft).toBe(anat.maps.soft);
  });
});
