/** @jest-environment ./test/ai/ort-environment.js */
/**
 * The `brain-extraction` package kind, PLUMBING with a hand-set one-voxel ONNX (test/fixtures/models/
 * tiny-brain-extraction: logit = intensity - 50; not a skull-stripping model): the package loads and is checked
 * (manifest, sha256), runs on its own grid with `ijk` tensor axes, and its mask comes back onto an oblique reference
 * grid where it matches the phantom's bright ellipsoid (Dice >= 0.95): a transposed axis or a wrong inverse mapping
 * would move or distort it. A bad manifest is refused with a message naming the field.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { affineFromAxes } from '../../src/imaging/affine';
import type { SeriesVolume, Vec3 } from '../../src/imaging/volume';
import { loadBrainModel, modelBrainExtraction, type BrainModel } from '../../src/registration/brain-model';

const FIX = join(__dirname, '../fixtures/models/tiny-brain-extraction');
const OPTS = { executionProviders: ['cpu'] as const, intraOpNumThreads: 1 };

function phantom(): { volume: SeriesVolume<Float32Array>; truth: Uint8Array } {
  const dims: Vec3 = [96, 96, 40];
  const c = Math.cos(0.25);
  const s = Math.sin(0.25);
  const affine = affineFromAxes([[c, s, 0], [-s, c, 0], [0, 0, 1]], [2, 2, 3.5], [-90, -80, -60]);
  const data = new Float32Array(dims[0] * dims[1] * dims[2]);
  const truth = new Uint8Array(data.length);
  const centre: Vec3 = [8, -4, 6];
  let o = 0;
  for (let k = 0; k < dims[2]; k++) {
    for (let j = 0; j < dims[1]; j++) {
      for (let i = 0; i < dims[0]; i++, o++) {
        const p = [0, 1, 2].map((r) => affine[r * 4]! * i + affine[r * 4 + 1]! * j + affine[r * 4 + 2]! * k + affine[r * 4 + 3]! - centre[r]!);
        // Asymmetric ellipsoid: 70 x 50 x 45 mm semi-axes, so a swapped axis shows.
        const inside = (p[0]! / 70) ** 2 + (p[1]! / 50) ** 2 + (p[2]! / 45) ** 2 < 1;
        truth[o] = inside ? 1 : 0;
        data[o] = inside ? 100 : 0;
      }
    }
  }
  const volume: SeriesVolume<Float32Array> = {
    dims, spacing: [2, 2, 3.5], affine, data, seriesInstanceUid: '1.2.3.9',
    sources: [], imageOrientationPatient: [c, s, 0, -s, c, 0],
  };
  return { volume, truth };
}

describe('brain-extraction model package (plumbing, hand-set weights)', () => {
  let model: BrainModel;
  beforeAll(async () => {
    model = await loadBrainModel(FIX, { ...OPTS, executionProviders: ['cpu'] });
  });
  afterAll(async () => {
    await model.session.release();
  });

  it('maps its mask back onto an oblique reference grid (Dice >= 0.95 with the phantom)', async () => {
    const { volume, truth } = phantom();
    const be = await modelBrainExtraction(model, volume);
    expect(be.method).toBe('model');
    expect(be.mask.dims).toEqual(volume.dims);
    let i = 0, a = 0, b = 0;
    for (let v = 0; v < truth.length; v++) {
      if (truth[v]) a++;
      if (be.mask.data[v]) b++;
      if (truth[v] && be.mask.data[v]) i++;
    }
    const d = (2 * i) / (a + b);
    process.stdout.write(`brain-model plumbing Dice ${d.toFixed(4)}\n`);
    expect(d).toBeGreaterThanOrEqual(0.95);
    expect(be.description).toMatch(/tiny-brain-extraction/);
  });

  it('refuses a package whose manifest is invalid or whose weights changed, naming the problem', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'brain-model-'));
    try {
      cpSync(FIX, dir, { recursive: true });
      const m = JSON.parse(readFileSync(join(FIX, 'manifest.json'), 'utf8'));
      writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ ...m, output: { ...m.output, activation: 'relu' } }));
      await expect(loadBrainModel(dir, { ...OPTS, executionProviders: ['cpu'] })).rejects.toThrow(/output\.activation/);
      writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ ...m, model: { ...m.model, sha256: '0'.repeat(64) } }));
      await expect(loadBrainModel(dir, { ...OPTS, executionProviders: ['cpu'] })).rejects.toThrow(/sha256/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
