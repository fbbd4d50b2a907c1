/**
 * buildSeriesVolume: the instances of one series -> one SeriesVolume with its patient-space geometry.
 *
 * - Single-frame and Enhanced (functional-group) instances; pixel data in any syntax pixel-codecs.ts decodes.
 * - Slices sorted along the normal of ImageOrientationPatient (not by InstanceNumber); k grows along the normal,
 *   so the affine is right-handed: column 2 = normal * slice step, origin = first slice's ImagePositionPatient.
 * - RescaleSlope/Intercept applied per frame: Int16Array when every value is an exact int16, else Float32Array.
 * - Errors (VolumeBuildError): mixed series/orientations/matrix, duplicated slices, several echoes or time points at
 *   one position (pick one with opts.selection), missing slices (unless opts.allowMissingSlices).
 * - An instance whose native Pixel Data is too short is left out with a warning (damaged-slices.ts); the gap it
 *   leaves follows the missing-slice rule.
 * - Non-uniform slice spacing is resampled (linear, along the normal) to the median step, with a warning.
 */
import { str } from '../dicom/p10';
import {
  initPixelCodecs,
  LOSSY_TRANSFER_SYNTAXES,
  needsCodecs,
  PixelCodecError,
  decodeFrameBytes,
  splitFrames,
  storedValues,
  type StoredPixels,
} from '../dicom/pixel-codecs';
import { add, dot, norm, scale, sub } from './affine';
import { frameDescriptors, type FrameDescriptor } from './frame-descriptors';
import { dropDamagedSlices } from './damaged-slices';
import { pixelFormatOf } from './pixel-format';
import { loadInstances, type InstanceData, type InstanceSource } from './instance-input';
import { analyseSpacing, buildSliceStack, subVolumeKeys, type SliceStack, type SpacingAnalysis, type StackSelection, type SubVolumeKey } from './slice-stack';
import { affineFromDicom, type SeriesVolume, type SliceSource, type Vec3 } from './volume';
import { VolumeBuildError, type VolumeWarning } from './volume-errors';

export interface BuildOptions {
  /** Which echo / time point to build when the series holds several at the same positions. */
  selection?: StackSelection;
  /** Interpolate across missing slices (as for non-uniform spacing) instead of refusing. */
  allowMissingSlices?: boolean;
  /** Force Float32Array output even when int16 would be exact. */
  float32?: boolean;
}

export interface BuiltVolume {
  volume: SeriesVolume<Int16Array | Float32Array>;
  warnings: VolumeWarning[];
  spacing: SpacingAnalysis;
  /**
   * Positions of the source slices when the stack was resampled to uniform spacing (volume slices then do not
   * coincide with source slices; inverse mapping uses these planes). Undefined when the volume's slices are the source's.
   */
  sourcePositions?: Vec3[];
}

/** Decodes frames lazily, splitting each instance's Pixel Data once. */
class FrameDecoder {
  private split = new Map<number, Uint8Array[]>();
  constructor(private readonly instances: InstanceData[]) {}

  stored(f: FrameDescriptor): StoredPixels {
    const inst = this.instances[f.instance]!;
    const fmt = pixelFormatOf(inst.dataset);
    let frames = this.split.get(f.instance);
    if (!frames) {
      const nFrames = Number(inst.dataset.NumberOfFrames ?? 1) || 1;
      frames = splitFrames(inst.dataset.PixelData, inst.transferSyntaxUid, fmt, nFrames);
      this.split.set(f.instance, frames);
    }
    const bytes = decodeFrameBytes(frames[f.frameIndex]!, inst.transferSyntaxUid, fmt);
    return storedValues(bytes, fmt);
  }
}

function rangeOf(a: StoredPixels): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < a.length; i++) {
    const v = a[i]!;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return [lo, hi];
}

/** Output type: int16 when every rescaled value is an exact int16. */
function chooseInt16(frames: FrameDescriptor[], stored: StoredPixels[]): boolean {
  for (let k = 0; k < frames.length; k++) {
    const { slope, intercept } = frames[k]!;
    if (slope !== 1 || !Number.isInteger(intercept)) return false;
    const a = stored[k]!;
    // The stored type's own range often proves the fit without scanning the voxels.
    const [tlo, thi] = a instanceof Int16Array ? [-32768, 32767] : a instanceof Uint8Array ? [0, 255] : a instanceof Int8Array ? [-128, 127] : [0, 65535];
    if (tlo + intercept >= -32768 && thi + intercept <= 32767) continue;
    const [lo, hi] = rangeOf(a);
    if (lo + intercept < -32768 || hi + intercept > 32767) return false;
  }
  return true;
}

function writeSlice(out: Int16Array | Float32Array, offset: number, src: StoredPixels, slope: number, intercept: number): void {
  const n = src.length;
  if (slope === 1 && intercept === 0) {
    out.set(src, offset);
    return;
  }
  for (let i = 0; i < n; i++) out[offset + i] = src[i]! * slope + intercept;
}

function sliceSource(f: FrameDescriptor): SliceSource {
  return {
    sopClassUid: f.sopClassUid,
    sopInstanceUid: f.sopInstanceUid,
    ...(f.frameNumber != null ? { frameNumber: f.frameNumber } : {}),
    imagePositionPatient: [...f.position] as Vec3,
  };
}

function collectWarnings(instances: InstanceData[], stack: SliceStack, spacing: SpacingAnalysis): VolumeWarning[] {
  const w: VolumeWarning[] = [...stack.warnings];
  const fors = new Set(instances.map((i) => str(i.dataset, 'FrameOfReferenceUID')));
  if (fors.has('')) w.push({ code: 'frame-of-reference-missing', message: 'FrameOfReferenceUID missing: co-registration with other series relies on patient coordinates alone' });
  if (fors.size > 1) w.push({ code: 'frame-of-reference-differs', message: `instances carry ${fors.size} FrameOfReferenceUIDs; the first one is used` });
  if (instances.some((i) => /MONOCHROME1/.test(str(i.dataset, 'PhotometricInterpretation')))) {
    w.push({ code: 'monochrome1', message: 'MONOCHROME1 pixels: values kept as stored (display inversion not applied)' });
  }
  const lossy = [...new Set(instances.map((i) => i.transferSyntaxUid).filter((t) => LOSSY_TRANSFER_SYNTAXES.has(t)))];
  if (lossy.length) w.push({ code: 'lossy-source', message: `pixel data is lossy-compressed (${lossy.join(', ')})` });
  const th = stack.frames[0]?.sliceThickness;
  if (spacing.kind !== 'single' && th != null && th < spacing.step - 0.01) {
    w.push({ code: 'slice-gap', message: `slice gap: SliceThickness ${th} mm < slice step ${spacing.step.toFixed(3)} mm` });
  }
  return w;
}

function checkSingleSeries(instances: InstanceData[]): string {
  const uids = new Set(instances.map((i) => str(i.dataset, 'SeriesInstanceUID')));
  if (uids.size > 1) {
    throw new VolumeBuildError(`instances belong to ${uids.size} series (${[...uids].join(', ')}); build one series at a time`, 'mixed-series');
  }
  return [...uids][0] ?? '';
}

/** Synchronous build from in-memory instances; compressed pixel data needs initPixelCodecs() to have resolved. */
export function buildSeriesVolumeFrom(given: InstanceData[], opts: BuildOptions = {}): BuiltVolume {
  if (given.length === 0) throw new VolumeBuildError('no instances given', 'no-instances');
  const seriesUid = checkSingleSeries(given);
  const { kept: instances, warnings: dropped } = dropDamagedSlices(given);
  if (instances.length === 0) {
    throw new VolumeBuildError(`series ${seriesUid}: every instance has damaged Pixel Data (${dropped[0]!.message})`, 'unsupported-pixel-data', seriesUid || undefined);
  }
  const frames = instances.flatMap((inst, i) => frameDescriptors(inst.dataset, i));
  const stack = buildSliceStack(frames, seriesUid || undefined, opts.selection);
  const spacing = analyseSpacing(stack.distances);
  if (spacing.kind === 'missing' && !opts.allowMissingSlices) {
    const list = spacing.gaps
      .map((g) => `${g.missing} between ${stack.distances[g.after]!.toFixed(2)} and ${stack.distances[g.after + 1]!.toFixed(2)} mm`)
      .join('; ');
    const why = dropped.length ? `; ${dropped.map((d) => d.message).join('; ')}` : '';
    throw new VolumeBuildError(`missing slices (step ${spacing.step.toFixed(3)} mm): ${list}${why}`, 'missing-slice', seriesUid || undefined);
  }
  const decoder = new FrameDecoder(instances);
  let stored: StoredPixels[];
  try {
    stored = stack.frames.map((f) => decoder.stored(f));
  } catch (e) {
    if (e instanceof PixelCodecError) throw new VolumeBuildError(`series ${seriesUid}: ${e.message}`, 'unsupported-pixel-data', seriesUid || undefined);
    throw e;
  }
  const warnings = [...dropped, ...collectWarnings(instances, stack, spacing)];
  const first = stack.frames[0]!;
  const [nx, ny] = [first.columns, first.rows];
  const int16 = !opts.float32 && chooseInt16(stack.frames, stored);
  const sources = stack.frames.map(sliceSource);
  const common = {
    seriesInstanceUid: seriesUid,
    imageOrientationPatient: first.orientation,
    ...(first.sliceThickness != null ? { sliceThickness: first.sliceThickness } : {}),
    ...(str(instances[0]!.dataset, 'FrameOfReferenceUID') ? { frameOfReferenceUid: str(instances[0]!.dataset, 'FrameOfReferenceUID') } : {}),
  };
  const inPlane: [number, number] = [first.pixelSpacing[1], first.pixelSpacing[0]];

  if (spacing.kind === 'single' || spacing.kind === 'uniform') {
    const nz = stack.frames.length;
    const data = int16 ? new Int16Array(nx * ny * nz) : new Float32Array(nx * ny * nz);
    stack.frames.forEach((f, k) => writeSlice(data, k * nx * ny, stored[k]!, f.slope, f.intercept));
    const step = spacing.kind === 'single' ? (first.spacingBetweenSlices ?? first.sliceThickness ?? 1) : spacing.uniformStep;
    let sliceDir: Vec3 = stack.normal;
    if (spacing.kind === 'uniform') {
      // Step vector between first and last slice; if it leaves the normal (gantry-tilt-like shear), keep it as is.
      const stepVec = scale(sub(stack.frames[nz - 1]!.position, first.position), 1 / (nz - 1));
      const off = norm(sub(stepVec, scale(stack.normal, dot(stepVec, stack.normal))));
      if (off > 0.01 * step) {
        sliceDir = scale(stepVec, 1 / norm(stepVec));
        warnings.push({ code: 'sheared-slices', message: `slice positions drift ${off.toFixed(3)} mm per slice off the normal; affine keeps the shear` });
      }
    }
    const sliceSpacing = sliceDir === stack.normal ? step : norm(scale(sub(stack.frames[nz - 1]!.position, first.position), 1 / (nz - 1)));
    const affine = affineFromDicom(first.position, [first.orientation[0], first.orientation[1], first.orientation[2]], [first.orientation[3], first.orientation[4], first.orientation[5]], sliceDir, [inPlane[0], inPlane[1], sliceSpacing]);
    return {
      volume: { dims: [nx, ny, nz], spacing: [inPlane[0], inPlane[1], sliceSpacing], affine, data, sources, ...common },
      warnings,
      spacing,
    };
  }

  // Non-uniform (or missing slices allowed): linear interpolation along the normal onto the median step.
  const d0 = stack.distances[0]!;
  const dLast = stack.distances[stack.distances.length - 1]!;
  const step = spacing.step;
  const nz = Math.floor((dLast - d0) / step + 1e-6) + 1;
  const data = new Float32Array(nx * ny * nz);
  const slice = nx * ny;
  const outSources: SliceSource[] = [];
  let j = 0;
  for (let k = 0; k < nz; k++) {
    const d = d0 + k * step;
    while (j < stack.distances.length - 2 && stack.distances[j + 1]! < d) j++;
    const da = stack.distances[j]!;
    const db = stack.distances[j + 1]!;
    const t = Math.min(1, Math.max(0, (d - da) / (db - da)));
    const fa = stack.frames[j]!;
    const fb = stack.frames[j + 1]!;
    const sa = stored[j]!;
    const sb = stored[j + 1]!;
    const o = k * slice;
    for (let i = 0; i < slice; i++) {
      const va = sa[i]! * fa.slope + fa.intercept;
      const vb = sb[i]! * fb.slope + fb.intercept;
      data[o + i] = va + (vb - va) * t;
    }
    outSources.push(sliceSource(t < 0.5 ? fa : fb));
    outSources[k]!.imagePositionPatient = add(first.position, scale(stack.normal, d - d0));
  }
  warnings.push({
    code: 'non-uniform-spacing-resampled',
    message: `slice spacing varies by up to ${spacing.maxDeviation.toFixed(3)} mm (${spacing.kind === 'missing' ? 'missing slices' : 'non-uniform'}); resampled ${stack.frames.length} slices to ${nz} at ${step.toFixed(3)} mm`,
  });
  const affine = affineFromDicom(first.position, [first.orientation[0], first.orientation[1], first.orientation[2]], [first.orientation[3], first.orientation[4], first.orientation[5]], stack.normal, [inPlane[0], inPlane[1], step]);
  return {
    volume: { dims: [nx, ny, nz], spacing: [inPlane[0], inPlane[1], step], affine, data, sources: outSources, ...common },
    warnings,
    spacing,
    sourcePositions: stack.frames.map((f) => [...f.position] as Vec3),
  };
}

/** Builds one series' volume from instances, parsed data sets, P10 bytes or file paths. */
export async function buildSeriesVolume(sources: readonly InstanceSource[], opts: BuildOptions = {}): Promise<BuiltVolume> {
  const instances = await loadInstances(sources);
  if (instances.some((i) => needsCodecs(i.transferSyntaxUid))) await initPixelCodecs();
  return buildSeriesVolumeFrom(instances, opts);
}

/**
 * The echoes and time points present in a series, for callers that split a multi-echo or dynamic series into one
 * volume each (pass each key as `opts.selection`).
 */
export async function subVolumesOf(sources: readonly InstanceSource[]): Promise<{ echoes: SubVolumeKey[]; timePoints: SubVolumeKey[] }> {
  const instances = await loadInstances(sources);
  return subVolumeKeys(instances.flatMap((inst, i) => frameDescriptors(inst.dataset, i)));
}
