/** @jest-environment ./test/ai/ort-environment.js */
import { join } from 'node:path';
import { analyseStudy, type StudyCase, type ToReference } from '../../src/ai/engine';
import { loadPackage, type LoadedModel } from '../../src/ai/registry';
import { summariseFindings } from '../../src/ai/summary';
import type { SeriesVolume, Vec3, Volume } from '../../src/imaging/volume';
import { dice, makePhantom, type Phantom } from './phantom';

const FIX = join(__dirname, '../fixtures/models');
let glioma: LoadedModel;
let mets: LoadedModel;
beforeAll(async () => {
  glioma = await loadPackage(join(FIX, 'tiny-glioma'), { executionProviders: ['cpu'], intraOpNumThreads: 1 });
  mets = await loadPackage(join(FIX, 'tiny-mets'), { executionProviders: ['cpu'], intraOpNumThreads: 1 });
});
afterAll(async () => {
  await glioma.session.release();
  await mets.session.release();
});

function seriesOn(geom: { dims: Vec3; spacing: Vec3; affine: Float64Array }, uid: string): SeriesVolume {
  return {
    dims: geom.dims, spacing: geom.spacing, affine: geom.affine, data: new Int16Array(geom.dims[0] * geom.dims[1] * geom.dims[2]),
    seriesInstanceUid: uid, frameOfReferenceUid: '1.2.3.4',
    sources: Array.from({ length: geom.dims[2] }, (_, k) => ({ sopClassUid: '1.2.840.10008.5.1.4.1.1.4', sopInstanceUid: `${uid}.${k + 1}`, imagePositionPatient: [geom.affine[3]!, geom.affine[7]!, geom.affine[11]! + k * geom.spacing[2]] as Vec3 })),
    imageOrientationPatient: [1, 0, 0, 0, 1, 0],
  };
}
function studyOf(ph: Phantom, ref?: SeriesVolume, toReference?: ToReference): StudyCase {
  const roles = ['t1', 't1ce', 't2', 'flair'] as const;
  return {
    studyInstanceUid: '1.2.826.0.1.3680043.8.498.1',
    grid: ph.input,
    inputs: roles.filter((r) => ph.input.channels[r]).map((role, n) => ({ role, seriesInstanceUid: `1.2.3.${n + 1}`, sopClassUid: '1.2.840.10008.5.1.4.1.1.4', sopInstanceUids: [`1.2.3.${n + 1}.1`] })),
    referenceSeries: ref ?? seriesOn(ph.input, '1.2.3.2'),
    ...(toReference ? { toReference } : {}),
  };
}
const opts = { tta: true, minComponentMl: 0.1, modalityImportance: true, radiomics: true };

describe('analyseStudy -> Findings', () => {
  const ph = makePhantom();

  it('segments the phantom, reports volumes in mL, calibrated heads, diagnosis, uncertainty and provenance', async () => {
    const f = await analyseStudy(glioma, studyOf(ph), opts);
    const labels = f.segmentation!.labelmap.data;
    expect(dice(labels, [1, 2, 3], ph.truth, [1, 2, 3])).toBeGreaterThan(0.95);
    expect(dice(labels, [3], ph.truth, [3])).toBeGreaterThan(0.85);
    // Volumes: WT = voxels x 8 mm3, compared with the ground truth volume.
    const wt = f.regions.find((r) => r.key === 'WT')!;
    expect(wt.labelValues).toEqual([1, 2, 3]);
    expect(wt.volumeMl).toBeCloseTo((wt.voxelCount * 8) / 1000, 12);
    const truthMl = (ph.truth.filter((x) => x).length * 8) / 1000;
    expect(Math.abs(wt.volumeMl - truthMl) / truthMl).toBeLessThan(0.1);
    const tc = f.regions.find((r) => r.key === 'TC')!;
    const ncr = f.regions.find((r) => r.key === 'NCR')!;
    const et = f.regions.find((r) => r.key === 'ET')!;
    expect(tc.voxelCount).toBe(ncr.voxelCount + et.voxelCount); // WT ⊇ TC ⊇ ET
    expect(wt.voxelCount).toBeGreaterThanOrEqual(tc.voxelCount);
    expect(wt.meanUncertainty).toBeGreaterThanOrEqual(0);
    expect(wt.meanUncertainty).toBeLessThanOrEqual(1);
    // Uncertainty map: same grid, values in [0,1], higher at tumour borders than deep inside the background.
    const u = f.segmentation!.uncertainty!.data;
    expect(u.length).toBe(labels.length);
    expect(Math.min(...u)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...u)).toBeLessThanOrEqual(1);
    // Heads: 4, probabilities in [0,1] summing to 1, with TTA variance.
    expect(f.heads.map((h) => h.head)).toEqual(['idh', 'codeletion_1p19q', 'grade', 'histology']);
    for (const h of f.heads) {
      const s = h.classes.reduce((a, c) => a + c.probability, 0);
      expect(s).toBeCloseTo(1, 6);
      for (const c of h.classes) expect(c.probability).toBeGreaterThanOrEqual(0);
      expect(h.uncertainty.ttaVariance).toBeGreaterThanOrEqual(0);
      expect(h.uncertainty.normalisedEntropy).toBeLessThanOrEqual(1);
    }
    expect(f.diagnosis!.branches.reduce((a, b) => a + b.probability, 0)).toBeCloseTo(1, 9);
    expect(['low', 'moderate', 'high']).toContain(f.uncertaintySummary.level);
    expect(f.model).toEqual(expect.objectContaining({ name: 'tiny-glioma', version: '1.0.0-test', executionProvider: 'cpu', sha256: glioma.sha256 }));
    expect(f.model.intendedUse).toMatch(/TEST MODEL ONLY/);
    expect(f.missingModalities).toEqual([]);
    expect(f.inputs.map((i) => i.role)).toEqual(['t1', 't1ce', 't2', 'flair']);
    expect(f.segmentation!.segments.map((s) => [s.labelValue, s.key, s.type.value])).toEqual([[1, 'NCR', '6574001'], [2, 'ED', '79654002'], [3, 'ET', 'C113842']]);
    expect(f.timings.forward).toBeGreaterThan(0);
  });

  it('leave-one-modality-out importance and radiomics', async () => {
    const f = await analyseStudy(glioma, studyOf(ph), opts);
    const imp = f.modalityImportance!;
    expect(imp.map((i) => i.role)).toEqual(['t1', 't1ce', 't2', 'flair']);
    for (const i of imp) {
      expect(i.diceToFull).toBeGreaterThan(0);
      expect(i.diceToFull).toBeLessThanOrEqual(1);
      for (const d of Object.values(i.headDeltas)) expect(d).toBeGreaterThanOrEqual(0);
    }
    // The whole tumour is defined by T2/FLAIR brightness in the phantom: dropping either changes WT far more
    // than dropping T1 or T1ce (which only move voxels between NCR/ET inside WT).
    const byRole = Object.fromEntries(imp.map((i) => [i.role, i.diceToFull!]));
    expect(Math.max(byRole.t2!, byRole.flair!)).toBeLessThan(0.9);
    expect(Math.min(byRole.t1!, byRole.t1ce!)).toBeGreaterThan(0.95);
    const rad = f.radiomics!;
    const vol = rad.find((r) => r.region === 'WT' && r.ibsiId === 'YEKZ')!;
    expect(vol.value).toBe(f.regions.find((r) => r.key === 'WT')!.voxelCount * 8);
    expect(rad.find((r) => r.region === 'WT' && r.sequence === 'flair' && r.ibsiId === 'Q4LE')!.value).toBeGreaterThan(1); // FLAIR-bright lesion
    const f5 = rad.find((r) => r.name === 'F5_proportion_enhancing')!.value;
    const et = f.regions.find((r) => r.key === 'ET')!.voxelCount / f.regions.find((r) => r.key === 'TC')!.voxelCount;
    expect(f5).toBeCloseTo(et, 12);
    expect(rad.find((r) => r.name === 'F9_component_count')!.value).toBe(1);
    expect(rad.find((r) => r.name === 'F23_enhancing_crosses_midline_code')!.value).toBe(2); // tumour centred at i=22 of 40, radius 5
  });

  it('records missing modalities and degrades gracefully', async () => {
    const { t2: _t2, ...rest } = ph.input.channels;
    const f = await analyseStudy(glioma, studyOf({ ...ph, input: { ...ph.input, channels: rest } }), { ...opts, modalityImportance: false });
    expect(f.missingModalities).toEqual(['t2']);
    expect(f.inputs.map((i) => i.role)).toEqual(['t1', 't1ce', 'flair']);
    expect(f.warnings.join(' ')).toMatch(/missing t2/);
    expect(f.uncertaintySummary.notes).toContain('missing sequences: t2');
    expect(f.uncertaintySummary.level).not.toBe('low');
  });

  it('maps labels to the display series and measures volumes there', async () => {
    // Display series at 1 mm (twice the resolution of the 2 mm model grid), same origin: nearest-neighbour upsampling.
    const g = ph.input;
    const refAffine = Float64Array.from(g.affine);
    refAffine[0] = 1; refAffine[5] = 1; refAffine[10] = 1;
    const ref = seriesOn({ dims: [80, 72, 64], spacing: [1, 1, 1], affine: refAffine }, '1.2.3.9');
    const up: ToReference = <T extends Uint8Array | Float32Array>(map: Volume<T>, target: SeriesVolume): Volume<T> => {
      const Ctor = map.data.constructor as new (n: number) => T;
      const data = new Ctor(target.dims[0] * target.dims[1] * target.dims[2]);
      for (let k = 0, v = 0; k < target.dims[2]; k++)
        for (let j = 0; j < target.dims[1]; j++)
          for (let i = 0; i < target.dims[0]; i++, v++) data[v] = map.data[(i >> 1) + map.dims[0] * ((j >> 1) + map.dims[1] * (k >> 1))]!;
      return { dims: target.dims, spacing: target.spacing, affine: target.affine, data };
    };
    const onGrid = await analyseStudy(glioma, studyOf(ph), { ...opts, modalityImportance: false, radiomics: false });
    const onRef = await analyseStudy(glioma, studyOf(ph, ref, up), { ...opts, modalityImportance: false, radiomics: false });
    expect(onRef.segmentation!.labelmap.dims).toEqual([80, 72, 64]);
    const a = onGrid.regions.find((r) => r.key === 'WT')!;
    const b = onRef.regions.find((r) => r.key === 'WT')!;
    expect(b.voxelCount).toBe(8 * a.voxelCount);
    expect(b.volumeMl).toBeCloseTo(a.volumeMl, 12);
    await expect(analyseStudy(glioma, studyOf(ph, ref), opts)).rejects.toThrow(/no inverse mapping/);
  });

  it('the metastasis contract: GTV and EGFR head, no glioma diagnosis', async () => {
    const f = await analyseStudy(mets, studyOf(ph), opts);
    expect(f.segmentation!.segments.map((s) => s.key)).toEqual(['GTV']);
    expect(f.heads.map((h) => h.head)).toEqual(['egfr']);
    expect(f.diagnosis).toBeUndefined();
    // GTV = enhancing shell of the phantom.
    expect(dice(f.segmentation!.labelmap.data, [1], ph.truth, [3])).toBeGreaterThan(0.8);
    expect(f.modalityImportance!.map((i) => i.role)).toEqual(['flair']); // removing t1ce leaves no minimum set
    expect(f.warnings.join(' ')).toMatch(/modality importance: t1ce not assessed/);
  });

  it('a classification-only contract (CMTLNet-style: no segmentation output) gives heads and no label map', async () => {
    const { segmentation: _seg, ...outputs } = glioma.manifest.outputs;
    const headsOnly = { ...glioma, manifest: { ...glioma.manifest, outputs: { ...outputs, heads: glioma.manifest.outputs.heads.map((h) => ({ ...h, aggregation: 'mean' as const })) } } };
    const f = await analyseStudy(headsOnly, studyOf(ph), opts);
    expect(f.segmentation).toBeUndefined();
    expect(f.regions).toEqual([]);
    expect(f.radiomics).toBeUndefined();
    expect(f.heads).toHaveLength(4);
    expect(f.diagnosis!.branches).toHaveLength(4);
    expect(f.modalityImportance!.every((i) => i.diceToFull === undefined)).toBe(true);
  });

  it('summarises Findings as JSON without voxel arrays', async () => {
    const f = await analyseStudy(glioma, studyOf(ph), { ...opts, modalityImportance: false, radiomics: false });
    const s = summariseFindings(f);
    const json = JSON.stringify(s);
    expect(json.length).toBeLessThan(20000);
    const seg = s.segmentation as { labelmap: { voxelsPerLabel: Record<string, number>; dims: number[] } };
    expect(seg.labelmap.dims).toEqual([40, 36, 32]);
    expect(Object.values(seg.labelmap.voxelsPerLabel).reduce((a, b) => a + b, 0)).toBe(f.regions.find((r) => r.key === 'WT')!.voxelCount);
  });
});
