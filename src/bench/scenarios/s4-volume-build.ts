/**
 * S4: volume build + resample of a 4-series study (4 x 256x256x180 int16, 720 files on
 * disk, real anatomy from mricron ch2, two series tilted 5 degrees).
 * Node: buildSeriesVolume on each series folder (read + parse + sort + assemble), then toModelGrid onto 4 x 128^3
 * (1.5 mm RAS, head-centroid, z-score in the head mask).
 * Peers in the same run: dcm2niix converting the same four folders (one process, uncompressed NIfTI, the analogous
 * "DICOM -> volume" step), and a C (-O3 -march=native, single thread) trilinear resampler of the same algorithm for the
 * raw resampling speed (4 x 256x256x180 -> 4 x 128^3 and -> 4 x 240x240x155, 5 degree rotation).
 * Targets: build / dcm2niix <= 2.0; resample node / C <= 2.0.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { affineFromAxes, applyAffine, cross, invertAffine, multiply4, normalize } from '../../imaging/affine';
import { buildSeriesVolume } from '../../imaging/build-volume';
import type { GridSpec } from '../../imaging/grid-spec';
import { resampleLinearInto, type TargetGrid } from '../../imaging/resample';
import { toModelGrid } from '../../imaging/to-model-grid';
import type { SeriesVolume, Vec3, Volume } from '../../imaging/volume';
import type { ModelRole } from '../../series-id/roles';
import { summarise, type BenchMeasurement, type BenchRatio, type BenchScenario } from '../types';
import { BENCH_DIMS, benchStudy, writeStudy } from './s3-parse';

const GRID: GridSpec = { spacing: [1.5, 1.5, 1.5], size: [128, 128, 128], orientation: 'RAS', centre: 'head-centroid' };
const ROLES: ModelRole[] = ['t1', 't1ce', 't2', 'flair'];

/** Same trilinear algorithm as src/imaging/resample.ts (half-voxel clamped edges), per-voxel bounds checks. */
const RESAMPLE_C = `#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <math.h>
static double now_ms(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec * 1e3 + t.tv_nsec / 1e6; }
int main(int argc, char **argv) {
  const char *path = argv[1];
  int nx = atoi(argv[2]), ny = atoi(argv[3]), nz = atoi(argv[4]);
  int tx = atoi(argv[5]), ty = atoi(argv[6]), tz = atoi(argv[7]);
  double m[12]; for (int i = 0; i < 12; i++) m[i] = atof(argv[8 + i]);
  int reps = atoi(argv[20]), vols = atoi(argv[21]);
  size_t n = (size_t)nx * ny * nz, tn = (size_t)tx * ty * tz;
  short *d = malloc(n * 2); float *out = malloc(tn * 4);
  FILE *f = fopen(path, "rb"); if (!f || fread(d, 2, n, f) != n) return 1; fclose(f);
  int sxy = nx * ny; double hx = nx - 0.5, hy = ny - 0.5, hz = nz - 0.5; int nx1 = nx - 1, ny1 = ny - 1, nz1 = nz - 1;
  double sum = 0;
  for (int r = 0; r < reps; r++) {
    double t0 = now_ms();
    for (int v = 0; v < vols; v++) {
      size_t o = 0;
      for (int k = 0; k < tz; k++) for (int j = 0; j < ty; j++) {
        double x = m[1] * j + m[2] * k + m[3], y = m[5] * j + m[6] * k + m[7], z = m[9] * j + m[10] * k + m[11];
        for (int i = 0; i < tx; i++, o++, x += m[0], y += m[4], z += m[8]) {
          if (x < -0.5 || y < -0.5 || z < -0.5 || x > hx || y > hy || z > hz) { out[o] = 0; continue; }
          double xc = x < 0 ? 0 : x > nx1 ? nx1 : x, yc = y < 0 ? 0 : y > ny1 ? ny1 : y, zc = z < 0 ? 0 : z > nz1 ? nz1 : z;
          int xi = (int)xc, yi = (int)yc, zi = (int)zc;
          if (xi == nx1) xi--; if (yi == ny1) yi--; if (zi == nz1) zi--;
          double fx = xc - xi, fy = yc - yi, fz = zc - zi;
          size_t b = xi + (size_t)nx * yi + (size_t)sxy * zi;
          double c00 = d[b] + (d[b + 1] - d[b]) * fx, c10 = d[b + nx] + (d[b + nx + 1] - d[b + nx]) * fx;
          double c01 = d[b + sxy] + (d[b + sxy + 1] - d[b + sxy]) * fx, c11 = d[b + sxy + nx] + (d[b + sxy + nx + 1] - d[b + sxy + nx]) * fx;
          double c0 = c00 + (c10 - c00) * fy, c1 = c01 + (c11 - c01) * fy;
          out[o] = (float)(c0 + (c1 - c0) * fz);
        }
      }
      sum += out[tn / 2];
    }
    printf("%f\\n", now_ms() - t0);
  }
  fprintf(stderr, "%f\\n", sum);
  return 0;
}
`;

/** A target grid centred on a volume, rotated 5 degrees about z (perf.md §5.4). */
function rotatedTarget(v: Volume, dims: Vec3, spacing: Vec3): TargetGrid {
  const a = (5 * Math.PI) / 180;
  const row: Vec3 = [Math.cos(a), Math.sin(a), 0];
  const col: Vec3 = normalize([-Math.sin(a), Math.cos(a), 0]);
  const dirs: [Vec3, Vec3, Vec3] = [row, col, cross(row, col)];
  const c = applyAffine(v.affine, [(v.dims[0] - 1) / 2, (v.dims[1] - 1) / 2, (v.dims[2] - 1) / 2]);
  const origin = [0, 1, 2].map((r) => c[r]! - dirs.reduce((s, d, ax) => s + d[r]! * spacing[ax]! * ((dims[ax]! - 1) / 2), 0)) as Vec3;
  return { dims, affine: affineFromAxes(dirs, spacing, origin) };
}

function timeAsync(fn: () => Promise<void>): Promise<number> {
  const t = performance.now();
  return fn().then(() => performance.now() - t);
}

export const scenario: BenchScenario = {
  name: 'S4-volume-build',
  description: '4 x 256x256x180 series: build volumes + toModelGrid 4 x 128^3; peers: dcm2niix, C trilinear',
  async run(ctx) {
    const measurements: BenchMeasurement[] = [];
    const notes: string[] = [];
    const { series, volumes } = await benchStudy();
    const study = join(ctx.workDir, 'study');
    mkdirSync(study);
    const { folders, files } = writeStudy(study, series);
    ctx.log(`${files.flat().length} files in ${folders.length} series folders`);

    // Node: build the four volumes from the files.
    let built: SeriesVolume[] = [];
    const build = async (): Promise<void> => {
      built = [];
      for (const f of files) built.push((await buildSeriesVolume(f)).volume);
    };
    await build(); // warm-up
    const buildMs: number[] = [];
    for (let r = 0; r < ctx.repeat; r++) buildMs.push(await timeAsync(build));
    const mBuild = summarise('buildSeriesVolume x 4 (720 files from disk)', 'node', 'ms', buildMs);
    measurements.push(mBuild);

    const vols = Object.fromEntries(ROLES.map((r, i) => [r, built[i]!])) as Record<ModelRole, SeriesVolume>;
    const pre = (): void => {
      toModelGrid(vols, 't1ce', GRID, { method: 'zscore', clipPercentiles: [0.5, 99.5], mask: 'head' });
    };
    pre();
    const preMs = Array.from({ length: ctx.repeat }, () => {
      const t = performance.now();
      pre();
      return performance.now() - t;
    });
    const mPre = summarise('toModelGrid 4 x 128^3 (resample + head mask + z-score)', 'node', 'ms', preMs);
    measurements.push(mPre);

    // Peer: dcm2niix on the same folders, one process.
    const out = join(ctx.workDir, 'nii');
    mkdirSync(out);
    const conv = (): number => {
      const t = performance.now();
      const r = spawnSync('dcm2niix', ['-z', 'n', '-b', 'n', '-f', '%s', '-o', out, study], { stdio: ['ignore', 'ignore', 'pipe'] });
      if (r.status !== 0) throw new Error(`dcm2niix failed: ${r.stderr.toString().slice(0, 300)}`);
      return performance.now() - t;
    };
    conv();
    const d2n = Array.from({ length: ctx.repeat }, conv);
    const mD2n = summarise('dcm2niix, 4 series folders -> 4 NIfTI (one process)', 'dcm2niix', 'ms', d2n);
    measurements.push(mD2n);

    // Raw resampling speed: node vs C, same volumes and grids.
    const ratios: BenchRatio[] = [
      { label: 'build / dcm2niix', value: mBuild.median / mD2n.median, target: '<= 2.0', pass: mBuild.median / mD2n.median <= 2 },
      { label: '(build + toModelGrid) / dcm2niix', value: (mBuild.median + mPre.median) / mD2n.median },
    ];
    const raw = join(ctx.workDir, 'vol.i16');
    writeFileSync(raw, Buffer.from(volumes[0]!.data.buffer));
    const csrc = join(ctx.workDir, 'resample.c');
    const cbin = join(ctx.workDir, 'resample');
    writeFileSync(csrc, RESAMPLE_C);
    const cc = spawnSync('cc', ['-O3', '-march=native', '-o', cbin, csrc, '-lm'], { encoding: 'utf8' });
    if (cc.status !== 0) notes.push(`C resampler not built: ${(cc.stderr || String(cc.error)).slice(0, 200)}`);
    for (const [label, dims, spacing] of [
      ['4 x 128^3', [128, 128, 128], [1.5, 1.5, 1.5]],
      ['4 x 240x240x155', [240, 240, 155], [1, 1, 1]],
    ] as [string, Vec3, Vec3][]) {
      const target = rotatedTarget(volumes[0]!, dims, spacing);
      const outBuf = new Float32Array(dims[0] * dims[1] * dims[2]);
      const once = (): number => {
        const t = performance.now();
        for (const v of volumes) resampleLinearInto(v, target, outBuf);
        return performance.now() - t;
      };
      once();
      const nodeMs = Array.from({ length: ctx.repeat }, once);
      const mvox = (4 * outBuf.length) / 1e6;
      const mNode = summarise(`trilinear 4 x ${BENCH_DIMS.join('x')} -> ${label}`, 'node', 'ms', nodeMs);
      measurements.push(mNode, summarise(`trilinear -> ${label}`, 'node', 'Mvox/s', nodeMs.map((s) => (mvox / s) * 1000)));
      if (cc.status === 0) {
        const m = multiply4(invertAffine(volumes[0]!.affine), target.affine);
        const args = [raw, ...BENCH_DIMS, ...dims, ...Array.from(m.slice(0, 12)), ctx.repeat + 1, 4].map(String);
        const r = spawnSync(cbin, args, { encoding: 'utf8' });
        if (r.status !== 0) throw new Error(`C resampler failed: ${r.stderr}`);
        const cMs = r.stdout.trim().split('\n').map(Number).slice(1);
        const mC = summarise(`trilinear 4 x ${BENCH_DIMS.join('x')} -> ${label}`, 'C -O3', 'ms', cMs);
        measurements.push(mC, summarise(`trilinear -> ${label}`, 'C -O3', 'Mvox/s', cMs.map((s) => (mvox / s) * 1000)));
        ratios.push({ label: `resample node / C, ${label}`, value: mNode.median / mC.median, target: '<= 2.0', pass: mNode.median / mC.median <= 2 });
      }
    }
    notes.push('dcm2niix also writes 4 NIfTI files (~94 MB); node build keeps the volumes in memory');
    return { measurements, ratios, notes };
  },
};
