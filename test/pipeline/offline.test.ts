/** @jest-environment ./test/ai/ort-environment.js */
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../src/config/load';
import { ModelRegistry } from '../../src/ai/registry';
import { processFolder } from '../../src/pipeline/offline';
import { synthesiseStudy } from '../../src/synth/study';
import { writeStudy } from '../../src/synth/write-study';
import { checkConformance } from '../../conformance/check';
import { readP10 } from '../../src/dicom/p10';

describe('offline processing (neuro-onc-node process)', () => {
  const cfg = parseConfig({ models: { dir: 'test/fixtures/models', routing: [{ model: 'tiny-glioma', whenRoles: ['flair'] }], modalityImportance: false } });
  let registry: ModelRegistry;
  beforeAll(async () => {
    registry = await ModelRegistry.load(cfg.models.dir, { executionProviders: ['cpu'], intraOpNumThreads: 1, interOpNumThreads: 1 });
  });
  afterAll(async () => registry?.close());

  it('writes SEG, SR, key images, PDF, report and findings that pass the conformance checks', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'offline-'));
    const study = await synthesiseStudy({ tumor: 'astro', seed: 'offline-1', vendor: 'ge', size: 'small', distractors: 'random' });
    writeStudy(study, join(dir, 'in'));
    const out = join(dir, 'out');
    const { studies } = await processFolder([join(dir, 'in')], out, registry, cfg);
    expect(studies).toHaveLength(1);
    const s = studies[0]!;
    expect(s.identification.classification.selected.flair).toBeDefined();
    expect(s.models).toHaveLength(1);
    expect(s.models[0]!.error).toBeUndefined();
    const names = readdirSync(join(out, study.study.studyInstanceUid, 'tiny-glioma')).sort();
    expect(names).toEqual(expect.arrayContaining(['seg.dcm', 'sr.dcm', 'report.txt', 'findings.json']));
    expect(names.some((n) => n.startsWith('sc'))).toBe(true);
    expect(names.some((n) => /pdf/.test(n))).toBe(true);
    const report = readFileSync(join(out, study.study.studyInstanceUid, 'tiny-glioma', 'report.txt'), 'utf8');
    expect(report).toMatch(/research use only/i);
    const dcm = s.models[0]!.files.filter((f) => f.endsWith('.dcm'));
    const r = await checkConformance(dcm);
    expect(r.errors).toBe(0);
  }, 600000); // synthesis, registration of three series, inference and conformance of every object

  it('a study without FLAIR or T2 is reported as not routable, nothing written', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'offline-'));
    const study = await synthesiseStudy({ tumor: 'gbm', seed: 'offline-2', vendor: 'siemens', size: 'small', distractors: 'none', drop: ['flair', 't2'] });
    writeStudy(study, join(dir, 'in'));
    const { studies } = await processFolder([join(dir, 'in')], join(dir, 'out'), registry, cfg);
    expect(studies[0]!.identification.routed).toEqual([]);
    expect(studies[0]!.identification.classification.missing).toEqual(expect.arrayContaining(['flair', 't2']));
    expect(existsSync(join(dir, 'out'))).toBe(false);
  });

  it('a model whose segmentation needs FLAIR, on a study without FLAIR: SR and report say it was withheld; no SEG or key images; conformant', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'offline-'));
    // The tiny model with the rule our glioma package carries (manifest missingModalities.segmentationRequires).
    cpSync('test/fixtures/models/tiny-glioma', join(dir, 'models', 'tiny-glioma'), { recursive: true });
    const mf = join(dir, 'models', 'tiny-glioma', 'manifest.json');
    const manifest = JSON.parse(readFileSync(mf, 'utf8')) as { missingModalities: Record<string, unknown> };
    manifest.missingModalities.segmentationRequires = [['t1', 'flair']];
    writeFileSync(mf, JSON.stringify(manifest));
    const c = parseConfig({ models: { dir: join(dir, 'models'), routing: [{ model: 'tiny-glioma', whenRoles: ['t2'] }], modalityImportance: false } });
    const reg = await ModelRegistry.load(c.models.dir, { executionProviders: ['cpu'], intraOpNumThreads: 1, interOpNumThreads: 1 });
    try {
      const study = await synthesiseStudy({ tumor: 'gbm', seed: 'offline-3', vendor: 'philips', size: 'small', distractors: 'none', drop: ['flair'] });
      writeStudy(study, join(dir, 'in'));
      const { studies } = await processFolder([join(dir, 'in')], join(dir, 'out'), reg, c);
      const m = studies[0]!.models[0]!;
      expect(m.error).toBeUndefined();
      const names = readdirSync(join(dir, 'out', study.study.studyInstanceUid, 'tiny-glioma'));
      expect(names).toEqual(expect.arrayContaining(['sr.dcm', 'report.txt', 'findings.json']));
      expect(names.filter((n) => n === 'seg.dcm' || n.startsWith('sc'))).toEqual([]);
      const report = readFileSync(join(dir, 'out', study.study.studyInstanceUid, 'tiny-glioma', 'report.txt'), 'utf8');
      expect(report).toMatch(/No segmentation reported: FLAIR missing; tiny-glioma segments reliably only with T1\+FLAIR/);
      const sr = readP10(readFileSync(join(dir, 'out', study.study.studyInstanceUid, 'tiny-glioma', 'sr.dcm')));
      expect(JSON.stringify(sr.dataset)).toContain('segmentation withheld: FLAIR missing');
      const r = await checkConformance(m.files.filter((f) => f.endsWith('.dcm')));
      expect(r.errors).toBe(0);
    } finally {
      await reg.close();
    }
  });
});
