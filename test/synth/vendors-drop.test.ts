/**
 * Vendor variants and missing modalities, read by real peers:
 *  - GE, JPEG Lossless, --drop t1ce,flair: the dropped roles are absent from DICOM and truth.json, the others are
 *    valid (dciodvfy) and decode through the node's volume builder;
 *  - Philips with Enhanced MR 3-D series: real-valued rescale slope, numbered series (101, 201, ...), enhanced
 *    objects build into volumes whose geometry matches the plan.
 */
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { SopClass, TransferSyntax } from '../../src/dicom/constants';
import { num, readP10, str } from '../../src/dicom/p10';
import { buildSeriesVolume } from '../../src/imaging/build-volume';
import { classifyStudy } from '../../src/series-id/classify';
import { seriesDescriptorsFromDatasets } from '../../src/series-id/descriptor-from-datasets';
import { synthesiseStudy, type SynthStudy } from '../../src/synth/study';
import { writeStudy } from '../../src/synth/write-study';
import { dciodvfyErrors } from './dciodvfy';
import { tempDir } from './util';

let work: string;
beforeAll(() => {
  work = tempDir('synth-vendors-');
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

function files(out: string, folder: string): string[] {
  return readdirSync(join(out, 'dicom', folder)).sort().map((f) => join(out, 'dicom', folder, f));
}


describe('GE study without T1ce and FLAIR (--drop t1ce,flair), JPEG Lossless', () => {
  let s: SynthStudy;
  const out = (): string => join(work, 'ge');
  beforeAll(async () => {
    s = await synthesiseStudy({ tumor: 'astro', seed: '21', vendor: 'ge', drop: ['t1ce', 'flair'], size: 'small', distractors: 'random', transferSyntax: 'jpeg-lossless' });
    writeStudy(s, out());
  });

  it('omits the dropped roles (and what derives from them) and says so in truth.json', () => {
    const roles = s.series.map((r) => r.role);
    expect(roles).not.toContain('t1ce');
    expect(roles).not.toContain('flair');
    expect(roles).toEqual(expect.arrayContaining(['t1', 't2']));
    expect(s.series.some((r) => r.kind === 'mpr')).toBe(false);
    const truth = JSON.parse(readFileSync(join(out(), 'ground-truth', 'truth.json'), 'utf8'));
    expect(truth.missingRoles).toEqual(['t1ce', 'flair']);
    expect(Object.keys(truth.roles).sort()).toEqual(['t1', 't2']);
    // The labels do not depend on which series were acquired.
    expect(truth.labels.volumesMl.wt).toBeGreaterThan(0);
  });

  it('the node\'s series identification selects T1 and T2 and reports T1ce and FLAIR missing', () => {
    const result = classifyStudy(seriesDescriptorsFromDatasets(s.files.map((f) => readP10(f.buffer, { headerOnly: true }).dataset)));
    expect(result.selected.t1).toBe(s.series.find((r) => r.role === 't1')!.seriesInstanceUid);
    expect(result.selected.t2).toBe(s.series.find((r) => r.role === 't2')!.seriesInstanceUid);
    expect([...result.missing].sort()).toEqual(['flair', 't1ce']);
  });

  it('writes GE-like headers (exam-level ProtocolName on every series) that dciodvfy accepts', async () => {
    const protocols = new Set<string>();
    for (const r of s.series) {
      const f = files(out(), r.folder);
      const ds = readP10(readFileSync(f[0]!), { headerOnly: true });
      expect(str(ds.meta, 'TransferSyntaxUID')).toBe(r.kind === 'screenshot' ? TransferSyntax.ExplicitVRLittleEndian : TransferSyntax.JpegLosslessSV1);
      if (r.kind !== 'screenshot') {
        expect(str(ds.dataset, 'Manufacturer')).toBe('GE MEDICAL SYSTEMS');
        protocols.add(str(ds.dataset, 'ProtocolName'));
      }
      expect(await dciodvfyErrors(f[0]!)).toEqual([]);
    }
    expect(protocols.size).toBe(1);
  });

  it('the node decodes the compressed T2 into a volume with the planned geometry', async () => {
    const t2 = s.series.find((r) => r.role === 't2')!;
    const built = await buildSeriesVolume(files(out(), t2.folder).map((f) => new Uint8Array(readFileSync(f))));
    const plan = t2.stacks[0]!;
    expect(built.volume.dims).toEqual(plan.dims);
    for (let i = 0; i < 12; i++) expect(built.volume.affine[i]).toBeCloseTo(plan.affine[i]!, 2);
    const raw = s.roleVolumes.t2!.data;
    let diff = 0;
    // Same voxels as acquired (slice order may be reversed by the builder's sort along the normal).
    const sameOrder = Math.sign(built.volume.affine[2]! * plan.affine[2]! + built.volume.affine[6]! * plan.affine[6]! + built.volume.affine[10]! * plan.affine[10]!) > 0;
    expect(sameOrder).toBe(true);
    for (let i = 0; i < raw.length; i++) diff = Math.max(diff, Math.abs(built.volume.data[i]! - raw[i]!));
    expect(diff).toBe(0);
  });
});

describe('Philips study with Enhanced MR 3-D series', () => {
  let s: SynthStudy;
  const out = (): string => join(work, 'philips');
  beforeAll(async () => {
    s = await synthesiseStudy({ tumor: 'mets', seed: '31', vendor: 'philips', size: 'small', distractors: 'none', transferSyntax: 'explicit', multiframe: 'always' });
    writeStudy(s, out());
  });

  it('numbers series like Philips and writes 3-D T1/T1ce as one Enhanced MR object each', () => {
    expect(s.series.map((r) => r.seriesNumber)).toEqual(s.series.map((_, i) => 100 * (i + 1) + 1));
    for (const role of ['t1', 't1ce'] as const) {
      const r = s.series.find((x) => x.role === role)!;
      expect(r.sopClassUid).toBe(SopClass.EnhancedMRImage);
      expect(r.instanceCount).toBe(1);
      const ds = readP10(readFileSync(files(out(), r.folder)[0]!), { headerOnly: true }).dataset;
      expect(num(ds, 'NumberOfFrames')).toBe(r.stacks[0]!.dims[2]);
    }
  });

  it('the node\'s series identification selects all four roles from Enhanced and classic objects', () => {
    const result = classifyStudy(seriesDescriptorsFromDatasets(s.files.map((f) => readP10(f.buffer, { headerOnly: true }).dataset)));
    for (const role of ['t1', 't1ce', 't2', 'flair'] as const) {
      expect(result.selected[role]).toBe(s.series.find((r) => r.role === role)!.seriesInstanceUid);
    }
  });

  it('dciodvfy: zero errors on single-frame and Enhanced MR series', async () => {
    expect(s.series.some((r) => r.sopClassUid === SopClass.EnhancedMRImage)).toBe(true);
    for (const r of s.series) expect(await dciodvfyErrors(files(out(), r.folder)[0]!)).toEqual([]);
  });

  it('the node builds the Enhanced T1ce with the planned geometry and the Philips rescale slope applied', async () => {
    const r = s.series.find((x) => x.role === 't1ce')!;
    const built = await buildSeriesVolume([new Uint8Array(readFileSync(files(out(), r.folder)[0]!))]);
    expect(built.volume.dims).toEqual(r.stacks[0]!.dims);
    for (let i = 0; i < 12; i++) expect(built.volume.affine[i]).toBeCloseTo(r.stacks[0]!.affine[i]!, 2);
    const ds = readP10(readFileSync(files(out(), r.folder)[0]!), { headerOnly: true }).dataset;
    const shared = (ds.SharedFunctionalGroupsSequence as Array<Record<string, Array<Record<string, unknown>>>>)[0]!;
    const slope = Number(shared.PixelValueTransformationSequence![0]!.RescaleSlope);
    expect(slope).not.toBe(1);
    const acquired = s.roleVolumes.t1ce!.data;
    let maxErr = 0;
    for (let i = 0; i < acquired.length; i++) maxErr = Math.max(maxErr, Math.abs(built.volume.data[i]! - acquired[i]!));
    expect(maxErr).toBeLessThan(slope);
  });
});
