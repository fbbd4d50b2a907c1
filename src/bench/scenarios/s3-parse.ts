/**
 * S3: parse 720 in-memory Part 10 buffers (4 series x 180 MR slices, 256x256 int16,
 * explicit VR LE, real anatomy from mricron ch2) into headers + pixel views.
 * Node paths: the lean image reader the volume builder uses (src/imaging/p10-image-reader.ts) and the general dcmjs
 * parse (src/dicom/p10.ts). Peers in the same run: dicom-parser (same process, parseDicom + IPP + pixel view), a
 * DCMTK C++ loop (DcmFileFormat::loadFile + IPP + PixelData memcpy, built here with g++ against libdcmtk-dev, as in
 * perf.md; files come from the page cache), and `dcmdump` over the same files in one process.
 * Targets: dcmjs path <= 3x DCMTK; lean path <= 0.5x DCMTK; >= 2,000 files/s.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { readP10 } from '../../dicom/p10';
import { writeSeries } from '../../synth/series-writer';
import { affineFromAxes, applyAffine, cross, normalize } from '../../imaging/affine';
import { readNifti } from '../../imaging/nifti';
import { readImageInstance } from '../../imaging/p10-image-reader';
import { resampleLinear } from '../../imaging/resample';
import type { Vec3, Volume } from '../../imaging/volume';
import { summarise, type BenchMeasurement, type BenchRatio, type BenchScenario } from '../types';

export const BENCH_DIMS: Vec3 = [256, 256, 180];

/** One series plan: axial, optionally rotated about x by `tilt` degrees (perf.md uses a 5 degree rotation). */
function seriesVolume(template: Volume, tilt: number, gain: number): Volume<Int16Array> {
  const t = (tilt * Math.PI) / 180;
  const row: Vec3 = [1, 0, 0];
  const col: Vec3 = normalize([0, Math.cos(t), Math.sin(t)]);
  const spacing: Vec3 = [0.9, 0.9, 1];
  const c = applyAffine(template.affine, [(template.dims[0] - 1) / 2, (template.dims[1] - 1) / 2, (template.dims[2] - 1) / 2]);
  const dirs: [Vec3, Vec3, Vec3] = [row, col, cross(row, col)];
  const origin = [0, 1, 2].map((r) => c[r]! - dirs.reduce((s, d, a) => s + d[r]! * spacing[a]! * ((BENCH_DIMS[a]! - 1) / 2), 0)) as Vec3;
  const affine = affineFromAxes(dirs, spacing, origin);
  const v = resampleLinear(template, { dims: BENCH_DIMS, affine });
  const data = new Int16Array(v.length);
  for (let i = 0; i < v.length; i++) data[i] = Math.round(v[i]! * gain);
  return { dims: BENCH_DIMS, spacing, affine, data };
}

/** The 4-series bench study (T1, T1ce, T2, FLAIR-like gains; two series tilted 5 degrees), as Part 10 buffers. */
export async function benchStudy(): Promise<{ series: Buffer[][]; volumes: Volume<Int16Array>[] }> {
  const template = readNifti('/usr/share/mricron/templates/ch2.nii.gz');
  const plans: [number, number][] = [[0, 4], [5, 5], [0, 3], [5, 2]];
  const series: Buffer[][] = [];
  const volumes: Volume<Int16Array>[] = [];
  for (const [i, [tilt, gain]] of plans.entries()) {
    const v = seriesVolume(template, tilt, gain);
    const w = await writeSeries(v, { SeriesDescription: `bench ${i}`, SeriesNumber: i + 1, EchoTime: 10, RepetitionTime: 500, Manufacturer: 'SIEMENS' }, { seed: `bench-${i}`, defaultDate: '20260101' });
    series.push(w.instances.map((x) => x.buffer));
    volumes.push(v);
  }
  return { series, volumes };
}

/** Writes the study to workDir/series-<n>/ and returns the folders and file paths. */
export function writeStudy(dir: string, series: Buffer[][]): { folders: string[]; files: string[][] } {
  const folders: string[] = [];
  const files: string[][] = [];
  series.forEach((s, i) => {
    const f = join(dir, `series-${i}`);
    mkdirSync(f, { recursive: true });
    folders.push(f);
    files.push(s.map((b, k) => {
      const p = join(f, `${String(k).padStart(4, '0')}.dcm`);
      writeFileSync(p, b);
      return p;
    }));
  });
  return { folders, files };
}

function timeIt(fn: () => void): number {
  const t = performance.now();
  fn();
  return performance.now() - t;
}

/** The DCMTK peer of perf.md §2.2: loadFile + IPP + PixelData copy per file; prints ms per repetition. */
const DCMTK_LOOP_CC = `#include <dcmtk/dcmdata/dctk.h>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>
int main(int argc, char** argv) {
  int reps = atoi(argv[1]);
  std::vector<std::string> files(argv + 2, argv + argc);
  std::vector<Uint16> vol(256 * 256);
  for (int r = 0; r < reps; r++) {
    auto t0 = std::chrono::steady_clock::now();
    for (auto& f : files) {
      DcmFileFormat ff;
      if (ff.loadFile(f.c_str()).bad()) { fprintf(stderr, "load %s\\n", f.c_str()); return 1; }
      OFString ipp;
      ff.getDataset()->findAndGetOFStringArray(DCM_ImagePositionPatient, ipp);
      const Uint16* px = nullptr; unsigned long n = 0;
      ff.getDataset()->findAndGetUint16Array(DCM_PixelData, px, &n);
      if (!px || n == 0) { fprintf(stderr, "pixels %s\\n", f.c_str()); return 1; }
      if (vol.size() < n) vol.resize(n);
      memcpy(vol.data(), px, n * 2);
    }
    auto t1 = std::chrono::steady_clock::now();
    printf("%f\\n", std::chrono::duration<double, std::milli>(t1 - t0).count());
  }
  return 0;
}
`;

/** Builds and runs the DCMTK loop; undefined (with a note) when g++ or libdcmtk-dev is missing. */
function dcmtkLoop(workDir: string, files: string[], repeat: number, notes: string[]): number[] | undefined {
  const src = join(workDir, 'dcmtk_parse.cc');
  const bin = join(workDir, 'dcmtk_parse');
  writeFileSync(src, DCMTK_LOOP_CC);
  const cc = spawnSync('g++', ['-O2', '-o', bin, src, '-ldcmdata', '-lofstd', '-loflog'], { encoding: 'utf8' });
  if (cc.status !== 0) {
    notes.push(`DCMTK C++ peer not built (g++ / libdcmtk-dev): ${(cc.stderr || String(cc.error)).slice(0, 200)}`);
    return undefined;
  }
  const r = spawnSync(bin, [String(repeat + 1), ...files], { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`DCMTK loop failed: ${r.stderr.slice(0, 300)}`);
  return r.stdout.trim().split('\n').map(Number).slice(1); // first repetition = warm-up
}

interface DicomParserModule {
  parseDicom(bytes: Uint8Array): {
    string(tag: string): string | undefined;
    elements: Record<string, { dataOffset: number; length: number }>;
  };
}

export const scenario: BenchScenario = {
  name: 'S3-parse',
  description: '720 in-memory P10 buffers (4 x 180 x 256^2 int16) -> headers + pixel views; peers: dicom-parser, dcmdump',
  async run(ctx) {
    const { series } = await benchStudy();
    const all = series.flat();
    const n = all.length;
    const mb = all.reduce((s, b) => s + b.length, 0) / 1e6;
    ctx.log(`${n} files, ${mb.toFixed(1)} MB`);
    const measurements: BenchMeasurement[] = [];
    const notes: string[] = [];
    const run = (label: string, subject: string, fn: () => void): number => {
      fn(); // warm-up
      const samples = Array.from({ length: ctx.repeat }, () => timeIt(fn));
      const m = summarise(`${label} (${n} files)`, subject, 'ms', samples);
      measurements.push(m, summarise(`${label}`, subject, 'files/s', samples.map((s) => (n / s) * 1000)));
      return m.median;
    };

    const lean = run('lean image reader: headers + pixel views', 'node', () => {
      for (const b of all) {
        const d = readImageInstance(b).dataset;
        if (!d.ImagePositionPatient || !d.PixelData) throw new Error('lean reader lost IPP/PixelData');
      }
    });
    const dcmjs = run('dcmjs readFile + naturalize', 'node', () => {
      for (const b of all) {
        const d = readP10(b).dataset;
        if (!d.ImagePositionPatient || !d.PixelData) throw new Error('dcmjs lost IPP/PixelData');
      }
    });

    let dp: number | undefined;
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const dicomParser = require('dicom-parser') as DicomParserModule;
      dp = run('dicom-parser parseDicom + IPP + pixel view', 'dicom-parser', () => {
        for (const b of all) {
          const ds = dicomParser.parseDicom(b);
          const ipp = ds.string('x00200032');
          const px = ds.elements.x7fe00010!;
          const view = new Int16Array(b.buffer, b.byteOffset + px.dataOffset, px.length / 2);
          if (!ipp || view.length !== 256 * 256) throw new Error('dicom-parser lost IPP/PixelData');
        }
      });
    } catch (e) {
      notes.push(`dicom-parser peer unavailable: ${(e as Error).message}`);
    }

    const { files } = writeStudy(ctx.workDir, series);
    const flat = files.flat();
    const dump = (): void => {
      const r = spawnSync('dcmdump', ['-q', ...flat], { stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 1 << 30 });
      if (r.status !== 0) throw new Error(`dcmdump failed: ${r.stderr.toString().slice(0, 300)}`);
    };
    const dumpMs = run('dcmdump, one process, output discarded', 'dcmdump', dump);
    const loop = dcmtkLoop(ctx.workDir, flat, ctx.repeat, notes);
    let dcmtk = dumpMs;
    let peer = 'dcmdump';
    if (loop) {
      const m = summarise(`C++ loadFile + IPP + pixel copy (${n} files)`, 'DCMTK', 'ms', loop);
      measurements.push(m, summarise('C++ loadFile + IPP + pixel copy', 'DCMTK', 'files/s', loop.map((s) => (n / s) * 1000)));
      dcmtk = m.median;
      peer = 'DCMTK loadFile';
    }
    const ratios: BenchRatio[] = [
      { label: `dcmjs path / ${peer}`, value: dcmjs / dcmtk, target: '<= 3.0', pass: dcmjs / dcmtk <= 3 },
      { label: `lean path / ${peer}`, value: lean / dcmtk, target: '<= 0.5', pass: lean / dcmtk <= 0.5 },
      { label: 'lean path files/s / 2000', value: n / lean / 2, target: '>= 1.0', pass: n / lean / 2 >= 1 },
      { label: 'lean path / dcmdump', value: lean / dumpMs },
    ];
    if (dp != null) ratios.push({ label: 'lean path / dicom-parser', value: lean / dp });
    return { measurements, ratios, notes };
  },
};
