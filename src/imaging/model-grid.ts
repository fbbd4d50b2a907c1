/**
 * The reference grid a model runs on, from a GridSpec (grid-spec.ts) and the reference series.
 *
 * Axis conventions (unit directions in LPS of voxel axes i, j, k):
 *  - 'LPS': i -> patient left (+x), j -> posterior (+y), k -> head (+z).
 *  - 'RAS': i -> patient right (-x), j -> anterior (-y), k -> head (+z) (the NIfTI/nibabel "RAS+" voxel order).
 *  - 'reference-series': the reference series' row direction, column direction and slice normal.
 * Centre: 'volume-centre' = centre of the reference volume's voxel extent; 'head-centroid' = centroid of the
 * reference series' head mask (world space). The grid is placed so its centre voxel ((size - 1) / 2) sits there.
 */
import type { GridSpec } from './grid-spec';
import { affineFromAxes, applyAffine, column, cross, normalize } from './affine';
import type { TargetGrid } from './resample';
import type { Vec3, Volume } from './volume';
import { VolumeBuildError } from './volume-errors';

export interface GridGeometry extends TargetGrid {
  spacing: Vec3;
}

/** Unit directions of the grid axes for an orientation. */
export function gridDirections(orientation: GridSpec['orientation'], reference?: Volume): [Vec3, Vec3, Vec3] {
  if (orientation === 'LPS') return [[1, 0, 0], [0, 1, 0], [0, 0, 1]];
  if (orientation === 'RAS') return [[-1, 0, 0], [0, -1, 0], [0, 0, 1]];
  if (!reference) throw new VolumeBuildError("orientation 'reference-series' needs a reference volume", 'bad-grid');
  // Orthonormal frame from the reference's row and column directions (a sheared slice axis is not copied).
  const r = normalize(column(reference.affine, 0));
  const c = normalize(column(reference.affine, 1));
  return [r, c, normalize(cross(r, c))];
}

/** World position of a volume's centre (centre of its voxel extent). */
export function volumeCentre(v: Volume): Vec3 {
  return applyAffine(v.affine, [(v.dims[0] - 1) / 2, (v.dims[1] - 1) / 2, (v.dims[2] - 1) / 2]);
}

/** World centroid of the non-zero voxels of a mask on a volume's grid; undefined for an empty mask. */
export function maskCentroid(mask: Uint8Array, grid: { dims: Vec3; affine: Float64Array }): Vec3 | undefined {
  const [nx, ny, nz] = grid.dims;
  let si = 0, sj = 0, sk = 0, n = 0;
  let o = 0;
  for (let k = 0; k < nz; k++) {
    for (let j = 0; j < ny; j++) {
      for (let i = 0; i < nx; i++, o++) {
        if (mask[o]) {
          si += i;
          sj += j;
          sk += k;
          n++;
        }
      }
    }
  }
  return n ? applyAffine(grid.affine, [si / n, sj / n, sk / n]) : undefined;
}

function checkSpec(spec: GridSpec): void {
  const ok = (v: Vec3, pos: (x: number) => boolean): boolean => v.length === 3 && v.every((x) => Number.isFinite(x) && pos(x));
  if (!ok(spec.spacing, (x) => x > 0)) throw new VolumeBuildError(`GridSpec spacing ${JSON.stringify(spec.spacing)} must be three positive numbers`, 'bad-grid');
  if (!ok(spec.size, (x) => Number.isInteger(x) && x > 0)) throw new VolumeBuildError(`GridSpec size ${JSON.stringify(spec.size)} must be three positive integers`, 'bad-grid');
}

/** The model grid for a spec, centred on `centre` (LPS mm). */
export function gridFromSpec(spec: GridSpec, centre: Vec3, reference?: Volume): GridGeometry {
  checkSpec(spec);
  const dirs = gridDirections(spec.orientation, reference);
  const half = spec.size.map((n, a) => ((n - 1) / 2) * spec.spacing[a]!) as Vec3;
  const origin: Vec3 = [0, 1, 2].map((r) => centre[r]! - dirs[0][r]! * half[0] - dirs[1][r]! * half[1] - dirs[2][r]! * half[2]) as Vec3;
  return { dims: [...spec.size] as Vec3, spacing: [...spec.spacing] as Vec3, affine: affineFromAxes(dirs, spec.spacing, origin) };
}

/** A series' own grid as a target (used when the model runs on the reference series' native grid). */
export function gridOfVolume(v: Volume): GridGeometry {
  return { dims: [...v.dims] as Vec3, spacing: [...v.spacing] as Vec3, affine: new Float64Array(v.affine) };
}
