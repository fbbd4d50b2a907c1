/**
 * Orders a series' frames into one slice stack: consistency checks (orientation, matrix, pixel spacing), detection
 * of several echoes / time points / duplicated slices at the same position, sorting along the slice normal (never by
 * InstanceNumber), and analysis of the gaps between slices (uniform, missing slices, non-uniform).
 */
import { cross, dot, norm, sub } from './affine';
import type { FrameDescriptor } from './frame-descriptors';
import type { Vec3 } from './volume';
import { VolumeBuildError, type VolumeWarning } from './volume-errors';

/** Direction cosines may differ by rounding in the last digits; beyond this they are different orientations. */
const ORIENTATION_TOLERANCE = 1e-3;

export interface SubVolumeKey {
  echoTime?: number;
  echoNumber?: number;
  temporalPosition?: number;
  triggerTime?: number;
  acquisitionNumber?: number;
}

export interface StackSelection {
  /** Keep only frames with this echo time (ms) or echo number. */
  echoTime?: number;
  echoNumber?: number;
  /** Keep only frames with this temporal position (identifier / index), trigger time or acquisition number. */
  temporalPosition?: number;
  triggerTime?: number;
  acquisitionNumber?: number;
}

export interface SliceStack {
  /** Frames in slice order (ascending along the normal). */
  frames: FrameDescriptor[];
  rowCosine: Vec3;
  columnCosine: Vec3;
  normal: Vec3;
  /** Distance of each frame along the normal (mm), ascending. */
  distances: number[];
  warnings: VolumeWarning[];
}

export interface SpacingAnalysis {
  kind: 'single' | 'uniform' | 'missing' | 'non-uniform';
  /** Typical step between adjacent slices (median). */
  step: number;
  /** Exact uniform step for a uniform stack ((last - first) / (n - 1)). */
  uniformStep: number;
  /** For 'missing': indices k where the gap between slice k and k+1 holds missing slices, and how many. */
  gaps: { after: number; missing: number }[];
  maxDeviation: number;
}

function cosines(o: FrameDescriptor['orientation']): { row: Vec3; col: Vec3 } {
  return { row: [o[0], o[1], o[2]], col: [o[3], o[4], o[5]] };
}

function fmt(v: number | undefined): string {
  return v == null ? '?' : String(Math.round(v * 1000) / 1000);
}

/** Keeps the frames matching the selection (no-op when the selection is empty). */
export function selectFrames(frames: FrameDescriptor[], sel: StackSelection = {}): FrameDescriptor[] {
  return frames.filter(
    (f) =>
      (sel.echoTime == null || (f.echoTime != null && Math.abs(f.echoTime - sel.echoTime) < 1e-3)) &&
      (sel.echoNumber == null || f.echoNumber === sel.echoNumber) &&
      (sel.temporalPosition == null || f.temporalPosition === sel.temporalPosition) &&
      (sel.triggerTime == null || (f.triggerTime != null && Math.abs(f.triggerTime - sel.triggerTime) < 1e-3)) &&
      (sel.acquisitionNumber == null || f.acquisitionNumber === sel.acquisitionNumber),
  );
}

/** The distinct echoes and time points of a set of frames (for callers that split multi-echo/dynamic series). */
export function subVolumeKeys(frames: FrameDescriptor[]): { echoes: SubVolumeKey[]; timePoints: SubVolumeKey[] } {
  const echoes = new Map<string, SubVolumeKey>();
  const times = new Map<string, SubVolumeKey>();
  for (const f of frames) {
    echoes.set(`${f.echoNumber ?? ''}|${f.echoTime ?? ''}`, { echoNumber: f.echoNumber, echoTime: f.echoTime });
    times.set(`${f.temporalPosition ?? ''}|${f.triggerTime ?? ''}`, { temporalPosition: f.temporalPosition, triggerTime: f.triggerTime });
  }
  return { echoes: [...echoes.values()], timePoints: [...times.values()] };
}

/** Checks that all frames share orientation, matrix size and pixel spacing. */
function checkConsistentGeometry(frames: FrameDescriptor[], seriesUid: string | undefined): void {
  const ref = frames[0]!;
  for (const f of frames) {
    let maxd = 0;
    for (let i = 0; i < 6; i++) maxd = Math.max(maxd, Math.abs(f.orientation[i]! - ref.orientation[i]!));
    if (maxd > ORIENTATION_TOLERANCE) {
      throw new VolumeBuildError(
        `mixed orientations: ImageOrientationPatient ${ref.orientation.map(fmt).join('\\')} (${ref.sopInstanceUid}) vs ` +
          `${f.orientation.map(fmt).join('\\')} (${f.sopInstanceUid}${f.frameNumber ? ` frame ${f.frameNumber}` : ''})`,
        'mixed-orientation',
        seriesUid,
      );
    }
    if (f.rows !== ref.rows || f.columns !== ref.columns) {
      throw new VolumeBuildError(
        `inconsistent matrix: ${ref.columns}x${ref.rows} vs ${f.columns}x${f.rows} (${f.sopInstanceUid})`,
        'inconsistent-geometry',
        seriesUid,
      );
    }
    if (Math.abs(f.pixelSpacing[0] - ref.pixelSpacing[0]) > 1e-4 || Math.abs(f.pixelSpacing[1] - ref.pixelSpacing[1]) > 1e-4) {
      throw new VolumeBuildError(
        `inconsistent PixelSpacing: ${ref.pixelSpacing.join('\\')} vs ${f.pixelSpacing.join('\\')} (${f.sopInstanceUid})`,
        'inconsistent-geometry',
        seriesUid,
      );
    }
  }
}

/** What distinguishes two frames at the same position. */
function duplicateKind(a: FrameDescriptor, b: FrameDescriptor): 'same-instance' | 'echo' | 'time' | 'duplicate' {
  if (a.sopInstanceUid === b.sopInstanceUid && a.frameIndex === b.frameIndex) return 'same-instance';
  const differs = (x: number | string | undefined, y: number | string | undefined): boolean => x != null && y != null && x !== y;
  if (differs(a.echoNumber, b.echoNumber) || differs(a.echoTime, b.echoTime)) return 'echo';
  if (
    differs(a.temporalPosition, b.temporalPosition) ||
    differs(a.triggerTime, b.triggerTime) ||
    differs(a.acquisitionNumber, b.acquisitionNumber) ||
    differs(a.acquisitionTime, b.acquisitionTime)
  ) {
    return 'time';
  }
  return 'duplicate';
}

/**
 * Builds the slice stack. Throws for mixed orientations, several echoes or time points at the same position (naming
 * them; pick one with `selection`), and duplicated slices; an instance received twice is ignored with a warning.
 */
export function buildSliceStack(allFrames: FrameDescriptor[], seriesUid?: string, selection?: StackSelection): SliceStack {
  const warnings: VolumeWarning[] = [];
  const frames = selectFrames(allFrames, selection);
  if (frames.length === 0) {
    throw new VolumeBuildError(
      allFrames.length ? `no frame matches the selection ${JSON.stringify(selection)}` : 'no image frames in the series',
      'no-instances',
      seriesUid,
    );
  }
  checkConsistentGeometry(frames, seriesUid);
  const { row, col } = cosines(frames[0]!.orientation);
  const n = cross(row, col);
  const nn = norm(n);
  if (!(nn > 0.5)) throw new VolumeBuildError('ImageOrientationPatient row and column cosines are parallel', 'missing-geometry', seriesUid);
  const normal: Vec3 = [n[0] / nn, n[1] / nn, n[2] / nn];
  const withD = frames.map((f) => ({ f, d: dot(f.position, normal) }));
  withD.sort((a, b) => a.d - b.d);
  // Same position (within 1/100 of a pixel along the normal and in-plane) => several echoes/time points/duplicates.
  const posTol = Math.min(frames[0]!.pixelSpacing[0], frames[0]!.pixelSpacing[1]) * 0.01;
  const kept: { f: FrameDescriptor; d: number }[] = [];
  const echoClash = new Set<string>();
  const timeClash = new Set<string>();
  for (const cur of withD) {
    const prev = kept[kept.length - 1];
    if (prev && cur.d - prev.d < posTol && norm(sub(cur.f.position, prev.f.position)) < posTol) {
      const kind = duplicateKind(prev.f, cur.f);
      if (kind === 'same-instance') {
        warnings.push({ code: 'duplicate-instance-ignored', message: `instance ${cur.f.sopInstanceUid} received twice; one copy used` });
        continue;
      }
      if (kind === 'echo') {
        echoClash.add(`TE ${fmt(prev.f.echoTime)} ms${prev.f.echoNumber != null ? ` (echo ${prev.f.echoNumber})` : ''}`);
        echoClash.add(`TE ${fmt(cur.f.echoTime)} ms${cur.f.echoNumber != null ? ` (echo ${cur.f.echoNumber})` : ''}`);
      } else if (kind === 'time') {
        const t = (x: FrameDescriptor): string =>
          x.temporalPosition != null ? `temporal position ${x.temporalPosition}`
          : x.triggerTime != null ? `trigger time ${x.triggerTime}`
          : x.acquisitionNumber != null ? `acquisition ${x.acquisitionNumber}`
          : `acquisition time ${x.acquisitionTime}`;
        timeClash.add(t(prev.f));
        timeClash.add(t(cur.f));
      } else {
        throw new VolumeBuildError(
          `duplicated slice at ${cur.d.toFixed(2)} mm along the normal: instances ${prev.f.sopInstanceUid} and ${cur.f.sopInstanceUid} ` +
            `share a position with no echo or time difference`,
          'duplicate-slice',
          seriesUid,
        );
      }
      continue;
    }
    kept.push(cur);
  }
  if (echoClash.size) {
    throw new VolumeBuildError(
      `series has several echoes at the same slice positions (${[...echoClash].join(', ')}); build one echo at a time (selection.echoTime/echoNumber)`,
      'multiple-echoes',
      seriesUid,
    );
  }
  if (timeClash.size) {
    throw new VolumeBuildError(
      `series has several time points at the same slice positions (${[...timeClash].join(', ')}); build one at a time (selection.temporalPosition/triggerTime/acquisitionNumber)`,
      'multiple-time-points',
      seriesUid,
    );
  }
  return { frames: kept.map((x) => x.f), rowCosine: row, columnCosine: col, normal, distances: kept.map((x) => x.d), warnings };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/**
 * Classifies the gaps between adjacent slices: uniform (all within 1% or 0.01 mm of the median), missing slices
 * (some gaps are an integer multiple >= 2 of the median, the rest uniform), or non-uniform.
 */
export function analyseSpacing(distances: number[]): SpacingAnalysis {
  const n = distances.length;
  if (n < 2) return { kind: 'single', step: 0, uniformStep: 0, gaps: [], maxDeviation: 0 };
  const steps = distances.slice(1).map((d, i) => d - distances[i]!);
  const step = median(steps);
  const uniformStep = (distances[n - 1]! - distances[0]!) / (n - 1);
  const tol = Math.max(0.01, 0.01 * step);
  const maxDeviation = Math.max(...steps.map((s) => Math.abs(s - step)));
  if (maxDeviation <= tol) return { kind: 'uniform', step, uniformStep, gaps: [], maxDeviation };
  const gaps: { after: number; missing: number }[] = [];
  let otherwiseUniform = true;
  steps.forEach((s, k) => {
    if (Math.abs(s - step) <= tol) return;
    const m = Math.round(s / step);
    if (m >= 2 && Math.abs(s - m * step) <= tol * m) gaps.push({ after: k, missing: m - 1 });
    else otherwiseUniform = false;
  });
  if (otherwiseUniform && gaps.length > 0) return { kind: 'missing', step, uniformStep: step, gaps, maxDeviation };
  return { kind: 'non-uniform', step, uniformStep: step, gaps: [], maxDeviation };
}
