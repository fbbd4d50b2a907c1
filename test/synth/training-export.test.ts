/**
 * Training-set export through the node's own preprocessing (DICOM written -> built by src/imaging -> toModelGrid):
 * the on-disk layout the Python trainer reads, label/image alignment on the model grid, round trip vs direct, the
 * availability vector for dropped roles, and clear errors for bad grid files and options.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildProgram } from '../../src/cli/main';
import {
  caseChoice, DEFAULT_PREPROCESS, exportTrainingCase, parsePreprocessSpec, parseTumourMix, readPreprocessSpec,
  TrainingExportError, writeTrainingIndex, type TrainingSetOptions,
} from '../../src/synth/training-export';
import { readCase, trainingOptions } from './training-case';
import { meanWhere, tempDir } from './util';

let work: string;
beforeAll(() => {
  work = tempDir('synth-training-');
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

const DEFAULTS: Parameters<typeof trainingOptions>[1] = { count: 3, seed: 'ts-test', vendors: ['siemens', 'philips'], tumourMix: [['gbm', 1]], dropProb: 0, size: 'small' };
const options = (outDir: string, over: Partial<TrainingSetOptions> = {}) => trainingOptions(outDir, DEFAULTS, over);

describe('training-set export (DICOM round trip)', () => {
  it('writes [4, nz, ny, nx] float32 channels + uint8 labels that line up on the model grid', async () => {
    const o = options(join(work, 'rt'));
    const summary = await exportTrainingCase(o, 0);
    expect(summary.tumor).toBe('gbm');
    const { meta, n, image, labels } = readCase(join(o.outDir, summary.dir));
    expect(meta.shape).toEqual([60, 72, 64]);
    expect(meta.axes).toBe('kji');
    expect(meta.channels).toEqual(['t1', 't1ce', 't2', 'flair']);
    expect(image.length).toBe(4 * n);
    expect(labels.length).toBe(n);
    expect(meta.availability).toEqual([1, 1, 1, 1]);
    expect(meta.classes).toMatchObject({ tumor: 'gbm', idh: 'wildtype', grade: '4', histology: 'glioblastoma' });
    expect(meta.labelCounts[3]).toBeGreaterThan(0);
    // Alignment on the model grid: enhancing tumour is bright on normalised T1ce, oedema bright on FLAIR.
    const ch = (c: number) => image.subarray(c * n, (c + 1) * n);
    const t1ce = ch(1);
    const flair = ch(3);
    expect(meanWhere(t1ce, (i) => labels[i] === 3)).toBeGreaterThan(meanWhere(t1ce, (i) => labels[i] === 2) + 0.8);
    expect(meanWhere(flair, (i) => labels[i] === 2)).toBeGreaterThan(meanWhere(flair, (i) => labels[i] === 0 && t1ce[i] !== 0) + 0.8);
    // ... and on T2 (vasogenic oedema is T2-hyperintense, not only FLAIR-bright).
    const t2 = ch(2);
    expect(meanWhere(t2, (i) => labels[i] === 2)).toBeGreaterThan(meanWhere(t2, (i) => labels[i] === 0 && t1ce[i] !== 0) + 0.8);
    // z-scored inside the head: roughly zero mean, unit spread over non-zero voxels.
    const nz = Array.from(ch(0)).filter((v) => v !== 0);
    const mean = nz.reduce((a, b) => a + b, 0) / nz.length;
    expect(Math.abs(mean)).toBeLessThan(0.3);
  });

  it('round trip and direct volumes give the same model-space arrays up to DICOM rounding', async () => {
    const a = readCase(join(work, 'rt', 'case-00000'));
    const o = options(join(work, 'direct'), { roundTrip: false });
    await exportTrainingCase(o, 0);
    const b = readCase(join(o.outDir, 'case-00000'));
    let same = 0;
    for (let i = 0; i < a.labels.length; i++) if (a.labels[i] === b.labels[i]) same++;
    expect(same / a.labels.length).toBeGreaterThan(0.999);
    let maxDiff = 0;
    for (let i = 0; i < a.image.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a.image[i]! - b.image[i]!));
    expect(maxDiff).toBeLessThan(0.05);
  });

  it('zero-fills dropped roles and marks them unavailable; index.json lists the cases', async () => {
    const o = options(join(work, 'drop'), { count: 2, dropProb: 0.5, seed: 'drop-test', tumourMix: [['mets', 1], ['none', 1]] });
    const choices = [0, 1].map((i) => caseChoice(o, i));
    expect(choices.some((c) => c.drop.length > 0)).toBe(true);
    for (let i = 0; i < 2; i++) await exportTrainingCase(o, i);
    const idx = writeTrainingIndex(o);
    expect(idx).toEqual({ cases: 2, missing: [] });
    const index = JSON.parse(readFileSync(join(o.outDir, 'index.json'), 'utf8'));
    expect(index.cases.map((c: { id: string }) => c.id)).toEqual(['case-00000', 'case-00001']);
    for (const c of choices) {
      const { meta, n, image } = readCase(join(o.outDir, c.id));
      expect(meta.dropped).toEqual(c.drop);
      ['t1', 't1ce', 't2', 'flair'].forEach((role, k) => {
        const dropped = c.drop.includes(role as never);
        expect(meta.availability[k]).toBe(dropped ? 0 : 1);
        const channel = image.subarray(k * n, (k + 1) * n);
        expect(channel.some((v) => v !== 0)).toBe(!dropped);
      });
      if (meta.classes.tumor === 'mets') expect(['mutant', 'wildtype']).toContain(meta.classes.egfr);
    }
  });
});

describe('options and errors', () => {
  it('reads a model manifest or a bare { grid, normalisation } file; rejects bad ones clearly', () => {
    const manifest = join(work, 'manifest.json');
    writeFileSync(manifest, JSON.stringify({ preprocessing: { space: { kind: 'grid', grid: DEFAULT_PREPROCESS.grid, referenceRoles: ['t1'] }, normalisation: { method: 'none', mask: 'all' } } }));
    const spec = readPreprocessSpec(manifest);
    expect(spec.referenceRoles).toEqual(['t1']);
    expect(spec.normalisation).toEqual({ method: 'none', mask: 'all' });
    expect(() => parsePreprocessSpec({ grid: { spacing: [2, 2], size: [1, 1, 1], orientation: 'LPS', centre: 'head-centroid' } })).toThrow(/grid.spacing must be three positive numbers/);
    expect(() => parsePreprocessSpec({ grid: { spacing: [2, 2, 2], size: [96, 96, 96], orientation: 'XYZ', centre: 'head-centroid' } })).toThrow(/grid.orientation/);
    expect(() => parsePreprocessSpec({})).toThrow(TrainingExportError);
    const bad = join(work, 'bad.json');
    writeFileSync(bad, '{ not json');
    expect(() => readPreprocessSpec(bad)).toThrow(/is not JSON/);
    expect(() => readPreprocessSpec(join(work, 'absent.json'))).toThrow(/cannot read grid file/);
  });

  it('parses tumour mixes', () => {
    expect(parseTumourMix('gbm=2,mets')).toEqual([['gbm', 2], ['mets', 1]]);
    expect(() => parseTumourMix('gbm,lymphoma')).toThrow(/unknown tumour kind 'lymphoma'/);
    expect(() => parseTumourMix('gbm=0')).toThrow(/no tumour kind with a positive weight/);
  });

  it('the CLI refuses bad training-set options with exit code 2', async () => {
    const err = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      for (const [args, msg] of [
        [['--training-set', '0'], /--training-set must be a positive integer/],
        [['--training-set', '2', '--drop-prob', '1.5'], /--drop-prob must be in/],
        [['--training-set', '2', '--vendors', 'siemens,toshiba'], /unknown vendor 'toshiba'/],
        [['--training-set', '2', '--shard', '3/2'], /--shard must be K\/N/],
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

describe('template-space export (a BraTS-convention manifest as --grid)', () => {
  it("each case goes through the node's atlas registration and brain extraction: template grid, skull-stripped, labels aligned", async () => {
    const out = join(work, 'template');
    const log = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const stdout = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      process.exitCode = 0;
      await buildProgram().parseAsync(['synth', '--training-set', '1', '--out', out, '--seed', 'ts-template', '--vendors', 'ge', '--tumor-mix', 'gbm',
        '--drop-prob', '0', '--grid', join(__dirname, '../../models/glioma-brats-convention/manifest.json')], { from: 'user' });
      expect(process.exitCode ?? 0).toBe(0);
    } finally {
      log.mockRestore();
      stdout.mockRestore();
    }
    const index = JSON.parse(readFileSync(join(out, 'index.json'), 'utf8'));
    expect(index.space).toEqual({ kind: 'template', skullStrip: true });
    const { meta, n, image, labels } = readCase(join(out, 'case-00000'));
    expect(meta.shape).toEqual([80, 120, 120]);
    expect(meta.space.notes.join('\n')).toMatch(/template space: Colin27.*brain extraction: atlas/s);
    const ch = (c: number) => image.subarray(c * n, (c + 1) * n);
    // Skull-stripped: every channel is zero outside the brain (the same voxels in all four), brain a plausible size.
    const brain = Array.from(ch(1), (v) => v !== 0);
    const brainMl = (brain.filter(Boolean).length * 8) / 1000;
    expect(brainMl).toBeGreaterThan(900);
    expect(brainMl).toBeLessThan(1800);
    for (const c of [0, 2, 3]) expect(Array.from(ch(c)).every((v, i) => v === 0 || brain[i])).toBe(true);
    // z-scored over brain voxels; the tumour is inside the mask; ET bright on T1ce, oedema bright on FLAIR.
    const inBrain = Array.from(ch(0)).filter((_, i) => brain[i]);
    expect(Math.abs(inBrain.reduce((a, b) => a + b, 0) / inBrain.length)).toBeLessThan(0.05);
    const tumour = Array.from(labels).map((l, i) => [l, i] as const).filter(([l]) => l > 0);
    expect(tumour.length).toBeGreaterThan(100);
    expect(tumour.filter(([, i]) => brain[i]).length / tumour.length).toBeGreaterThan(0.99);
    expect(meanWhere(ch(1), (i) => labels[i] === 3)).toBeGreaterThan(meanWhere(ch(1), (i) => labels[i] === 2) + 0.8);
    expect(meanWhere(ch(3), (i) => labels[i] === 2)).toBeGreaterThan(meanWhere(ch(3), (i) => labels[i] === 0 && brain[i]!) + 0.8);
  }, 300_000);
});
