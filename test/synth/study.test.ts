/**
 * One full synthetic study (GBM, Siemens, small size, every distractor) checked against real peers:
 *  - dciodvfy: zero errors on every series (warnings are the vendor-realistic ones listed in docs/synthetic-data.md);
 *  - the node's own volume builder and dcm2niix read the T1ce series, and the ground-truth labels (patient-space
 *    affine) land on the enhancing rim: geometry round trip;
 *  - labels.nii.gz read back by the NIfTI reader has the same affine (sform and qform) and voxels;
 *  - truth.json agrees with the DICOM headers (UIDs, roles, one Frame of Reference, contrast timing);
 *  - the CLI with the same seed writes byte-identical files (determinism), a different seed does not.
 */
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { buildProgram } from '../../src/cli/main';
import { num, readP10, str, strs } from '../../src/dicom/p10';
import { invertAffine, applyAffine } from '../../src/imaging/affine';
import { buildSeriesVolume } from '../../src/imaging/build-volume';
import { parseNifti, qformToAffine, readNifti } from '../../src/imaging/nifti';
import type { Vec3, Volume } from '../../src/imaging/volume';
import { classifyStudy } from '../../src/series-id/classify';
import { seriesDescriptorsFromDatasets } from '../../src/series-id/descriptor-from-datasets';
import { labelVolume } from '../../src/synth/ground-truth';
import { synthesiseStudy, type SynthStudy } from '../../src/synth/study';
import { writeStudy } from '../../src/synth/write-study';
import { runTool } from '../helpers/dcmtk';
import { dciodvfyErrors } from './dciodvfy';
import { hashTree, listFiles, meanWhere, tempDir } from './util';

const OPTS = ['--tumor', 'gbm', '--seed', '11', '--vendor', 'siemens', '--size', 'small', '--distractors', 'all', '--transfer-syntax', 'explicit'];

let work: string;
let study: SynthStudy;
let out: string;

beforeAll(async () => {
  work = tempDir('synth-study-');
  study = await synthesiseStudy({ tumor: 'gbm', seed: '11', vendor: 'siemens', size: 'small', distractors: 'all', transferSyntax: 'explicit' });
  out = join(work, 'a');
  writeStudy(study, out);
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

function seriesFiles(folder: string): string[] {
  return readdirSync(join(out, 'dicom', folder)).sort().map((f) => join(out, 'dicom', folder, f));
}

/** Mean of a volume's values sampled (nearest voxel) at the patient positions of label voxels with value v. */
function meanAtLabel(img: Volume, labels: Volume<Uint8Array>, v: number): number {
  const inv = invertAffine(img.affine);
  const [nx, ny, nz] = img.dims;
  const [lx, ly] = labels.dims;
  const values: number[] = [];
  for (let idx = 0; idx < labels.data.length; idx++) {
    if (labels.data[idx] !== v) continue;
    const p = applyAffine(labels.affine, [idx % lx, Math.floor(idx / lx) % ly, Math.floor(idx / (lx * ly))]);
    const q = applyAffine(inv, p).map(Math.round) as Vec3;
    if (q[0] < 0 || q[1] < 0 || q[2] < 0 || q[0] >= nx || q[1] >= ny || q[2] >= nz) continue;
    values.push(img.data[q[0] + nx * (q[1] + ny * q[2])]!);
  }
  return meanWhere(values, () => true);
}

describe('synthetic study: DICOM validity', () => {
  it('has the planned series and dciodvfy reports zero errors on each', async () => {
    const kinds = study.series.map((s) => s.kind);
    expect(kinds).toEqual(expect.arrayContaining(['localizer', 't1', 't2', 'flair', 'dwi', 'adc', 't1ce', 'mpr', 'screenshot']));
    for (const s of study.series) {
      const files = seriesFiles(s.folder);
      expect(files).toHaveLength(s.instanceCount);
      expect(await dciodvfyErrors(files[0]!)).toEqual([]);
      if (files.length > 1) expect(await dciodvfyErrors(files[files.length - 1]!)).toEqual([]);
    }
  });

  it('the localizer mixes three orientations in one series', () => {
    const loc = study.series.find((s) => s.kind === 'localizer')!;
    const iops = new Set(seriesFiles(loc.folder).map((f) => strs(readP10(readFileSync(f), { headerOnly: true }).dataset, 'ImageOrientationPatient').map((x) => Number(x).toFixed(3)).join()));
    expect(iops.size).toBe(3);
  });
});

describe('synthetic study: headers agree with truth.json', () => {
  it('one study, one Frame of Reference, the role map points at the right series, contrast after injection', () => {
    const truth = JSON.parse(readFileSync(join(out, 'ground-truth', 'truth.json'), 'utf8'));
    expect(truth.classes).toMatchObject({ tumor: 'gbm', idh: 'wildtype', grade: '4' });
    expect(truth.missingRoles).toEqual([]);
    const injection = String(truth.contrastInjectionTime);
    for (const s of study.series) {
      const ds = readP10(readFileSync(seriesFiles(s.folder)[0]!), { headerOnly: true }).dataset;
      expect(str(ds, 'SeriesInstanceUID')).toBe(s.seriesInstanceUid);
      expect(str(ds, 'StudyInstanceUID')).toBe(truth.studyInstanceUid);
      const pn = ([] as Array<{ Alphabetic?: string }>).concat(ds.PatientName as { Alphabetic?: string })[0]?.Alphabetic;
      expect(pn).toMatch(/^SYNTH\^[0-9A-F]{8}$/);
      if (s.kind === 'screenshot') continue;
      expect(str(ds, 'FrameOfReferenceUID')).toBe(truth.frameOfReferenceUid);
      const agent = str(ds, 'ContrastBolusAgent');
      const acq = str(ds, 'AcquisitionTime');
      if (s.kind === 'dsc') {
        // Perfusion starts with baseline images, the bolus is injected during it.
        expect(str(ds, 'ContrastBolusStartTime')).toBe(injection);
        const last = readP10(readFileSync(seriesFiles(s.folder).at(-1)!), { headerOnly: true }).dataset;
        expect(str(last, 'AcquisitionTime') > injection).toBe(true);
      } else if (s.postContrast) {
        expect(agent).not.toBe('');
        expect(acq >= injection).toBe(true);
      } else {
        expect(agent).toBe('');
        if (s.kind !== 'adc') expect(acq < injection).toBe(true);
      }
    }
    for (const role of ['t1', 't1ce', 't2', 'flair']) {
      const rec = study.series.find((s) => s.role === role)!;
      expect(truth.roles[role].seriesInstanceUid).toBe(rec.seriesInstanceUid);
    }
  });
});

describe('synthetic study: the node\'s series identification finds the roles', () => {
  it('classifyStudy selects exactly the T1/T1ce/T2/FLAIR series truth.json names, despite every distractor', () => {
    const headers = seriesDescriptorsFromDatasets(study.files.map((f) => readP10(f.buffer, { headerOnly: true }).dataset));
    const result = classifyStudy(headers);
    for (const role of ['t1', 't1ce', 't2', 'flair'] as const) {
      expect(result.selected[role]).toBe(study.series.find((s) => s.role === role)!.seriesInstanceUid);
    }
    expect(result.missing).toEqual([]);
  });
});

describe('synthetic study: geometry round trip', () => {
  it('labels (patient-space affine) land on the T1ce enhancement as built by the node and by dcm2niix', async () => {
    const labels = labelVolume(study);
    const t1ce = study.series.find((s) => s.role === 't1ce')!;
    const built = await buildSeriesVolume(seriesFiles(t1ce.folder).map((f) => new Uint8Array(readFileSync(f))));
    const et = meanAtLabel(built.volume, labels, 3);
    const ed = meanAtLabel(built.volume, labels, 2);
    const ncr = meanAtLabel(built.volume, labels, 1);
    expect(et).toBeGreaterThan(1.3 * ed);
    expect(et).toBeGreaterThan(1.5 * ncr);

    const niiDir = join(work, 'nii');
    const r = await runTool('sh', ['-c', `mkdir -p ${niiDir} && dcm2niix -z n -b n -f t1ce -o ${niiDir} ${join(out, 'dicom', t1ce.folder)}`]);
    expect(r.code).toBe(0);
    const nii = readNifti(join(niiDir, 't1ce.nii'));
    expect(meanAtLabel(nii, labels, 3)).toBeGreaterThan(1.3 * meanAtLabel(nii, labels, 2));
  });

  it('labels.nii.gz has the label affine in RAS (sform and qform) and the same voxels; labels.u8 + labels.json too', () => {
    const vol = labelVolume(study);
    const buf = readFileSync(join(out, 'ground-truth', 'labels.nii.gz'));
    const nii = parseNifti(buf);
    expect(nii.affineSource).toBe('sform');
    expect(nii.dims).toEqual(vol.dims);
    for (let i = 0; i < 12; i++) expect(nii.affine[i]).toBeCloseTo(vol.affine[i]!, 3);
    expect(Buffer.compare(Buffer.from(nii.data.buffer, nii.data.byteOffset, nii.data.byteLength), Buffer.from(vol.data))).toBe(0);
    // qform (quaternion) encodes the same rotation: decode it from the raw header.
    const raw = gunzipSync(buf);
    const q = qformToAffine(raw.readFloatLE(256), raw.readFloatLE(260), raw.readFloatLE(264), raw.readFloatLE(76),
      [raw.readFloatLE(80), raw.readFloatLE(84), raw.readFloatLE(88)], [raw.readFloatLE(268), raw.readFloatLE(272), raw.readFloatLE(276)]);
    for (let i = 0; i < 12; i++) expect(q[i]).toBeCloseTo(nii.affineRas[i]!, 3);
    const json = JSON.parse(readFileSync(join(out, 'ground-truth', 'labels.json'), 'utf8'));
    expect(json.dims).toEqual(vol.dims);
    expect(json.affineLps.map((v: number) => v.toFixed(6))).toEqual(Array.from(vol.affine).map((v) => v.toFixed(6)));
    const u8 = readFileSync(join(out, 'ground-truth', 'labels.u8'));
    expect(Buffer.compare(u8, Buffer.from(vol.data))).toBe(0);
    expect(json.counts['3']).toBeGreaterThan(0);
    expect(json.volumesMl.tc).toBeCloseTo(json.volumesMl.ncr + json.volumesMl.et, 6);
  });

  it('every series shares the head pose: the T1 and FLAIR built by the node agree where they overlap', async () => {
    const t1 = study.series.find((s) => s.role === 't1')!;
    const flair = study.series.find((s) => s.role === 'flair')!;
    const a = (await buildSeriesVolume(seriesFiles(t1.folder).map((f) => new Uint8Array(readFileSync(f))))).volume;
    const b = (await buildSeriesVolume(seriesFiles(flair.folder).map((f) => new Uint8Array(readFileSync(f))))).volume;
    // Both see the same brain: the patient-space centroid of the bright head region agrees within a few mm.
    const centroid = (v: Volume): Vec3 => {
      let max = 0;
      for (const x of v.data) max = Math.max(max, x);
      const s = [0, 0, 0];
      let n = 0;
      const [nx, ny] = v.dims;
      for (let i = 0; i < v.data.length; i++) {
        if (v.data[i]! < 0.25 * max) continue;
        const p = applyAffine(v.affine, [i % nx, Math.floor(i / nx) % ny, Math.floor(i / (nx * ny))]);
        s[0] = s[0]! + p[0];
        s[1] = s[1]! + p[1];
        s[2] = s[2]! + p[2];
        n++;
      }
      return [s[0]! / n, s[1]! / n, s[2]! / n];
    };
    const ca = centroid(a);
    const cb = centroid(b);
    // In-plane (x, y) the two must agree; z differs by the FLAIR's limited slab coverage.
    expect(Math.hypot(ca[0] - cb[0], ca[1] - cb[1])).toBeLessThan(8);
  });
});

describe('CLI and determinism', () => {
  it('`synth` with the same seed writes byte-identical files; a different seed does not', async () => {
    const spy = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      await buildProgram().parseAsync(['synth', '--out', join(work, 'cli'), ...OPTS], { from: 'user' });
      const line = String(spy.mock.calls.map((c) => c[0]).join(''));
      const summary = JSON.parse(line.trim().split('\n').pop()!);
      expect(summary.dicomFiles).toBe(study.files.length);
      expect(summary.diagnosis).toBe('Glioblastoma, IDH-wildtype, CNS WHO grade 4');
    } finally {
      spy.mockRestore();
    }
    const a = hashTree(out);
    const b = hashTree(join(work, 'cli'));
    expect(Object.keys(b)).toEqual(Object.keys(a));
    expect(b).toEqual(a);
    const other = await synthesiseStudy({ tumor: 'gbm', seed: '12', vendor: 'siemens', size: 'small', distractors: 'none', transferSyntax: 'explicit' });
    expect(Buffer.compare(other.caseModel.labels, study.caseModel.labels)).not.toBe(0);
    expect(listFiles(out).some((f) => f.startsWith('dicom/'))).toBe(true);
  });

  it('rejects bad arguments with one clear line and exit code 2', async () => {
    const err = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      for (const [args, msg] of [
        [['--tumor', 'glioma'], /--tumor must be one of/],
        [['--drop', 't1,dwi'], /--drop: unknown role 'dwi'/],
        [['--vendor', 'canon'], /--vendor must be one of/],
        [['--size', 'huge'], /--size must be one of/],
      ] as const) {
        process.exitCode = 0;
        await buildProgram().parseAsync(['synth', '--out', join(work, 'bad'), ...args], { from: 'user' });
        expect(process.exitCode).toBe(2);
        expect(String(err.mock.calls.at(-1)?.[0])).toMatch(msg);
      }
    } finally {
      process.exitCode = 0;
      err.mockRestore();
    }
  });
});

// Stored-value sanity: the node reads what was written (no clipping of the tumour's bright rim).
describe('stored values', () => {
  it('the T1ce series uses the 12-bit range without saturating', () => {
    const t1ce = study.series.find((s) => s.role === 't1ce')!;
    const ds = readP10(readFileSync(seriesFiles(t1ce.folder)[Math.floor(t1ce.instanceCount / 2)]!)).dataset;
    expect(num(ds, 'BitsStored')).toBe(12);
    const px = new Uint16Array((ds.PixelData as ArrayBuffer[])[0]!);
    let max = 0;
    for (const v of px) max = Math.max(max, v);
    expect(max).toBeGreaterThan(300);
    expect(max).toBeLessThan(4095);
  });
});
