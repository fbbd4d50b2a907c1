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
import { applyAffine, multiply4 } from '../imaging/affine';
import type { GridSpec } from '../imaging/grid-spec';
import { fillHoles3d } from '../imaging/head-mask';
import { gridFromSpec, maskCentroid, volumeCentre, type GridGeometry } from '../imaging/model-grid';
import type { Vec3, Volume } from '../imaging/volume';
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

/** World centre of the bounding box of a mask's voxels; undefined for an empty mask. */
function maskBoxCentre(mask: Volume<Uint8Array>): Vec3 | undefined {
  const [nx, ny, nz] = mask.dims;
  const lo = [Infinity, Infinity, Infinity];
  const hi = [-Infinity, -Infinity, -Infinity];
  let o = 0;
  for (let k = 0; k < nz; k++) {
    for (let j = 0; j < ny; j++) {
      for (let i = 0; i < nx; i++, o++) {
        if (!mask.data[o]) continue;
        const p = applyAffine(mask.affine, [i, j, k]);
        for (let a = 0; a < 3; a++) {
          lo[a] = Math.min(lo[a]!, p[a]!);
          hi[a] = Math.max(hi[a]!, p[a]!);
        }
      }
    }
  }
  return Number.isFinite(lo[0]) ? ([0, 1, 2].map((a) => (lo[a]! + hi[a]!) / 2) as Vec3) : undefined;
}

/**
 * The declared grid in template space. 'volume-centre' = the centre of the template brain's bounding box (an
 * atlas grid like BraTS' 240x240x155 is the brain-centred volume of its atlas; Colin27's own volume centre sits
 * 10 mm above the brain's and would cut the cerebellum off a 155 mm grid); 'head-centroid' = the brain's centroid.
 */
export function templateGrid(spec: GridSpec, template: BrainTemplate): GridGeometry {
  const centre = spec.centre === 'head-centroid' ? maskCentroid(template.brain.data, template.brain) : maskBoxCentre(template.brain);
  return gridFromSpec(spec, centre ?? volumeCentre(template.image));
}

/** A template-space grid moved into patient space by an affine template->patient transform. */
export function gridInPatient(grid: GridGeometry, templateToPatient: Mat4): GridGeometry {
  return { dims: [...grid.dims], spacing: [...grid.spacing], affine: multiply4(templateToPatient, grid.affine) };
}
