/**
 * Training-set export with --variety: narrow is byte-identical to the export before variety existed (checksums of
 * a case made with the previous code), a wide case records what it drew and shows it (slice thickness, deformation,
 * head size), its moved series go through the node's inter-series registration (small residual against the true
 * motion), and its labels still agree with the images.
 */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { buildProgram } from '../../src/cli/main';
import { caseChoice, caseVariety, exportTrainingCase, writeTrainingIndex, type TrainingSetOptions } from '../../src/synth/training-export';
import { readCase, trainingOptions } from './training-case';
import { meanWhere, sha256, tempDir } from './util';

let work: string;
beforeAll(() => {
  work = tempDir('synth-variety-');
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

const DEFAULTS: Parameters<typeof trainingOptions>[1] = { count: 2, seed: 'variety-narrow', vendors: ['siemens', 'ge'], tumourMix: [['gbm', 1], ['mets', 1]], dropProb: 0.2, size: 'small' };
const options = (outDir: string, over: Partial<TrainingSetOptions> = {}) => trainingOptions(outDir, DEFAULTS, over);

/**
 * sha256 of case-00000 of options() exported by the code before --variety existed (commit ba773e2). If the
 * generator is changed on purpose, regenerate these with the old and new code and say so in the commit.
 */
const NARROW_BEFORE = {
  'image.f32': '11ffc53a895699c867e3504d7254ba412f09bec6ee10eb10617a4bcfae27affc',
  'labels.u8': 'd48f43eebd628becdbcb28626583a06cf721135d8a8c6b2b6c868cda51b9b62e',
  'case.json': '6ebbec2210f1944096fb19955922708f711e3231246efcae62e640474f38360a',
};

describe('--variety narrow', () => {
  it('is byte-identical to the export before variety existed', async () => {
    // Explicit narrow draws nothing, so it takes the default's path (exported once to keep the test short).
    expect(caseVariety(options(work, { variety: 'narrow' }), 0)).toBeNull();
    const o = options(join(work, 'narrow'));
    expect(caseVariety(o, 0)).toBeNull();
    const s = await exportTrainingCase(o, 0);
    for (const [f, h] of Object.entries(NARROW_BEFORE)) expect([f, sha256(readFileSync(join(o.outDir, s.dir, f)))]).toEqual([f, h]);
  });
});

describe('--variety wide', () => {
  it('records and applies the drawn settings; moved series are registered by the node; labels agree with the images', async () => {
    const o = options(join(work, 'wide'), { variety: 'wide', tumourMix: [['gbm', 1]], dropProb: 0, seed: 'variety-wide', count: 200 });
    // A case with head motion, a sizeable tumour of the default shape and a 2-D T2 (pure draws: cheap to search).
    const index = Array.from({ length: 200 }, (_, i) => i).find((i) => {
      const v = caseVariety(o, i)!;
      return v.motion && v.tumour.radiusMm! >= 15 && v.tumour.shape === 'default' && caseChoice(o, i).drop.length === 0;
    })!;
    const v = caseVariety(o, index)!;
    const s = await exportTrainingCase(o, index);
    const { meta, n, image, labels } = readCase(join(o.outDir, s.dir));
    const rec = meta.variety;
    expect(rec.level).toBe('wide');
    expect(rec.series.t2).toEqual(v.series.t2);
    // The T2 was acquired with the drawn thickness and gap (DICOM round trip: decimal rounding only).
    expect(rec.seriesDrawn.t2.sliceThicknessMm).toBeCloseTo(v.series.t2.sliceThicknessMm!, 3);
    expect(rec.seriesDrawn.t2.sliceStepMm).toBeCloseTo(v.series.t2.sliceThicknessMm! + v.series.t2.sliceGapMm!, 3);
    expect(rec.anatomyDrawn.amplitudeMm).toBeGreaterThan(0.5);
    expect(rec.anatomyDrawn.headScale).not.toBe(1);
    expect(rec.tumourDrawn.lesionRadiiMm[0]).toBeCloseTo(v.tumour.radiusMm!, 0);
    // Every series except the T1ce moved, and the node's registration brought each back to within a voxel.
    const moved = Object.entries(rec.seriesDrawn).filter(([, d]) => (d as { motion?: unknown }).motion).map(([r]) => r).sort();
    expect(moved).toEqual(['flair', 't1', 't2']);
    expect(meta.registration.referenceRole).toBe('t1ce');
    expect(meta.registration.series.map((e: { role: string }) => e.role).sort()).toEqual(moved);
    for (const e of meta.registration.series) {
      expect([e.role, e.outcome]).toEqual([e.role, 'aligned']);
      expect(e.residualMm).toBeLessThan(1.5);
    }
    expect(s.registrationSeconds).toBeGreaterThan(0);
    const idx = writeTrainingIndex({ ...o, count: index + 1 });
    expect(idx.cases).toBe(1);
    const entry = JSON.parse(readFileSync(join(o.outDir, 'index.json'), 'utf8')).cases[0];
    expect(entry).toMatchObject({ id: s.dir, unseen: [], unregistered: [] });
    // Labels agree with the images: tumour inside the head, ET bright on T1ce, oedema bright on FLAIR and T2.
    const ch = (c: number) => image.subarray(c * n, (c + 1) * n);
    const [t1ce, t2, flair] = [ch(1), ch(2), ch(3)];
    let outsideHead = 0;
    for (let i = 0; i < n; i++) if (labels[i] && t1ce[i] === 0) outsideHead++;
    expect(outsideHead).toBe(0);
    expect(meta.labelCounts[3]).toBeGreaterThan(20);
    expect(meanWhere(t1ce, (i) => labels[i] === 3)).toBeGreaterThan(meanWhere(t1ce, (i) => labels[i] === 2) + 0.5);
    expect(meanWhere(flair, (i) => labels[i] === 2)).toBeGreaterThan(meanWhere(flair, (i) => labels[i] === 0 && t1ce[i] !== 0) + 0.5);
    expect(meanWhere(t2, (i) => labels[i] === 2)).toBeGreaterThan(meanWhere(t2, (i) => labels[i] === 0 && t1ce[i] !== 0) + 0.5);
  });

  it('the CLI refuses a bad --variety, and --variety on a single study, with exit code 2', async () => {
    const err = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      for (const [args, msg] of [
        [['--training-set', '2', '--variety', 'wider'], /--variety must be one of narrow, wide, unseen \(got 'wider'\)/],
        [['--variety', 'wide'], /--variety applies to --training-set/],
      ] as const) {
        process.exitCode = 0;
        await buildProgram().parseAsync(['synth', '--out', join(work, 'cli-bad'), ...args], { from: 'user' });
        expect(process.exitCode).toBe(2);
        expect(String(err.mock.calls.at(-1)?.[0])).toMatch(msg);
      }
    } finally {
      process.exitCode = 0;
      err.mockRestore();
    }
  });
});
