/**
 * Tumour phenotypes: for a tumour kind and a random stream, draws the class labels and the lesion geometry whose
 * imaging appearance follows published correlations (docs/synthetic-data.md, "Phenotypes", cites the sources):
 *  - gbm:   glioblastoma IDH-wildtype, grade 4: irregular ring enhancement around central necrosis, wide
 *           white-matter-following oedema, deep white matter, marked mass effect.
 *  - astro: astrocytoma IDH-mutant (1p/19q intact), grade 2/3: non-enhancing, homogeneous, well-defined; T2-FLAIR
 *           mismatch (FLAIR-hypointense core with a FLAIR-bright rim) in about half of cases; frontal/temporal.
 *  - oligo: oligodendroglioma IDH-mutant 1p/19q-codeleted, grade 2/3: cortically based, frontal predilection,
 *           heterogeneous with indistinct margins, calcification-like foci, patchy mild enhancement (more often
 *           in grade 3); mismatch rare.
 *  - mets:  lung-adenocarcinoma metastases: one or several small round enhancing lesions (ring with necrosis when
 *           larger) at the grey-white junction, with disproportionate oedema. EGFR-mutant cases are drawn with
 *           more, smaller lesions and less oedema (a deliberately weak, overlapping synthetic correlate).
 *  - none:  healthy.
 */
import type { Vec3 } from '../imaging/volume';
import type { Anatomy } from './anatomy';
import { lpsToMni } from './anatomy';
import { gliomaLabels, healthyLabels, metastasisLabels, type ClassLabels, type TumourKind } from './classes';
import type { TumourSignalChoice } from './contrasts';
import type { MassEffect } from './mass-effect';
import type { Rng } from './random';
import type { Blob, Lesion } from './tumour';
import { cross, normalise } from './geometry';

export type Lobe = 'frontal' | 'temporal' | 'parietal' | 'occipital' | 'deep' | 'brainstem' | 'cerebellum';

/**
 * Lobe of an MNI (RAS, mm) point. Coarse boxes, good enough to steer where tumours grow (not an atlas):
 * the central sulcus is approximated by y = -10 - 0.3 * max(0, z - 20), the parieto-occipital boundary by y = -68.
 */
export function lobeOf(m: Vec3): Lobe {
  const [x, y, z] = m;
  if (z < -18 && y < -40) return 'cerebellum';
  if (Math.abs(x) < 14 && z < -8 && y > -45 && y < -5) return 'brainstem';
  if (Math.abs(x) < 24 && y > -32 && y < 12 && z > -6 && z < 18) return 'deep';
  if (z < 4 && Math.abs(x) > 28 && y > -70 && y < 24) return 'temporal';
  if (y > -10 - 0.3 * Math.max(0, z - 20)) return 'frontal';
  if (y < -68) return 'occipital';
  return 'parietal';
}

export interface Placement {
  lobes: ReadonlyArray<readonly [Lobe, number]>;
  /** Depth below the brain surface (mm) of the centre. */
  minDepth: number;
  maxDepth: number;
  /** Which tissue the centre sits in. */
  tissue: 'white' | 'cortex' | 'junction';
}

function tissueOk(anat: Anatomy, idx: number, t: Placement['tissue']): boolean {
  const g = anat.maps.gm[idx]!;
  const w = anat.maps.wm[idx]!;
  if (t === 'white') return w > 0.8;
  if (t === 'cortex') return g > 0.5;
  return g > 0.25 && g < 0.75 && w > 0.25;
}

/** Brain voxels (subsampled) with what placement rules test, computed once per anatomy. */
interface Candidates {
  idx: Int32Array;
  lobe: Uint8Array;
  depth: Float32Array;
}

const LOBES: readonly Lobe[] = ['frontal', 'temporal', 'parietal', 'occipital', 'deep', 'brainstem', 'cerebellum'];
const candidateCache = new WeakMap<Anatomy, Candidates>();

function candidates(anat: Anatomy): Candidates {
  const hit = candidateCache.get(anat);
  if (hit) return hit;
  const stride = anat.resolution >= 2 ? 1 : 2;
  const [nx, ny, nz] = anat.dims;
  const a = anat.affine;
  const idx: number[] = [];
  const lobe: number[] = [];
  const depth: number[] = [];
  for (let k = 0; k < nz; k += stride) {
    for (let j = 0; j < ny; j += stride) {
      for (let i = 0; i < nx; i += stride) {
        const n = i + nx * (j + ny * k);
        if (!anat.brain[n]) continue;
        const p: Vec3 = [
          a[0]! * i + a[1]! * j + a[2]! * k + a[3]!,
          a[4]! * i + a[5]! * j + a[6]! * k + a[7]!,
          a[8]! * i + a[9]! * j + a[10]! * k + a[11]!,
        ];
        idx.push(n);
        lobe.push(LOBES.indexOf(lobeOf(lpsToMni(p))));
        depth.push(anat.depth[n]!);
      }
    }
  }
  const c = { idx: Int32Array.from(idx), lobe: Uint8Array.from(lobe), depth: Float32Array.from(depth) };
  candidateCache.set(anat, c);
  return c;
}

/** Draws a centre (template LPS mm) satisfying the placement; widens the depth window if nothing qualifies. */
export function sampleCentre(anat: Anatomy, rng: Rng, p: Placement): Vec3 {
  const [nx, ny] = anat.dims;
  const a = anat.affine;
  const cand = candidates(anat);
  const wanted = new Set(p.lobes.map(([l]) => LOBES.indexOf(l)));
  for (let widen = 0; widen < 4; widen++) {
    const minD = p.minDepth / (1 + widen);
    const maxD = p.maxDepth * (1 + widen);
    const byLobe = new Map<Lobe, number[]>();
    for (let c = 0; c < cand.idx.length; c++) {
      const d = cand.depth[c]!;
      if (d < minD || d > maxD || !wanted.has(cand.lobe[c]!)) continue;
      const idx = cand.idx[c]!;
      if (!tissueOk(anat, idx, p.tissue)) continue;
      const lobe = LOBES[cand.lobe[c]!]!;
      let list = byLobe.get(lobe);
      if (!list) byLobe.set(lobe, (list = []));
      list.push(idx);
    }
    const available = p.lobes.filter(([l]) => (byLobe.get(l)?.length ?? 0) > 0);
    if (!available.length) continue;
    const lobe = rng.weighted(available);
    const idx = rng.pick(byLobe.get(lobe)!);
    const i = idx % nx;
    const j = Math.floor(idx / nx) % ny;
    const k = Math.floor(idx / (nx * ny));
    const jit = () => rng.uniform(-0.5, 0.5) * anat.resolution;
    return [
      a[0]! * i + a[1]! * j + a[2]! * k + a[3]! + jit(),
      a[4]! * i + a[5]! * j + a[6]! * k + a[7]! + jit(),
      a[8]! * i + a[9]! * j + a[10]! * k + a[11]! + jit(),
    ];
  }
  throw new Error(`no brain location satisfies placement ${JSON.stringify(p)}`);
}

function randomAxes(rng: Rng): [Vec3, Vec3, Vec3] {
  const a = rng.unitVector();
  let t = rng.unitVector();
  while (Math.abs(a[0] * t[0] + a[1] * t[1] + a[2] * t[2]) > 0.9) t = rng.unitVector();
  const b = normalise(cross(a, t));
  const c = cross(a, b);
  return [a, b, c];
}

function blob(rng: Rng, centre: Vec3, meanRadius: number, elongation: number, irregularity: number, noiseScaleMm: number): Blob {
  const e = () => Math.exp(rng.uniform(-elongation, elongation));
  const r: Vec3 = [meanRadius * e(), meanRadius * e(), meanRadius * e()];
  const g = Math.cbrt(r[0] * r[1] * r[2]) / meanRadius;
  return {
    centre,
    radii: [r[0] / g, r[1] / g, r[2] / g],
    axes: randomAxes(rng),
    irregularity,
    noiseScaleMm,
    seed: rng.nextUint32(),
  };
}

function offset(rng: Rng, c: Vec3, maxMm: number): Vec3 {
  const u = rng.unitVector();
  const d = rng.uniform(0, maxMm);
  return [c[0] + u[0] * d, c[1] + u[1] * d, c[2] + u[2] * d];
}

/** Imaging features as drawn (reported in truth.json, useful to audit the phenotype rules). */
export interface ImagingFeatures {
  lesionCount: number;
  lobe: Lobe | null;
  side: 'left' | 'right' | 'midline' | null;
  enhancement: 'none' | 'ring' | 'solid' | 'patchy' | 'mixed';
  necrosis: boolean;
  t2FlairMismatch: boolean;
  calcification: boolean;
  /** Radius (mm) of each lesion body (mean semi-axis). */
  lesionRadiiMm: number[];
  massEffect: number;
}

export interface TumourPlan {
  kind: TumourKind;
  classes: ClassLabels;
  lesions: Lesion[];
  massEffects: MassEffect[];
  signal: TumourSignalChoice;
  textureSeed: number;
  textureScaleMm: number;
  features: ImagingFeatures;
  /** Age at scan (years); IDH-mutant gliomas present younger (drawn per kind). */
  patientAge: number;
}

function sideOf(c: Vec3): 'left' | 'right' | 'midline' {
  // LPS: +x is the patient's left.
  return c[0] > 3 ? 'left' : c[0] < -3 ? 'right' : 'midline';
}

function meanRadius(b: Blob): number {
  return (b.radii[0] + b.radii[1] + b.radii[2]) / 3;
}

function planGbm(anat: Anatomy, rng: Rng): TumourPlan {
  const r = rng.uniform(12, 24);
  const centre = sampleCentre(anat, rng, {
    lobes: [['frontal', 0.35], ['temporal', 0.3], ['parietal', 0.25], ['occipital', 0.1]],
    minDepth: 0.55 * r + 4, maxDepth: 60, tissue: 'white',
  });
  const body = blob(rng, centre, r, 0.22, rng.uniform(0.18, 0.32), r * 0.7);
  const oedema = blob(rng, offset(rng, centre, 5), r + rng.uniform(10, 28), 0.25, 0.35, 12);
  const lesion: Lesion = {
    // Enhancing rims of glioblastoma are typically 3-8 mm thick (thick, irregular, nodular in places).
    body, enhancement: 'ring', rimMm: rng.uniform(3, 7), rimVariation: rng.uniform(0.2, 0.4),
    marginMm: rng.uniform(2, 5), oedema, edgeMm: 1.2,
  };
  const strength = rng.uniform(0.15, 0.35);
  return {
    kind: 'gbm', classes: gliomaLabels('gbm', 4), lesions: [lesion],
    massEffects: [{ centre, radiusMm: r, strength }],
    signal: { ncr: 'necrosisGbm', et: 'enhancingGbm', net: 'coreAstro', texture: { ed: 0.06, ncr: 0.15, et: 0.12, net: 0.1 } },
    textureSeed: rng.nextUint32(), textureScaleMm: 4,
    features: {
      lesionCount: 1, lobe: lobeOf(lpsToMni(centre)), side: sideOf(centre), enhancement: 'ring', necrosis: true,
      t2FlairMismatch: false, calcification: false, lesionRadiiMm: [meanRadius(body)], massEffect: strength,
    },
    patientAge: Math.round(rng.gauss(64, 10, 40, 88)),
  };
}

function planAstro(anat: Anatomy, rng: Rng): TumourPlan {
  const grade = rng.chance(0.55) ? 2 : 3;
  const r = rng.uniform(14, grade === 2 ? 26 : 30);
  const centre = sampleCentre(anat, rng, {
    lobes: [['frontal', 0.5], ['temporal', 0.25], ['parietal', 0.2], ['deep', 0.05]],
    minDepth: 0.45 * r + 3, maxDepth: 50, tissue: 'white',
  });
  // Mismatch sign: positive in ~40-60 % of IDH-mutant astrocytomas (science.md 3.2); a bit rarer in grade 3.
  const mismatch = rng.chance(grade === 2 ? 0.6 : 0.45);
  const body = blob(rng, centre, r, 0.18, grade === 2 ? 0.1 : 0.18, r * 0.8);
  const lesion: Lesion = {
    body, enhancement: 'non-enhancing',
    // The FLAIR-bright rim of the mismatch sign (label 2), or a thin infiltrative margin.
    marginMm: mismatch ? rng.uniform(1.5, 3.5) : rng.uniform(1, 3),
    oedema: grade === 3 && rng.chance(0.5) ? blob(rng, centre, r + rng.uniform(3, 8), 0.2, 0.3, 10) : undefined,
    edgeMm: grade === 2 ? 1.2 : 1.8,
  };
  const strength = rng.uniform(0.04, 0.14);
  return {
    kind: 'astro', classes: gliomaLabels('astro', grade), lesions: [lesion],
    massEffects: [{ centre, radiusMm: r, strength }],
    signal: {
      ncr: 'necrosisGbm', et: 'enhancingOligo', net: mismatch ? 'coreAstroMismatch' : 'coreAstro',
      texture: { ed: 0.04, ncr: 0.1, et: 0.1, net: grade === 2 ? 0.04 : 0.1 },
    },
    textureSeed: rng.nextUint32(), textureScaleMm: 5,
    features: {
      lesionCount: 1, lobe: lobeOf(lpsToMni(centre)), side: sideOf(centre), enhancement: 'none', necrosis: false,
      t2FlairMismatch: mismatch, calcification: false, lesionRadiiMm: [meanRadius(body)], massEffect: strength,
    },
    patientAge: Math.round(rng.gauss(37, 10, 18, 70)),
  };
}

function planOligo(anat: Anatomy, rng: Rng): TumourPlan {
  const grade = rng.chance(0.6) ? 2 : 3;
  const r = rng.uniform(12, 26);
  const centre = sampleCentre(anat, rng, {
    lobes: [['frontal', 0.65], ['temporal', 0.12], ['parietal', 0.18], ['occipital', 0.05]],
    minDepth: 3, maxDepth: 12, tissue: 'junction',
  });
  const body = blob(rng, centre, r, 0.25, rng.uniform(0.25, 0.4), r * 0.6);
  const calcified = rng.chance(0.65);
  const calcifications: Blob[] = [];
  if (calcified) {
    const count = 1 + rng.poisson(3);
    for (let c = 0; c < count; c++) {
      calcifications.push(blob(rng, offset(rng, centre, r * 0.6), rng.uniform(1, 2.6), 0.3, 0.2, 2));
    }
  }
  const enhances = rng.chance(grade === 3 ? 0.55 : 0.15);
  const foci: Blob[] = [];
  if (enhances) {
    const count = rng.int(1, 4);
    for (let c = 0; c < count; c++) foci.push(blob(rng, offset(rng, centre, r * 0.6), rng.uniform(2, 5), 0.3, 0.3, 3));
  }
  const mismatch = rng.chance(0.05);
  const lesion: Lesion = {
    body, enhancement: 'non-enhancing', enhancingFoci: foci, calcifications,
    marginMm: rng.uniform(1, 3), edgeMm: 2.5,
    oedema: grade === 3 && rng.chance(0.4) ? blob(rng, centre, r + rng.uniform(3, 8), 0.2, 0.3, 10) : undefined,
  };
  const strength = rng.uniform(0.03, 0.12);
  return {
    kind: 'oligo', classes: gliomaLabels('oligo', grade), lesions: [lesion],
    massEffects: [{ centre, radiusMm: r, strength }],
    signal: {
      ncr: 'necrosisGbm', et: 'enhancingOligo', net: mismatch ? 'coreAstroMismatch' : 'coreOligo',
      texture: { ed: 0.05, ncr: 0.1, et: 0.12, net: 0.2 },
    },
    textureSeed: rng.nextUint32(), textureScaleMm: 3,
    features: {
      lesionCount: 1, lobe: lobeOf(lpsToMni(centre)), side: sideOf(centre), enhancement: enhances ? 'patchy' : 'none',
      necrosis: false, t2FlairMismatch: mismatch, calcification: calcified, lesionRadiiMm: [meanRadius(body)],
      massEffect: strength,
    },
    patientAge: Math.round(rng.gauss(44, 11, 20, 75)),
  };
}

/**
 * Metastases of lung adenocarcinoma. EGFR correlate (synthetic, weak by design; docs/synthetic-data.md): mutant ->
 * count 1 + Poisson(2.5), radius log-normal around 4.5 mm, oedema margin 3-12 mm; wildtype -> 1 + Poisson(0.8),
 * around 7.5 mm, oedema 6-22 mm. The distributions overlap widely.
 */
function planMets(anat: Anatomy, rng: Rng): TumourPlan {
  const egfr = rng.chance(0.5) ? 'mutant' : 'wildtype';
  const mutant = egfr === 'mutant';
  const count = Math.min(mutant ? 12 : 6, 1 + rng.poisson(mutant ? 2.5 : 0.8));
  const lesions: Lesion[] = [];
  const effects: MassEffect[] = [];
  const radii: number[] = [];
  const kinds = new Set<string>();
  let lobe: Lobe | null = null;
  let side: ImagingFeatures['side'] = null;
  for (let l = 0; l < count; l++) {
    const r = Math.min(16, Math.max(2.5, Math.exp(rng.gauss(Math.log(mutant ? 4.5 : 7.5), 0.4))));
    const centre = sampleCentre(anat, rng, {
      // Haematogenous spread follows blood flow: ~80 % cerebral hemispheres, ~15 % cerebellum.
      lobes: [['frontal', 0.3], ['parietal', 0.22], ['temporal', 0.15], ['occipital', 0.13], ['cerebellum', 0.15], ['deep', 0.05]],
      minDepth: r + 1, maxDepth: r + 14, tissue: 'junction',
    });
    const body = blob(rng, centre, r, 0.12, 0.06, Math.max(3, r));
    const ring = r > 7 ? rng.chance(0.75) : r > 5 ? rng.chance(0.35) : false;
    kinds.add(ring ? 'ring' : 'solid');
    const oedemaMargin = mutant ? rng.uniform(3, 12) : rng.uniform(6, 22);
    lesions.push({
      body, enhancement: ring ? 'ring' : 'solid', rimMm: Math.max(2, r * rng.uniform(0.3, 0.45)), rimVariation: 0.3,
      marginMm: 0, edgeMm: 1, oedema: blob(rng, centre, r + oedemaMargin, 0.2, 0.3, 8),
    });
    effects.push({ centre, radiusMm: r, strength: r > 6 ? rng.uniform(0.05, 0.2) : 0 });
    radii.push(meanRadius(body));
    if (l === 0) {
      lobe = lobeOf(lpsToMni(centre));
      side = sideOf(centre);
    }
  }
  return {
    kind: 'mets', classes: metastasisLabels(egfr), lesions, massEffects: effects,
    signal: { ncr: 'necrosisMet', et: 'enhancingMet', net: 'coreAstro', texture: { ed: 0.05, ncr: 0.08, et: 0.06, net: 0.05 } },
    textureSeed: rng.nextUint32(), textureScaleMm: 3,
    features: {
      lesionCount: count, lobe, side, enhancement: kinds.size > 1 ? 'mixed' : kinds.has('ring') ? 'ring' : 'solid',
      necrosis: kinds.has('ring'), t2FlairMismatch: false, calcification: false, lesionRadiiMm: radii,
      massEffect: Math.max(...effects.map((e) => e.strength)),
    },
    patientAge: Math.round(rng.gauss(62, 10, 35, 88)),
  };
}

function planNone(rng: Rng): TumourPlan {
  return {
    kind: 'none', classes: healthyLabels(), lesions: [], massEffects: [],
    signal: { ncr: 'necrosisGbm', et: 'enhancingGbm', net: 'coreAstro', texture: { ed: 0, ncr: 0, et: 0, net: 0 } },
    textureSeed: rng.nextUint32(), textureScaleMm: 4,
    features: {
      lesionCount: 0, lobe: null, side: null, enhancement: 'none', necrosis: false, t2FlairMismatch: false,
      calcification: false, lesionRadiiMm: [], massEffect: 0,
    },
    patientAge: Math.round(rng.uniform(20, 80)),
  };
}

export function planTumour(kind: TumourKind, anat: Anatomy, rng: Rng): TumourPlan {
  switch (kind) {
    case 'gbm':
      return planGbm(anat, rng);
    case 'astro':
      return planAstro(anat, rng);
    case 'oligo':
      return planOligo(anat, rng);
    case 'mets':
      return planMets(anat, rng);
    case 'none':
      return planNone(rng);
  }
}
