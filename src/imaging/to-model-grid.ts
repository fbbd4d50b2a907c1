/**
 * THE preprocessing: selected series volumes -> one model grid, resampled (trilinear, DICOM patient coordinates)
 * and normalised. Inference (src/ai) and the training-set export (src/synth) both call toModelGrid, so training and
 * inference see exactly the same transform.
 *
 * Co-registration is by patient coordinates only (no optimisation): correct when the series share a
 * FrameOfReferenceUID (one session, no patient motion). When they do not, a 'frame-of-reference-differs' warning
 * names the roles and the patient coordinates are still used.
 *
 * Registration results come in as geometry, never as extra resampling: a template-space grid is given as its
 * patient-space affine (template->patient transform composed with the template grid, src/registration), so every
 * channel is interpolated once. A brain mask (skull strip) is resampled onto the grid and zeroes every channel
 * outside it before normalisation; it is then the statistics mask of 'head' normalisation.
 */
import type { ModelRole } from '../series-id/roles';
import type { GridSpec, NormalisationSpec } from './grid-spec';
import { headMask } from './head-mask';
import { gridFromSpec, gridOfVolume, maskCentroid, volumeCentre, type GridGeometry } from './model-grid';
import { normaliseChannel } from './normalise';
import { resampleLinear, resampleNearest } from './resample';
import type { SeriesVolume, Vec3, Volume } from './volume';
import { VolumeBuildError, type VolumeWarning } from './volume-errors';

export interface ChannelStats {
  mean: number;
  std: number;
  clip?: [number, number];
  /** Fraction of grid voxels inside this series' field of view. */
  coverage: number;
}

/** One case on the model grid. Structurally a superset of src/ai's GridInput. */
export interface ModelGridCase {
  dims: Vec3;
  spacing: Vec3;
  /** Grid voxel -> patient LPS mm (4x4 row-major). */
  affine: Float64Array;
  /** Normalised channels (i fastest), keyed by role. */
  channels: Partial<Record<ModelRole, Float32Array>>;
  /** Head mask of the reference channel on the grid (1 = head); the statistics mask of 'head' normalisation for every channel. */
  headMask: Uint8Array;
  /** The brain mask on the grid when the channels were skull-stripped. */
  brainMask?: Uint8Array;
  /** Per channel: 1 where the grid voxel lies inside that series' field of view. */
  coverage: Partial<Record<ModelRole, Uint8Array>>;
  stats: Partial<Record<ModelRole, ChannelStats>>;
  referenceRole: ModelRole;
  referenceSeriesInstanceUid: string;
  frameOfReferenceUid?: string;
  warnings: VolumeWarning[];
}

/**
 * 'reference-native' runs on the reference series' own voxel grid instead of a GridSpec grid; a GridGeometry is a
 * grid already placed in patient space (template space after registration).
 */
export type ModelGridChoice = GridSpec | 'reference-native' | { geometry: GridGeometry };

export interface ModelGridOptions {
  /** Skull strip: brain mask (1 = brain) on any grid in patient space, e.g. the reference series'. */
  brainMask?: Volume<Uint8Array>;
}

/** Centroid of the reference's head mask, computed on a coarse (~3 mm) copy of the reference: cheap and sufficient. */
export function headCentroid(reference: Volume): Vec3 {
  const extent = reference.dims.map((n, a) => n * reference.spacing[a]!) as Vec3;
  const step = 3;
  const coarseSpec: GridSpec = {
    spacing: [step, step, step],
    size: extent.map((e) => Math.max(1, Math.ceil(e / step))) as Vec3,
    orientation: 'reference-series',
    centre: 'volume-centre',
  };
  const coarse = gridFromSpec(coarseSpec, volumeCentre(reference), reference);
  const values = resampleLinear(reference, coarse, { fill: NaN });
  const covered = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) covered[i] = Number.isFinite(values[i]) ? 1 : 0;
  const mask = headMask(values, coarse.dims, { covered });
  return maskCentroid(mask, coarse) ?? volumeCentre(reference);
}

/** The grid for a choice and reference. */
export function modelGridFor(choice: ModelGridChoice, reference: Volume): GridGeometry {
  if (choice === 'reference-native') return gridOfVolume(reference);
  if ('geometry' in choice) return choice.geometry;
  const centre = choice.centre === 'head-centroid' ? headCentroid(reference) : volumeCentre(reference);
  return gridFromSpec(choice, centre, reference);
}

/**
 * Resamples and normalises the given volumes onto the model grid defined by `grid` around the reference series.
 * Throws VolumeBuildError('bad-grid') when the reference role is absent or the grid does not overlap it.
 */
export function toModelGrid(
  volumes: Partial<Record<ModelRole, SeriesVolume>>,
  referenceRole: ModelRole,
  grid: ModelGridChoice,
  norm: NormalisationSpec,
  opts: ModelGridOptions = {},
): ModelGridCase {
  const reference = volumes[referenceRole];
  if (!reference) {
    throw new VolumeBuildError(
      `reference role '${referenceRole}' has no volume (present: ${Object.keys(volumes).join(', ') || 'none'})`,
      'bad-grid',
    );
  }
  const g = modelGridFor(grid, reference);
  const warnings: VolumeWarning[] = [];
  const refFor = reference.frameOfReferenceUid;
  const channels: ModelGridCase['channels'] = {};
  const coverage: ModelGridCase['coverage'] = {};
  const stats: ModelGridCase['stats'] = {};
  const roles = (Object.keys(volumes) as ModelRole[]).filter((r) => volumes[r]);
  // Reference first: its head mask (on the grid, before normalisation) is the statistics mask of every channel.
  roles.sort((a, b) => (a === referenceRole ? -1 : b === referenceRole ? 1 : 0));
  let mask: Uint8Array | undefined;
  const brain = opts.brainMask ? (resampleNearest(opts.brainMask, g, { fill: 0 }) as Uint8Array) : undefined;
  for (const role of roles) {
    const v = volumes[role]!;
    if (role !== referenceRole && (!refFor || !v.frameOfReferenceUid || v.frameOfReferenceUid !== refFor)) {
      warnings.push({
        code: 'frame-of-reference-differs',
        message: `${role} and ${referenceRole} do not share a FrameOfReferenceUID (${v.frameOfReferenceUid ?? 'none'} vs ${refFor ?? 'none'}); aligned by patient coordinates only`,
      });
    }
    const values = resampleLinear(v, g, { fill: NaN });
    const covered = new Uint8Array(values.length);
    let nCovered = 0;
    for (let i = 0; i < values.length; i++) {
      if (Number.isFinite(values[i])) {
        covered[i] = 1;
        nCovered++;
      }
    }
    if (role === referenceRole) {
      if (nCovered === 0) throw new VolumeBuildError(`model grid does not overlap the reference series (${referenceRole})`, 'bad-grid', v.seriesInstanceUid);
      mask = brain ?? headMask(values, g.dims, { covered });
    }
    if (brain) for (let i = 0; i < values.length; i++) if (!brain[i]) values[i] = 0;
    const r = normaliseChannel(values, g.dims, norm, covered, mask);
    channels[role] = values;
    coverage[role] = covered;
    stats[role] = { mean: r.mean, std: r.std, ...(r.clip ? { clip: r.clip } : {}), coverage: nCovered / values.length };
  }
  return {
    dims: g.dims,
    spacing: g.spacing,
    affine: g.affine,
    channels,
    headMask: mask!,
    ...(brain ? { brainMask: brain } : {}),
    coverage,
    stats,
    referenceRole,
    referenceSeriesInstanceUid: reference.seriesInstanceUid,
    ...(refFor ? { frameOfReferenceUid: refFor } : {}),
    warnings,
  };
}
