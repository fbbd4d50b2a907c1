/**
 * The elastix WebAssembly wrapper: a known rigid head motion between two intensity mappings on differently oriented
 * grids is recovered at the brain's bounding-box corners (within 1.5 mm: registration runs on 4 mm voxels of a
 * blob phantom; the 1 mm target is measured on the synthetic anatomy), and the Debian elastix CLI with the same
 * parameter maps agrees with it within 1 mm.
 */
import { applyAffine, invertAffine, maxAbsDiff } from '../../src/imaging/affine';
import { registerWithCli } from '../../src/registration/elastix-cli';
import { alignedAffine, atSpacing, register, toItkImage } from '../../src/registration/elastix-engine';
import { composedLinearTransform, eulerMatrix, parameterFileText, parameterMap, parseParameterFile } from '../../src/registration/parameter-maps';
import { compose, translation } from '../../src/synth/geometry';
import { cornerError, grid, motion, sample } from './phantom';

const SAGITTAL: [[number, number, number], [number, number, number], [number, number, number]] = [[0, 1, 0], [0, 0, -1], [1, 0, 0]];

describe('parameter maps and transforms (pure)', () => {
  it('ITK Euler angles: a positive rotation about z turns +x towards +y; default order is Rz·Rx·Ry', () => {
    const m = eulerMatrix(0, 0, Math.PI / 2);
    expect(m.map((x) => Math.round(x))).toEqual([0, -1, 0, 1, 0, 0, 0, 0, 1]);
    const [a, b] = [0.3, 0.2];
    const zxy = eulerMatrix(a, b, 0);
    // Rx·Ry applied to +z: Ry sends z to (sin b, 0, cos b), Rx then rotates that about x.
    expect(zxy[2]).toBeCloseTo(Math.sin(b), 12);
    expect(zxy[5]).toBeCloseTo(-Math.sin(a) * Math.cos(b), 12);
  });

  it('a CLI parameter file round-trips, and composed stages apply the first map first', () => {
    const map = parameterMap('rigid', { resolutions: 2 });
    expect(parseParameterFile(parameterFileText(map))).toEqual(map);
    const base = { FixedImageDimension: ['3'], Transform: ['EulerTransform'], CenterOfRotationPoint: ['10', '0', '0'] };
    const first = { ...base, TransformParameters: ['0', '0', String(Math.PI / 2), '0', '0', '0'] };
    const second = { ...base, Transform: ['TranslationTransform'], TransformParameters: ['5', '0', '0'] };
    const m = composedLinearTransform([first, second]);
    // First: rotate (0,0,0) 90 deg about (10,0,0) -> (10,-10,0); then translate +5 in x -> (15,-10,0).
    expect(applyAffine(m, [0, 0, 0]).map((x) => Math.round(x * 1e6) / 1e6)).toEqual([15, -10, 0]);
  });

  it('ITK images keep the LPS placement of a Volume: origin, spacing and row-major direction', () => {
    const v = sample([8, 6, 4], grid([8, 6, 4], [2, 3, 4], SAGITTAL), motion([0, 0, 0], [0, 0, 0]));
    const img = toItkImage(v);
    expect(img.spacing).toEqual([2, 3, 4]);
    // Column c of the direction matrix is voxel axis c: axis 0 runs along +y (posterior).
    expect([img.direction[0], img.direction[3], img.direction[6]]).toEqual([0, 1, 0]);
    expect(img.origin).toEqual([v.affine[3], v.affine[7], v.affine[11]]);
  });

  it('downsampling keeps the physical box', () => {
    const v = sample([40, 40, 20], grid([40, 40, 20], [1, 1, 2]), motion([0, 0, 0], [0, 0, 0]));
    const d = atSpacing(v, 4);
    expect(d.dims).toEqual([10, 10, 10]);
    expect(applyAffine(d.affine, [-0.5, -0.5, -0.5])).toEqual(applyAffine(v.affine, [-0.5, -0.5, -0.5]).map((x) => expect.closeTo(x, 9)));
  });
});

describe('elastix registration (WebAssembly engine and Debian CLI)', () => {
  const truth = motion([4, -3, 2.5], [3, -4, 2], [0, 10, 5]);
  const fixed = sample([72, 88, 68], grid([72, 88, 68], [2.5, 2.5, 2.5]), motion([0, 0, 0], [0, 0, 0]), 0);
  const moving = sample([88, 68, 72], grid([88, 68, 72], [2.5, 2.5, 2.5], SAGITTAL), truth, 1);
  const options = { stages: ['rigid' as const], spacingMm: 4, resolutions: 3, iterations: 250 };
  let wasm: Awaited<ReturnType<typeof register>>;
  jest.setTimeout(240000);

  it('recovers a 4 deg / 5 mm head motion between two intensity mappings at the brain box corners', async () => {
    wasm = await register(fixed, moving, options);
    const err = cornerError(wasm.fixedToMoving, truth);
    console.log(`wasm elastix ${wasm.engine.version}: corner error ${err.toFixed(2)} mm in ${wasm.elapsedMs} ms`);
    expect(err).toBeLessThanOrEqual(1.5);
    expect(cornerError(invertAffine(wasm.fixedToMoving), invertAffine(truth))).toBeLessThanOrEqual(1.5);
    // Placing the moving series by the aligned affine puts each head point where the fixed series has it.
    const aligned = alignedAffine(moving.affine, wasm.fixedToMoving);
    const expected = compose(invertAffine(truth), moving.affine);
    expect(maxAbsDiff(aligned.subarray(0, 12) as Float64Array, expected.subarray(0, 12) as Float64Array)).toBeLessThan(1);
  });

  it('the elastix CLI with the same parameter maps agrees within 1 mm', async () => {
    const cli = await registerWithCli(fixed, moving, options);
    const err = cornerError(cli.fixedToMoving, wasm.fixedToMoving);
    console.log(`elastix CLI ${cli.engine.version}: ${cli.elapsedMs} ms, final metric ${cli.finalMetric}, wasm-vs-CLI ${err.toFixed(2)} mm, CLI-vs-truth ${cornerError(cli.fixedToMoving, truth).toFixed(2)} mm`);
    expect(err).toBeLessThanOrEqual(1);
  });

  it('a wrong-direction transform would fail the corner check (the check can fail)', () => {
    expect(cornerError(invertAffine(truth), truth)).toBeGreaterThan(5);
    expect(cornerError(compose(translation([1.5, 0, 0]), truth), truth)).toBeGreaterThan(1);
  });
});
