/**
 * Training-set tumour variety: takes a phenotype's plan (phenotypes.ts) and moves, resizes or reshapes its lesions
 * without changing the class labels. Every change is geometric or a compartment-signal choice, so the rasteriser
 * still confines tumour to brain tissue and the labels stay consistent with the images.
 *  - location: anywhere in the hemispheres (white matter or grey-white junction), cortex, periventricular (deep
 *    white matter far from the surface), or infratentorial (unseen only; gliomas).
 *  - shape: multifocal (GBM: 1-2 smaller satellite foci), infiltrative (irregular diffuse margins, little mass
 *    effect), cystic (GBM/metastasis: thin enhancing rim around a fluid-filled core, labelled NCR as in BraTS).
 *  - size: a glioma's main lesion rescaled to a drawn radius, metastases by a factor.
 */
import type { Vec3 } from '../imaging/volume';
import type { Anatomy } from './anatomy';
import { lpsToMni } from './anatomy';
import type { MassEffect } from './mass-effect';
import { lobeOf, sampleCentre, type Lobe, type Placement, type TumourPlan } from './phenotypes';
import type { Rng } from './random';
import type { Blob, Lesion } from './tumour';
import type { TumourLocation, VarietySettings } from './variety';

const HEMISPHERES: ReadonlyArray<readonly [Lobe, number]> = [['frontal', 0.3], ['temporal', 0.2], ['parietal', 0.25], ['occipital', 0.15], ['deep', 0.1]];

function meanRadius(b: Blob): number {
  return (b.radii[0] + b.radii[1] + b.radii[2]) / 3;
}

function scaleAbout(b: Blob, c: Vec3, s: number): Blob {
  return {
    ...b,
    centre: [0, 1, 2].map((a) => c[a]! + (b.centre[a]! - c[a]!) * s) as Vec3,
    radii: b.radii.map((r) => r * s) as Vec3,
    noiseScaleMm: b.noiseScaleMm * s,
  };
}

function shift(b: Blob, d: Vec3): Blob {
  return { ...b, centre: [b.centre[0] + d[0], b.centre[1] + d[1], b.centre[2] + d[2]] };
}

/** Applies `f` to every blob of a lesion (body, oedema, foci, calcifications). */
function mapBlobs(l: Lesion, f: (b: Blob) => Blob): Lesion {
  return {
    ...l, body: f(l.body),
    ...(l.oedema ? { oedema: f(l.oedema) } : {}),
    ...(l.enhancingFoci ? { enhancingFoci: l.enhancingFoci.map(f) } : {}),
    ...(l.calcifications ? { calcifications: l.calcifications.map(f) } : {}),
  };
}

/**
 * Resizes a lesion by `s` about its body centre. The oedema's extent beyond the tumour shrinks with a smaller lesion
 * (by sqrt(s)) but does not grow with a larger one: a 7 cm glioma keeps the phenotype's 1-3 cm of oedema instead of
 * one reaching across the hemisphere.
 */
function scaleLesion(l: Lesion, m: MassEffect, s: number): [Lesion, MassEffect] {
  const c = l.body.centre;
  const r0 = meanRadius(l.body);
  const oedemaScale = l.oedema ? (r0 * s + (meanRadius(l.oedema) - r0) * Math.min(1, Math.sqrt(s))) / meanRadius(l.oedema) : 1;
  const scaled = mapBlobs(l, (b) => scaleAbout(b, c, b === l.oedema ? oedemaScale : s));
  // Rims and margins are tissue thicknesses: they grow more slowly than the lesion.
  const t = Math.sqrt(s);
  return [
    { ...scaled, ...(l.rimMm ? { rimMm: l.rimMm * t } : {}), marginMm: l.marginMm * t },
    { ...m, radiusMm: m.radiusMm * s },
  ];
}

export function placementFor(location: Exclude<TumourLocation, 'default'>, radiusMm: number, rng: Rng): Placement {
  switch (location) {
    case 'anywhere':
      return { lobes: HEMISPHERES, minDepth: 0.4 * radiusMm + 2, maxDepth: 70, tissue: rng.chance(0.5) ? 'white' : 'junction' };
    case 'cortex':
      return { lobes: HEMISPHERES.filter(([l]) => l !== 'deep'), minDepth: 1, maxDepth: 6, tissue: 'cortex' };
    case 'periventricular':
      return { lobes: [['deep', 0.5], ['frontal', 0.25], ['parietal', 0.25]], minDepth: 24, maxDepth: 90, tissue: 'white' };
    case 'infratentorial':
      return { lobes: [['cerebellum', 0.7], ['brainstem', 0.3]], minDepth: 0.3 * radiusMm + 2, maxDepth: 60, tissue: 'white' };
  }
}

/** Largest main-lesion radius that fits the posterior fossa. */
const INFRATENTORIAL_MAX_RADIUS_MM = 15;

function freshSeeds(l: Lesion, rng: Rng): Lesion {
  return mapBlobs(l, (b) => ({ ...b, seed: rng.nextUint32() }));
}

export function varyTumour(plan: TumourPlan, anat: Anatomy, rng: Rng, t: VarietySettings['tumour']): TumourPlan {
  if (!plan.lesions.length) return plan;
  let lesions = [...plan.lesions];
  let effects = [...plan.massEffects];
  const signal = { ...plan.signal };
  let enhancement = plan.features.enhancement;
  let necrosis = plan.features.necrosis;

  // Size.
  const target = t.radiusMm === null ? null : t.location === 'infratentorial' ? Math.min(t.radiusMm, INFRATENTORIAL_MAX_RADIUS_MM) : t.radiusMm;
  lesions.forEach((l, i) => {
    const s = target !== null && i === 0 ? target / meanRadius(l.body) : t.sizeScale;
    if (s !== 1) [lesions[i], effects[i]] = scaleLesion(l, effects[i]!, s);
  });
  if (t.location === 'infratentorial' && target === null) {
    // Metastases keep their size draw; anything larger than the fossa allows is shrunk.
    lesions.forEach((l, i) => {
      const r = meanRadius(l.body);
      if (r > INFRATENTORIAL_MAX_RADIUS_MM) [lesions[i], effects[i]] = scaleLesion(l, effects[i]!, INFRATENTORIAL_MAX_RADIUS_MM / r);
    });
  }

  // Location: each lesion moved to a fresh centre satisfying the placement.
  if (t.location !== 'default') {
    const loc = t.location;
    lesions.forEach((l, i) => {
      const r = meanRadius(l.body);
      const c = sampleCentre(anat, rng, placementFor(loc, r, rng));
      const d: Vec3 = [c[0] - l.body.centre[0], c[1] - l.body.centre[1], c[2] - l.body.centre[2]];
      lesions[i] = mapBlobs(l, (b) => shift(b, d));
      effects[i] = { ...effects[i]!, centre: c };
    });
  }

  // Shape.
  if (t.shape === 'infiltrative') {
    lesions = lesions.map((l) => ({
      ...l,
      body: { ...l.body, irregularity: rng.uniform(0.4, 0.55), noiseScaleMm: Math.max(3, meanRadius(l.body) * 0.4) },
      edgeMm: rng.uniform(3, 5), marginMm: rng.uniform(3, 7),
    }));
    effects = effects.map((m) => ({ ...m, strength: m.strength * 0.3 }));
  } else if (t.shape === 'cystic') {
    lesions = lesions.map((l) => (l.enhancement === 'non-enhancing' || meanRadius(l.body) < 5 ? l : {
      ...l, enhancement: 'ring', rimMm: rng.uniform(1.5, 3), rimVariation: 0.15, body: { ...l.body, irregularity: Math.min(l.body.irregularity, 0.06) },
    }));
    signal.ncr = 'cyst';
    if (lesions.some((l) => l.enhancement === 'ring')) {
      necrosis = true;
      enhancement = lesions.every((l) => l.enhancement === 'ring') ? 'ring' : 'mixed';
    }
  } else if (t.shape === 'multifocal') {
    const main = lesions[0]!;
    const mainEffect = effects[0]!;
    const satellites = rng.int(1, 2);
    for (let k = 0; k < satellites; k++) {
      const [small, smallEffect] = scaleLesion(freshSeeds(main, rng), mainEffect, rng.uniform(0.3, 0.55));
      const r = meanRadius(small.body);
      const c = sampleCentre(anat, rng, { lobes: HEMISPHERES, minDepth: 0.5 * r + 4, maxDepth: 60, tissue: 'white' });
      const d: Vec3 = [c[0] - small.body.centre[0], c[1] - small.body.centre[1], c[2] - small.body.centre[2]];
      lesions.push(mapBlobs(small, (b) => shift(b, d)));
      effects.push({ ...smallEffect, centre: c, strength: smallEffect.strength * 0.5 });
    }
  }

  const first = lesions[0]!.body.centre;
  return {
    ...plan, lesions, massEffects: effects, signal,
    features: {
      ...plan.features,
      lesionCount: lesions.length,
      lobe: lobeOf(lpsToMni(first)),
      side: first[0] > 3 ? 'left' : first[0] < -3 ? 'right' : 'midline',
      enhancement, necrosis,
      lesionRadiiMm: lesions.map((l) => meanRadius(l.body)),
      massEffect: Math.max(...effects.map((m) => m.strength)),
    },
  };
}
