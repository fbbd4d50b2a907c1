/**
 * Brain extraction and template space on synthetic studies whose anatomy is NOT the atlas (smooth random
 * deformation up to 4 mm, head size +/- 8 %, a glioma with mass effect): bounded to two 2 mm studies. The work runs
 * in a child process (template-space.run.ts); this file checks its measurements.
 *  - atlas brain extraction (Colin27 affine + B-spline, elastix WebAssembly): Dice >= 0.95 against the ground-truth
 *    brain mask (brain + tumour) and no tumour cut out (>= 99.5 % of tumour voxels inside the mask);
 *  - PLUMBING, NOT ACCURACY: models/examples/nnunet-brats.manifest.json is accepted and runs end to end with a
 *    random-weight ONNX of its shapes (test/fixtures/models/nnunet-brats-plumbing): template grid 240x240x155 1 mm
 *    placed by the atlas registration, skull-stripped, z-scored over non-zero voxels, sliding window, regions mapped
 *    back to the display grid. Its segmentation is meaningless; only shapes, geometry and flow are checked.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';

interface BrainResult { seed: string; diagnosis: string; dice: number; tumourVoxels: number; tumourKept: number; seconds: number; description: string }
interface Plumbing {
  spaceWarnings: string[];
  gridDims: number[];
  gridSpacing: number[];
  gridAffine: number[];
  brainMask: boolean;
  channels: Record<string, { outsideNonZero: number; meanInside: number; sdInside: number }>;
  labelsFromMappedProbabilities: boolean;
  labelmapDims: number[];
  labelmapOnReference: boolean;
  spatialPreprocessing: string[];
}
let result: { brainExtraction: BrainResult[]; plumbing: Plumbing };

beforeAll(async () => {
  const stdout = await new Promise<string>((resolve, reject) => {
    const child = spawn(process.execPath, ['-r', join(__dirname, '../helpers/ts-register.js'), join(__dirname, 'template-space.run.ts')], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`template-space.run.ts exited ${code}: ${err}`))));
  });
  result = JSON.parse(stdout.trim().split('\n').pop()!);
  process.stdout.write(`${JSON.stringify(result.brainExtraction, null, 1)}\n`);
}, 1_800_000);

describe('atlas brain extraction on deformed, scaled anatomies with tumours', () => {
  it.each([0, 1])('case %i: Dice >= 0.95 against the ground-truth brain mask, tumour kept', (n) => {
    const r = result.brainExtraction[n]!;
    expect(r.dice).toBeGreaterThanOrEqual(0.95);
    expect(r.tumourVoxels).toBeGreaterThan(100);
    expect(r.tumourKept / r.tumourVoxels).toBeGreaterThanOrEqual(0.995);
    expect(r.description).toMatch(/affine \+ bspline.*elastix/);
  });
});

describe('nnunet-brats example manifest (PLUMBING with a random-weight ONNX, not accuracy)', () => {
  it('the example manifest is accepted: the node produces template space, with a stand-in warning', () => {
    expect(result.plumbing.spaceWarnings.join('\n')).toMatch(/Colin27/);
  });

  it('plumbing only: runs on the registered 240x240x155 grid, skull-stripped and z-scored, regions mapped back to the display grid', () => {
    const p = result.plumbing;
    expect(p.gridDims).toEqual([240, 240, 155]);
    expect(p.gridSpacing).toEqual([1, 1, 1]);
    // Registered: the grid is not axis-aligned in the patient (the synthetic head is rotated).
    expect(Math.abs(p.gridAffine[1]!) + Math.abs(p.gridAffine[2]!) + Math.abs(p.gridAffine[4]!)).toBeGreaterThan(0.01);
    expect(p.brainMask).toBe(true);
    for (const c of Object.values(p.channels)) {
      expect(c.outsideNonZero).toBe(0);
      expect(Math.abs(c.meanInside)).toBeLessThan(0.05);
      expect(Math.abs(c.sdInside - 1)).toBeLessThan(0.05);
    }
    expect(p.labelsFromMappedProbabilities).toBe(true);
    expect(p.labelmapOnReference).toBe(true);
    expect(p.spatialPreprocessing.join('\n')).toMatch(/Colin27.*SRI24/);
    expect(p.spatialPreprocessing.join('\n')).toMatch(/brain extraction: atlas/);
  });
});
