/**
 * The brain template the node registers to, and template-space model grids placed in patient space.
 *
 * Template: Colin27 (ch2.nii.gz, MNI space, 1 mm) with its brain mask from ch2bet.nii.gz (Debian mricron-data). It
 * stands in for SRI24, the BraTS atlas, which Debian does not ship: both are adult MNI-like spaces, so a BraTS grid
 * placed on Colin27 differs from SRI24 placement by a translation and a few per cent of scale. Models that crop to
 * the non-zero (skull-stripped) region, as nnU-Net does, are insensitive to that (docs/model-package.md).
 *
 * A template grid is first built in template LPS mm, then moved into patient space by the affine template->patient
 * transform from registration: A_patient = T_template->patient * A_template. Resampling the series onto that grid
 * (to-model-grid) and mapping results back (inverse-map) both use this one affine, so the forward and inverse maps
 * are exact inverses and every series is interpolated once.
 */
import type { Mat4 } from '../imaging/affine';
import { multiply4 } from '../imaging/affine';
import type { GridSpec } from '../imaging/grid-spec';
import { fillHoles3d } from '../imaging/head-mask';
import { gridFromSpec, maskCentroid, volumeCentre, type GridGeometry } from '../imaging/model-grid';
import type { Volume } from '../imaging/volume';
import { MRICRON_TEMPLATES, readTemplate } from '../synth/template-reader';

export interface BrainTemplate {
  name: string;
  /** T1 template image (template LPS mm). */
  image: Volume<Float32Array>;
  /** Brain mask (1 = brain), holes filled, same grid as the image. */
  brain: Volume<Uint8Array>;
}

export const TEMPLATE_NAME = 'Colin27 (mricron ch2, MNI space)';

const cache = new Map<string, BrainTemplate>();

/** Loads (once per process; shared, never mutate) ch2 and its ch2bet brain mask. */
export function loadBrainTemplate(dir = MRICRON_TEMPLATES): BrainTemplate {
  const hit = cache.get(dir);
  if (hit) return hit;
  const t1 = readTemplate(`${dir}/ch2.nii.gz`);
  const bet = readTemplate(`${dir}/ch2bet.nii.gz`);
  const image = { ...t1, data: Float32Array.from(t1.data) };
  const mask = new Uint8Array(bet.data.length);
  for (let i = 0; i < mask.length; i++) mask[i] = bet.data[i]! > 0 ? 1 : 0;
  fillHoles3d(mask, bet.dims);
  const t: BrainTemplate = { name: TEMPLATE_NAME, image, brain: { ...bet, data: mask } };
  cache.set(dir, t);
  return t;
}

/** The declared grid in template space: centred on the template volume centre or its brain centroid. */
export function templateGrid(spec: GridSpec, template: BrainTemplate): GridGeometry {
  const centre = spec.centre === 'head-centroid' ? (maskCentroid(template.brain.data, template.brain) ?? volumeCentre(template.image)) : volumeCentre(template.image);
  return gridFromSpec(spec, centre);
}

/** A template-space grid moved into patient space by an affine template->patient transform. */
export function gridInPatient(grid: GridGeometry, templateToPatient: Mat4): GridGeometry {
  return { dims: [...grid.dims], spacing: [...grid.spacing], affine: multiply4(templateToPatient, grid.affine) };
}
