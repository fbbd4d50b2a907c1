/**
 * Typed wrapper over elastix compiled to WebAssembly (@itk-wasm/elastix): register two Volumes, get the transform as a
 * 4x4 LPS matrix, warp a volume through a (possibly B-spline) transform.
 *
 * Coordinate conventions (the part that is easy to get wrong):
 * - Our Volume.affine maps voxel (i, j, k) to DICOM patient LPS mm. ITK images carry the same space as
 *   origin + D · diag(spacing) · index, with D's columns the unit axis directions: so origin = affine column 3,
 *   spacing = column norms, D[:, c] = affine column c / spacing c. itk-wasm stores D row-major (D[r * 3 + c]).
 *   ITK index 0 is the fastest-varying axis, which is our i: voxel data is passed through unchanged.
 * - elastix's result maps FIXED points to MOVING points, p_moving = T(p_fixed) (the direction a resampler needs).
 *   `fixedToMoving` is that T as a row-major 4x4 on LPS mm. A moving volume is aligned to the fixed one by giving it
 *   the affine inv(T) · A_moving (see alignedAffine): it then sits where the fixed image sees it, with no resampling.
 *
 * The module is ESM-only and its WebAssembly run is synchronous CPU work, so each call runs in its own worker thread
 * (native dynamic import, event loop of the caller stays free; works the same from dist/ and under jest).
 */
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Mat4 } from '../imaging/affine';
import { affineFromAxes, column, invertAffine, multiply4, norm, spacingOf } from '../imaging/affine';
import { resampleLinear } from '../imaging/resample';
import type { Vec3, Volume } from '../imaging/volume';
import { composedLinearTransform, parameterMap, type MapOptions, type ParameterMap, type TransformKind } from './parameter-maps';

export interface EngineInfo {
  name: 'elastix';
  /** How elastix was run: the WebAssembly build (npm package) or the command-line program. */
  implementation: string;
  version: string;
}

/** An image as itk-wasm wants it (3-D float32 scalar). */
export interface ItkImage {
  imageType: { dimension: 3; componentType: 'float32'; pixelType: 'Scalar'; components: 1 };
  name: string;
  origin: number[];
  spacing: number[];
  direction: Float64Array;
  size: number[];
  metadata: Map<string, unknown>;
  data: Float32Array;
}

export interface RegisterOptions extends Partial<MapOptions> {
  /** Transform stages run in order, each starting from the previous result (default ['rigid']). */
  stages?: TransformKind[];
  /** Explicit parameter maps instead of `stages` (advanced; must describe 3-D registration). */
  parameterMaps?: ParameterMap[];
  /** Resample both images to this isotropic spacing (mm) first: registration cost falls with the cube of it. */
  spacingMm?: number;
}

export interface RegistrationResult {
  /** p_moving = fixedToMoving · p_fixed (LPS mm, row-major 4x4): the composed linear stages. */
  fixedToMoving: Mat4;
  /** elastix's transform parameter object (one map per stage), as the CLI would write it; input to warp(). */
  transformParameterObject: ParameterMap[];
  /** True when a stage is non-linear (B-spline): fixedToMoving is then only its linear initialisation. */
  nonLinear: boolean;
  engine: EngineInfo;
  elapsedMs: number;
}

const requireHere = createRequire(__filename);

function packageVersion(entry: string): string {
  let dir = dirname(entry);
  for (let i = 0; i < 4; i++, dir = dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === '@itk-wasm/elastix' && pkg.version) return pkg.version;
    } catch {
      /* not the package root yet */
    }
  }
  return 'unknown';
}

let cached: { entry: string; info: EngineInfo } | undefined;

/** Where the engine's ESM entries are, and its version; throws a clear error when the package is not installed. */
export function elastixEngine(): { entry: string; info: EngineInfo } {
  if (cached) return cached;
  let entry: string;
  try {
    entry = requireHere.resolve('@itk-wasm/elastix');
  } catch {
    throw new Error('registration engine @itk-wasm/elastix is not installed (npm install)');
  }
  cached = { entry, info: { name: 'elastix', implementation: '@itk-wasm/elastix (WebAssembly)', version: packageVersion(entry) } };
  return cached;
}

/** Volume -> ITK image (float32), following the conventions at the top of this file. */
export function toItkImage(v: Volume, name = 'image'): ItkImage {
  const spacing = spacingOf(v.affine);
  const direction = new Float64Array(9);
  for (let c = 0; c < 3; c++) {
    const axis = column(v.affine, c);
    for (let r = 0; r < 3; r++) direction[r * 3 + c] = axis[r]! / spacing[c]!;
  }
  const data = v.data instanceof Float32Array ? v.data : Float32Array.from(v.data as ArrayLike<number>);
  return {
    imageType: { dimension: 3, componentType: 'float32', pixelType: 'Scalar', components: 1 },
    name,
    origin: column(v.affine, 3),
    spacing,
    direction,
    size: [...v.dims],
    metadata: new Map(),
    data,
  };
}

/** The same physical box sampled at an isotropic spacing (trilinear; the elastix pyramids smooth further). */
export function atSpacing(v: Volume, spacingMm: number): Volume<Float32Array> {
  const extent = v.dims.map((n, a) => n * v.spacing[a]!) as Vec3;
  const dims = extent.map((e) => Math.max(2, Math.round(e / spacingMm))) as Vec3;
  const spacing = extent.map((e, a) => e / dims[a]!) as Vec3;
  const dirs = [0, 1, 2].map((c) => column(v.affine, c).map((x) => x / norm(column(v.affine, c))) as Vec3) as [Vec3, Vec3, Vec3];
  // Voxel centres of the coarse grid stay inside the same box: first centre half a coarse voxel in from the box edge.
  const corner = [0, 1, 2].map((r) => v.affine[r * 4 + 3]! - 0.5 * (dirs[0][r]! * v.spacing[0] + dirs[1][r]! * v.spacing[1] + dirs[2][r]! * v.spacing[2])) as Vec3;
  const origin = [0, 1, 2].map((r) => corner[r]! + 0.5 * (dirs[0][r]! * spacing[0] + dirs[1][r]! * spacing[1] + dirs[2][r]! * spacing[2])) as Vec3;
  const affine = affineFromAxes(dirs, spacing, origin);
  return { dims, spacing, affine, data: resampleLinear(v, { dims, affine }) };
}

/** The affine that places `moving` in the fixed image's frame: inv(T) · A_moving. */
export function alignedAffine(movingAffine: Mat4, fixedToMoving: Mat4): Mat4 {
  return multiply4(invertAffine(fixedToMoving), movingAffine);
}

type WorkerRequest =
  | { op: 'register'; entry: string; fixed: ItkImage; moving: ItkImage; maps: ParameterMap[] }
  | { op: 'warp'; entry: string; moving: ItkImage; maps: ParameterMap[] };

// Runs inside the worker: imports the ESM engine natively and calls the elastix / transformix pipelines.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { pathToFileURL } = require('node:url');
(async () => {
  const req = workerData;
  const el = await import(pathToFileURL(req.entry).href);
  if (req.op === 'register') {
    const r = await el.elastixNode(req.maps, { fixed: req.fixed, moving: req.moving });
    parentPort.postMessage({ ok: true, maps: r.transformParameterObject });
  } else {
    const r = await el.transformixNode(req.moving, req.maps);
    parentPort.postMessage({ ok: true, data: r.result.data, size: r.result.size });
  }
})().catch((e) => parentPort.postMessage({ ok: false, error: String(e && e.message || e) }));
`;

function runWorker<T>(request: WorkerRequest): Promise<T> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: request });
    let settled = false;
    worker.once('message', (m: { ok: boolean; error?: string } & T) => {
      settled = true;
      void worker.terminate();
      if (m.ok) resolve(m);
      else reject(new Error(`elastix failed: ${m.error ?? 'unknown error'}`));
    });
    worker.once('error', (e) => {
      settled = true;
      reject(new Error(`elastix worker crashed: ${e.message}`));
    });
    worker.once('exit', (code) => {
      if (!settled) reject(new Error(`elastix worker exited with code ${code} before answering`));
    });
  });
}

/** The parameter maps a request resolves to (same maps for the CLI peer). */
export function mapsFor(options: RegisterOptions): ParameterMap[] {
  if (options.parameterMaps?.length) return options.parameterMaps;
  return (options.stages ?? ['rigid']).map((kind) => parameterMap(kind, options));
}

/** Registers `moving` to `fixed` (mutual information, multi-resolution). */
export async function register(fixed: Volume, moving: Volume, options: RegisterOptions = {}): Promise<RegistrationResult> {
  const engine = elastixEngine();
  const maps = mapsFor(options);
  const t0 = Date.now();
  const f = options.spacingMm ? atSpacing(fixed, options.spacingMm) : fixed;
  const m = options.spacingMm ? atSpacing(moving, options.spacingMm) : moving;
  const { maps: out } = await runWorker<{ maps: ParameterMap[] }>({ op: 'register', entry: engine.entry, fixed: toItkImage(f, 'fixed'), moving: toItkImage(m, 'moving'), maps });
  return {
    fixedToMoving: composedLinearTransform(out),
    transformParameterObject: out,
    nonLinear: out.some((x) => /BSpline/.test(x.Transform?.[0] ?? '')),
    engine: engine.info,
    elapsedMs: Date.now() - t0,
  };
}

/**
 * Resamples `moving` through a transform parameter object onto the fixed grid it was registered on (the grid the maps
 * name: Size, Origin, Spacing, Direction), linearly or by nearest neighbour (labels, masks).
 */
export async function warp(moving: Volume, transformParameterObject: ParameterMap[], interpolation: 'linear' | 'nearest' = 'linear'): Promise<Volume<Float32Array>> {
  const engine = elastixEngine();
  const order = interpolation === 'nearest' ? '0' : '1';
  const maps: ParameterMap[] = transformParameterObject.map((m) => ({ ...m, ResampleInterpolator: ['FinalBSplineInterpolator'], FinalBSplineInterpolationOrder: [order], DefaultPixelValue: ['0'], ResultImagePixelType: ['float'] }));
  const last = maps[maps.length - 1]!;
  const num = (k: string): number[] => (last[k] ?? []).map(Number);
  const dims = num('Size') as Vec3;
  const spacing = num('Spacing') as Vec3;
  const origin = num('Origin') as Vec3;
  const d = num('Direction'); // elastix writes the direction column by column (axis 0 first)
  const dirs = [0, 1, 2].map((c) => [d[c * 3]!, d[c * 3 + 1]!, d[c * 3 + 2]!] as Vec3) as [Vec3, Vec3, Vec3];
  const r = await runWorker<{ data: Float32Array }>({ op: 'warp', entry: engine.entry, moving: toItkImage(moving, 'moving'), maps });
  return { dims, spacing, affine: affineFromAxes(dirs, spacing, origin), data: new Float32Array(r.data) };
}

/** For logs and provenance: the engine's file URL is not shown, only name and version. */
export function engineDescription(info: EngineInfo): string {
  return `${info.name} ${info.version} (${info.implementation})`;
}

