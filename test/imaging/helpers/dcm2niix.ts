/**
 * dcm2niix (Debian) as the reference converter: write a series to a folder, convert it, read the NIfTI back, and
 * compare our volume with it in world space (dcm2niix flips/reorders axes; we map our voxel indices onto its
 * voxel indices through both affines instead of assuming a layout).
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyAffine, invertAffine, multiply4 } from '../../../src/imaging/affine';
import { readNifti, type NiftiImage } from '../../../src/imaging/nifti';
import type { Vec3, Volume } from '../../../src/imaging/volume';
import { runTool } from '../../helpers/dcmtk';

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function writeFiles(dir: string, buffers: Buffer[]): string[] {
  mkdirSync(dir, { recursive: true });
  return buffers.map((b, i) => {
    const p = join(dir, `${String(i).padStart(4, '0')}.dcm`);
    writeFileSync(p, b);
    return p;
  });
}

/** Converts a folder with dcm2niix (uncompressed .nii, no crop, no merge) and reads the single output. */
export async function dcm2niix(inputDir: string): Promise<NiftiImage> {
  const out = join(inputDir, '..', `${inputDir.split('/').pop()}-nii`);
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out);
  const r = await runTool('dcm2niix', ['-z', 'n', '-b', 'n', '-f', 'v', '-o', out, inputDir], { timeoutMs: 60000 });
  const niis = readdirSync(out).filter((f) => f.endsWith('.nii'));
  if (r.code !== 0 || niis.length !== 1) {
    throw new Error(`dcm2niix exit ${r.code}, outputs ${JSON.stringify(niis)}: ${r.stdout.slice(-800)} ${r.stderr.slice(-400)}`);
  }
  return readNifti(join(out, niis[0]!));
}

export interface Agreement {
  /** Largest distance (mm) between the same voxel's position in our affine and in dcm2niix's (8 corners). */
  affineMaxDiffMm: number;
  /** Our voxel index -> dcm2niix voxel index mapping is a signed permutation + integer shift. */
  indexMapIsPermutation: boolean;
  /** Voxels compared, voxels whose values differ, largest absolute difference. */
  compared: number;
  mismatches: number;
  maxValueDiff: number;
}

/** Compares our volume (LPS affine) with dcm2niix's NIfTI, voxel by voxel through the index mapping. */
export function compareWithNifti(ours: Volume, nii: NiftiImage): Agreement {
  return compareGrids(ours, nii, (idx) => Math.fround(nii.data[idx]! * nii.sclSlope + nii.sclInter));
}

/** Compares two volumes on grids that differ by axis permutation/flips (world-space index mapping). */
export function compareGrids(ours: Volume, other: { dims: Vec3; affine: Float64Array }, valueAt: (idx: number) => number): Agreement {
  const p = multiply4(invertAffine(other.affine), ours.affine);
  let isPerm = true;
  const pr = new Float64Array(16);
  for (let i = 0; i < 16; i++) {
    pr[i] = Math.round(p[i]!);
    if (Math.abs(p[i]! - pr[i]!) > 1e-3) isPerm = false;
  }
  const [nx, ny, nz] = ours.dims;
  let affineMaxDiffMm = 0;
  for (const c of [0, 1].flatMap((a) => [0, 1].flatMap((b) => [0, 1].map((d) => [a * (nx - 1), b * (ny - 1), d * (nz - 1)] as Vec3)))) {
    const a = applyAffine(ours.affine, c);
    const b = applyAffine(other.affine, applyAffine(pr, c));
    affineMaxDiffMm = Math.max(affineMaxDiffMm, Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]));
  }
  const [mx, my, mz] = other.dims;
  let compared = 0, mismatches = 0, maxValueDiff = 0;
  if (isPerm) {
    let o = 0;
    for (let k = 0; k < nz; k++) {
      for (let j = 0; j < ny; j++) {
        for (let i = 0; i < nx; i++, o++) {
          const ti = pr[0]! * i + pr[1]! * j + pr[2]! * k + pr[3]!;
          const tj = pr[4]! * i + pr[5]! * j + pr[6]! * k + pr[7]!;
          const tk = pr[8]! * i + pr[9]! * j + pr[10]! * k + pr[11]!;
          if (ti < 0 || tj < 0 || tk < 0 || ti >= mx || tj >= my || tk >= mz) {
            mismatches++;
            continue;
          }
          const theirs = valueAt(ti + mx * (tj + my * tk));
          const mine = ours.data[o]!;
          compared++;
          const d = Math.abs(theirs - mine);
          if (d !== 0) mismatches++;
          if (d > maxValueDiff) maxValueDiff = d;
        }
      }
    }
  }
  return { affineMaxDiffMm, indexMapIsPermutation: isPerm, compared, mismatches, maxValueDiff };
}
