/**
 * elastix parameter maps and transform-parameter parsing, shared by the WebAssembly engine and the elastix CLI peer
 * (the same maps go to both, so their transforms can be compared).
 *
 * Coordinate convention (elastix/ITK): physical space is LPS mm, as in DICOM and our Volume.affine. A transform found by
 * registering `moving` to `fixed` maps FIXED physical points to MOVING physical points: p_moving = T(p_fixed).
 * Linear transforms have the form T(p) = M (p - c) + c + t with c = CenterOfRotationPoint.
 */
import type { Mat4 } from '../imaging/affine';
import { multiply4 } from '../imaging/affine';

/** An elastix parameter map: every value is a list of strings, as in elastix's JSON parameter objects. */
export type ParameterMap = Record<string, string[]>;

export type TransformKind = 'rigid' | 'affine' | 'bspline';

export interface MapOptions {
  /** Pyramid levels (coarse to fine), each halving the resolution of the one after it. */
  resolutions: number;
  /** Optimiser iterations per level. */
  iterations: number;
  /** Random samples drawn per iteration for the metric. */
  spatialSamples: number;
  /** Histogram bins of the Mattes mutual-information metric. */
  histogramBins: number;
  /** Final B-spline control-point spacing (mm), bspline only. */
  gridSpacingMm: number;
  /** Seed for the random sampler, so the same inputs give the same transform. */
  seed: number;
}

export const DEFAULT_MAP_OPTIONS: MapOptions = { resolutions: 3, iterations: 200, spatialSamples: 2048, histogramBins: 32, gridSpacingMm: 16, seed: 20251206 };

const TRANSFORM_NAME: Record<TransformKind, string> = { rigid: 'EulerTransform', affine: 'AffineTransform', bspline: 'BSplineTransform' };

/** One registration stage's parameter map: Mattes mutual information, multi-resolution smoothing pyramids, ASGD. */
export function parameterMap(kind: TransformKind, options: Partial<MapOptions> = {}): ParameterMap {
  const o = { ...DEFAULT_MAP_OPTIONS, ...options };
  const map: ParameterMap = {
    Registration: ['MultiResolutionRegistration'],
    Metric: ['AdvancedMattesMutualInformation'],
    NumberOfHistogramBins: [String(o.histogramBins)],
    FixedImagePyramid: ['FixedSmoothingImagePyramid'],
    MovingImagePyramid: ['MovingSmoothingImagePyramid'],
    NumberOfResolutions: [String(o.resolutions)],
    Optimizer: ['AdaptiveStochasticGradientDescent'],
    AutomaticParameterEstimation: ['true'],
    // elastix's default (100,000) makes the step-size estimation cost about 1 s per level; 4,096 gives the same result.
    NumberOfSamplesForExactGradient: ['4096'],
    AutomaticScalesEstimation: ['true'],
    MaximumNumberOfIterations: [String(o.iterations)],
    ImageSampler: ['RandomCoordinate'],
    NumberOfSpatialSamples: [String(o.spatialSamples)],
    NewSamplesEveryIteration: ['true'],
    RandomSeed: [String(o.seed)],
    Interpolator: ['LinearInterpolator'],
    Resampler: ['DefaultResampler'],
    ResampleInterpolator: ['FinalBSplineInterpolator'],
    FinalBSplineInterpolationOrder: ['1'],
    Transform: [TRANSFORM_NAME[kind]],
    HowToCombineTransforms: ['Compose'],
    FixedInternalImagePixelType: ['float'],
    MovingInternalImagePixelType: ['float'],
    ResultImagePixelType: ['float'],
    DefaultPixelValue: ['0'],
    WriteResultImage: ['false'],
    ResultImageFormat: ['mhd'],
  };
  if (kind === 'bspline') map.FinalGridSpacingInPhysicalUnits = [String(o.gridSpacingMm)];
  return map;
}

/** elastix's text parameter-file form of a map (strings quoted, numbers bare), for the CLI. */
export function parameterFileText(map: ParameterMap): string {
  const value = (v: string): string => (/^-?\d+(\.\d+)?(e-?\d+)?$/i.test(v) ? v : `"${v}"`);
  return Object.entries(map).map(([k, vs]) => `(${k} ${vs.map(value).join(' ')})`).join('\n') + '\n';
}

/** Parses elastix's text TransformParameters.N.txt (as the CLI writes it) into a map. */
export function parseParameterFile(text: string): ParameterMap {
  const map: ParameterMap = {};
  for (const line of text.split('\n')) {
    const m = /^\s*\((\w+)\s+(.*)\)\s*$/.exec(line);
    if (!m) continue;
    map[m[1]!] = [...m[2]!.matchAll(/"([^"]*)"|(\S+)/g)].map((x) => x[1] ?? x[2]!);
  }
  return map;
}

function numbers(map: ParameterMap, key: string, n: number): number[] {
  const v = (map[key] ?? []).map(Number);
  if (v.length !== n || v.some((x) => !Number.isFinite(x))) throw new Error(`elastix transform map: ${key} should hold ${n} numbers, got ${JSON.stringify(map[key])}`);
  return v;
}

/** ITK Euler3DTransform rotation: Rz·Rx·Ry by default, Rz·Ry·Rx when ComputeZYX is true. Row-major 3x3. */
export function eulerMatrix(rx: number, ry: number, rz: number, computeZyx = false): number[] {
  const [cx, sx, cy, sy, cz, sz] = [Math.cos(rx), Math.sin(rx), Math.cos(ry), Math.sin(ry), Math.cos(rz), Math.sin(rz)];
  const X = [1, 0, 0, 0, cx, -sx, 0, sx, cx];
  const Y = [cy, 0, sy, 0, 1, 0, -sy, 0, cy];
  const Z = [cz, -sz, 0, sz, cz, 0, 0, 0, 1];
  return computeZyx ? mul3(Z, mul3(Y, X)) : mul3(Z, mul3(X, Y));
}

function mul3(a: number[], b: number[]): number[] {
  const out = new Array<number>(9).fill(0);
  for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) for (let k = 0; k < 3; k++) out[r * 3 + c]! += a[r * 3 + k]! * b[k * 3 + c]!;
  return out;
}

/** 4x4 of T(p) = M (p - c) + c + t. */
function linearAsMatrix(m: number[], c: number[], t: number[]): Mat4 {
  const out = new Float64Array(16);
  for (let r = 0; r < 3; r++) {
    out[r * 4] = m[r * 3]!;
    out[r * 4 + 1] = m[r * 3 + 1]!;
    out[r * 4 + 2] = m[r * 3 + 2]!;
    out[r * 4 + 3] = c[r]! + t[r]! - (m[r * 3]! * c[0]! + m[r * 3 + 1]! * c[1]! + m[r * 3 + 2]! * c[2]!);
  }
  out[15] = 1;
  return out;
}

/** The fixed -> moving 4x4 (LPS mm) of one linear transform map, or undefined for a non-linear (B-spline) map. */
export function linearTransformOf(map: ParameterMap): Mat4 | undefined {
  const kind = map.Transform?.[0];
  if (kind === 'BSplineTransform' || kind === 'RecursiveBSplineTransform') return undefined;
  if (numbers(map, 'FixedImageDimension', 1)[0] !== 3) throw new Error('elastix transform map: only 3-D transforms are supported');
  if (kind === 'EulerTransform') {
    const [rx, ry, rz, tx, ty, tz] = numbers(map, 'TransformParameters', 6) as [number, number, number, number, number, number];
    return linearAsMatrix(eulerMatrix(rx, ry, rz, map.ComputeZYX?.[0] === 'true'), numbers(map, 'CenterOfRotationPoint', 3), [tx, ty, tz]);
  }
  if (kind === 'TranslationTransform') return linearAsMatrix([1, 0, 0, 0, 1, 0, 0, 0, 1], [0, 0, 0], numbers(map, 'TransformParameters', 3));
  if (kind === 'AffineTransform') {
    const p = numbers(map, 'TransformParameters', 12);
    return linearAsMatrix(p.slice(0, 9), numbers(map, 'CenterOfRotationPoint', 3), p.slice(9));
  }
  throw new Error(`elastix transform map: unsupported transform ${kind ?? '(none)'}`);
}

/**
 * The composed linear part of a transform parameter object (stages in elastix order, each applied after the ones
 * before it: with "Compose", T = T_last ∘ … ∘ T_first). Non-linear stages are skipped (callers get their field).
 */
export function composedLinearTransform(maps: ParameterMap[]): Mat4 {
  let out: Mat4 = new Float64Array([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]);
  for (const map of maps) {
    const m = linearTransformOf(map);
    // p_moving = T_n(...T_1(p_fixed)): the first map is applied first, so it sits rightmost.
    if (m) out = multiply4(m, out);
  }
  return out;
}
