/**
 * Which planes the key images show, and how a plane of the display series becomes a raster. Three orthogonal planes
 * through the tumour: the acquired plane with the most tumour, and the two reformatted planes (a fixed column, a fixed
 * row of the stack) with the most tumour. Reformatted planes are resampled to square pixels (nearest neighbour: the
 * image shows the voxels as they are) and turned to the usual reading orientation (patient's left on the image's right,
 * head up, anterior up in an axial view). Pure.
 */
import type { Vec3 } from '../../imaging/volume';

export type PlaneAxis = 0 | 1 | 2;

/** A plane of the stack: all voxels with index `index` along voxel axis `axis` (2 = an acquired slice). */
export interface KeyPlane {
  axis: PlaneAxis;
  index: number;
  /** Segmented voxels in the plane. */
  voxels: number;
}

/** One of the three through the tumour per axis, acquired plane first; [] when nothing is segmented. */
export function orthogonalKeyPlanes(labelmap: ArrayLike<number>, dims: Vec3): KeyPlane[] {
  const [nx, ny, nz] = dims;
  const per: [number[], number[], number[]] = [new Array<number>(nx).fill(0), new Array<number>(ny).fill(0), new Array<number>(nz).fill(0)];
  let total = 0;
  for (let k = 0, idx = 0; k < nz; k++) {
    for (let j = 0; j < ny; j++) {
      for (let i = 0; i < nx; i++, idx++) {
        if (!labelmap[idx]) continue;
        per[0][i] = per[0][i]! + 1;
        per[1][j] = per[1][j]! + 1;
        per[2][k] = per[2][k]! + 1;
        total++;
      }
    }
  }
  if (!total) return [];
  const best = (axis: PlaneAxis): KeyPlane => {
    const counts = per[axis];
    let index = 0;
    for (let x = 1; x < counts.length; x++) if (counts[x]! > counts[index]!) index = x;
    return { axis, index, voxels: counts[index]! };
  };
  return [best(2), best(1), best(0)];
}

/** A plane as an image: pixel (x, y) shows voxel `voxel(x, y)`; directions are unit LPS vectors. */
export interface PlaneRaster {
  width: number;
  height: number;
  voxel(x: number, y: number): number;
  /** Patient direction of increasing x (image right) and of increasing y (image down). */
  right: Vec3;
  down: Vec3;
}

function column(affine: Float64Array, c: number): Vec3 {
  const v: Vec3 = [affine[c]!, affine[4 + c]!, affine[8 + c]!];
  const n = Math.hypot(v[0], v[1], v[2]) || 1;
  return [v[0] / n, v[1] / n, v[2] / n];
}

/** The patient axis a direction mostly follows: 0 = x (R->L), 1 = y (A->P), 2 = z (F->H); and its sign. */
function dominant(v: Vec3): { axis: number; sign: number } {
  const a = [0, 1, 2].reduce((m, x) => (Math.abs(v[x]!) > Math.abs(v[m]!) ? x : m), 0);
  return { axis: a, sign: Math.sign(v[a]!) || 1 };
}

/**
 * Reading orientation: a direction along left-right or anterior-posterior should point to the patient's left or
 * posterior (image right = patient left; anterior up in an axial view), one along head-foot to the feet (head up).
 */
function wantFlip(v: Vec3): boolean {
  const d = dominant(v);
  return d.axis === 2 ? d.sign > 0 : d.sign < 0;
}

/**
 * The raster of a plane. The acquired plane (axis 2) keeps the stored row/column order, as the scanner shows it;
 * reformatted planes get square pixels and the reading orientation above.
 */
export function planeRaster(vol: { dims: Vec3; spacing: Vec3; affine: Float64Array }, plane: KeyPlane): PlaneRaster {
  const [nx, ny] = vol.dims;
  const at = (i: number, j: number, k: number): number => i + nx * (j + ny * k);
  if (plane.axis === 2) {
    const k = plane.index;
    return { width: nx, height: ny, voxel: (x, y) => at(x, y, k), right: column(vol.affine, 0), down: column(vol.affine, 1) };
  }
  // The plane's two free voxel axes: u across, v down (the slice axis runs down).
  const u: PlaneAxis = plane.axis === 1 ? 0 : 1;
  const v: PlaneAxis = 2;
  const nu = vol.dims[u];
  const nv = vol.dims[v];
  const su = vol.spacing[u];
  const sv = vol.spacing[v];
  const pixel = Math.min(su, sv);
  const width = Math.max(1, Math.round((nu * su) / pixel));
  const height = Math.max(1, Math.round((nv * sv) / pixel));
  let right = column(vol.affine, u);
  let down = column(vol.affine, v);
  const flipU = wantFlip(right);
  const flipV = wantFlip(down);
  if (flipU) right = [-right[0], -right[1], -right[2]];
  if (flipV) down = [-down[0], -down[1], -down[2]];
  const voxel = (x: number, y: number): number => {
    let a = Math.min(nu - 1, Math.floor(((x + 0.5) * pixel) / su));
    let b = Math.min(nv - 1, Math.floor(((y + 0.5) * pixel) / sv));
    if (flipU) a = nu - 1 - a;
    if (flipV) b = nv - 1 - b;
    return plane.axis === 1 ? at(a, plane.index, b) : at(plane.index, a, b);
  };
  return { width, height, voxel, right, down };
}

/** AXIAL, CORONAL or SAGITTAL: the patient plane the image plane is closest to. */
export function planeName(raster: Pick<PlaneRaster, 'right' | 'down'>): string {
  const [a, b] = [raster.right, raster.down];
  const normal: Vec3 = [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
  return ['SAGITTAL', 'CORONAL', 'AXIAL'][dominant(normal).axis]!;
}
