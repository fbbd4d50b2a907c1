/**
 * Brain extraction of the reference series, atlas-based: the Colin27 template is registered to the reference
 * (affine then B-spline, Mattes mutual information, elastix through the shared engine wrapper) and its brain mask is
 * warped onto the reference grid. The affine stage is also the template->patient transform a template-space model
 * grid is placed with (template-space.ts), so one registration serves both.
 *
 * The template is first shifted so its head centroid sits on the reference's head centroid: the head can be several
 * centimetres from the template origin, more than a multi-resolution optimiser reliably recovers on its own.
 * The warped mask is fractional (linear warp of a 0/1 mask), resampled to the reference grid and cut at 0.5, so the
 * boundary is not quantised to the coarse registration grid.
 */
import type { Mat4 } from '../imaging/affine';
import { invertAffine, multiply4 } from '../imaging/affine';
import { fillHoles3d, keepLargestComponent } from '../imaging/head-mask';
import { resampleLinear } from '../imaging/resample';
import { headCentroid } from '../imaging/to-model-grid';
import type { Vec3, Volume } from '../imaging/volume';
import { engineDescription, register, warp, type RegisterOptions } from './elastix-engine';
import { loadBrainTemplate, type BrainTemplate } from './template-space';

export interface BrainExtraction {
  method: 'atlas' | 'model';
  /** Brain mask (1 = brain) on the reference series' grid. */
  mask: Volume<Uint8Array>;
  /** Affine template -> patient (LPS mm) from the atlas registration's linear stages (atlas method only). */
  templateToPatient?: Mat4;
  /** For provenance: method, template, engine and version. */
  description: string;
  elapsedMs: number;
}

export interface AtlasOptions {
  template?: BrainTemplate;
  /** Registration voxel size (mm); default 3 (about 60x70x60 voxels for a head). */
  spacingMm?: number;
  /** Skip the B-spline stage (affine only): faster, coarser mask. */
  affineOnly?: boolean;
  /** Overrides of the parameter maps (iterations, samples, B-spline grid spacing). */
  maps?: Omit<RegisterOptions, 'stages' | 'spacingMm' | 'parameterMaps'>;
}

function translation(t: Vec3): Mat4 {
  return new Float64Array([1, 0, 0, t[0], 0, 1, 0, t[1], 0, 0, 1, t[2], 0, 0, 0, 1]);
}

/** A 0/1 mask from fractional values on the reference grid: >= threshold, largest component, holes filled. */
export function binariseMask(values: Float32Array, dims: Vec3, threshold = 0.5): Uint8Array {
  const mask = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) mask[i] = values[i]! >= threshold ? 1 : 0;
  keepLargestComponent(mask, dims);
  fillHoles3d(mask, dims);
  return mask;
}

export async function atlasBrainExtraction(reference: Volume, opts: AtlasOptions = {}): Promise<BrainExtraction> {
  const t0 = Date.now();
  const template = opts.template ?? loadBrainTemplate();
  const shift = headCentroid(reference).map((c, a) => c - headCentroid(template.image)[a]!) as Vec3;
  const S = translation(shift);
  const moved = (v: Volume): Volume => ({ ...v, affine: multiply4(S, v.affine) });
  const stages: RegisterOptions['stages'] = opts.affineOnly ? ['affine'] : ['affine', 'bspline'];
  const reg = await register(reference, moved(template.image), { ...opts.maps, stages, spacingMm: opts.spacingMm ?? 3 });
  // fixedToMoving: patient -> shifted template; undo the shift, invert.
  const patientToTemplate = multiply4(translation([-shift[0], -shift[1], -shift[2]]), reg.fixedToMoving);
  const fraction = await warp(moved({ ...template.brain, data: Float32Array.from(template.brain.data) }), reg.transformParameterObject, 'linear');
  const onReference = resampleLinear(fraction, { dims: reference.dims, affine: reference.affine }, { fill: 0 });
  const mask = binariseMask(onReference, reference.dims);
  return {
    method: 'atlas',
    mask: { dims: [...reference.dims], spacing: [...reference.spacing], affine: new Float64Array(reference.affine), data: mask },
    templateToPatient: invertAffine(patientToTemplate),
    description: `atlas: ${template.name} brain mask (ch2bet) warped by ${stages.join(' + ')} registration, ${engineDescription(reg.engine)}`,
    elapsedMs: Date.now() - t0,
  };
}
