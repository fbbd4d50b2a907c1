/**
 * Which (segment, slice) frames a SEG stores and their dimension index values, following highdicom's rules:
 * frames are segment-major, slices within a segment ordered along the slice normal;
 * DimensionIndexValues = [SegmentNumber, position index]; position indices run 1..K without gaps over the positions
 * actually stored, sorted along the normal, and one position has the same index in every segment.
 *
 * Empty frames are omitted (default). A segment that is empty everywhere keeps its SegmentSequence item but has no
 * frames (legal; its volume 0 is reported in the SR). If that leaves no frame at all (nothing segmented), one
 * all-zero frame of segment 1 on the middle slice is stored, because Number of Frames is Type 1 and must be >= 1.
 */
import type { Vec3 } from '../../imaging/volume';
import type { SegmentSpec } from './segment-catalog';

export interface PlannedFrame {
  segmentNumber: number;
  /** Slice index k of the reference grid. */
  slice: number;
  /** 1-based position index (second dimension index value). */
  positionIndex: number;
}

export interface FramePlan {
  frames: PlannedFrame[];
  /** Stored slice indices in position-index order (positionIndex = index + 1). */
  positions: number[];
  /** Segment numbers with no foreground voxel. */
  emptySegments: number[];
  /** True when the single all-zero placeholder frame was added. */
  placeholder: boolean;
  /** Foreground voxel count per segment number. */
  voxelCounts: Map<number, number>;
}

function cross(a: Vec3, b: Vec3): Vec3 {
  return [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
}

/** Distance of each slice along the slice normal (row cosine x column cosine). */
export function sliceDistances(iop: readonly number[], positions: readonly Vec3[]): number[] {
  const n = cross([iop[0]!, iop[1]!, iop[2]!], [iop[3]!, iop[4]!, iop[5]!]);
  return positions.map((p) => p[0] * n[0] + p[1] * n[1] + p[2] * n[2]);
}

/**
 * One pass over the label map: histogram[k * 256 + v] = number of voxels with value v >= 1 on slice k (background,
 * v = 0, is not counted: runs of four zero voxels are skipped as one 32-bit word). Everything else (non-empty
 * slices per segment, volumes) derives from it.
 */
export function sliceHistogram(labelmap: Uint8Array, frameSize: number, slices: number): Uint32Array {
  const hist = new Uint32Array(slices * 256);
  const aligned = labelmap.byteOffset % 4 === 0 && frameSize % 4 === 0;
  const words = aligned ? new Uint32Array(labelmap.buffer, labelmap.byteOffset, labelmap.length >>> 2) : undefined;
  for (let k = 0; k < slices; k++) {
    const base = k * 256;
    const end = (k + 1) * frameSize;
    for (let i = k * frameSize; i < end; i++) {
      if (words && (i & 3) === 0 && words[i >>> 2] === 0) {
        i += 3;
        continue;
      }
      const v = labelmap[i]!;
      if (v) hist[base + v]!++;
    }
  }
  return hist;
}

export function planFrames(
  segments: readonly SegmentSpec[],
  hist: Uint32Array,
  slices: number,
  distances: readonly number[],
  omitEmptyFrames: boolean,
): FramePlan {
  const nonEmpty = new Map<number, number[]>();
  const voxelCounts = new Map<number, number>();
  for (const s of segments) {
    const ks: number[] = [];
    let count = 0;
    for (let k = 0; k < slices; k++) {
      let n = 0;
      for (const v of s.labelValues) n += hist[k * 256 + v]!;
      count += n;
      if (n > 0 || !omitEmptyFrames) ks.push(k);
    }
    nonEmpty.set(s.number, ks);
    voxelCounts.set(s.number, count);
  }
  const emptySegments = segments.filter((s) => voxelCounts.get(s.number) === 0).map((s) => s.number);
  let placeholder = false;
  const stored = new Set<number>();
  for (const ks of nonEmpty.values()) for (const k of ks) stored.add(k);
  if (stored.size === 0) {
    const mid = Math.floor(slices / 2);
    nonEmpty.set(segments[0]!.number, [mid]);
    stored.add(mid);
    placeholder = true;
  }
  const positions = [...stored].sort((a, b) => distances[a]! - distances[b]! || a - b);
  const positionIndex = new Map<number, number>(positions.map((k, i) => [k, i + 1]));
  const frames: PlannedFrame[] = [];
  for (const s of segments) {
    const ks = [...(nonEmpty.get(s.number) ?? [])].sort((a, b) => positionIndex.get(a)! - positionIndex.get(b)!);
    for (const k of ks) frames.push({ segmentNumber: s.number, slice: k, positionIndex: positionIndex.get(k)! });
  }
  return { frames, positions, emptySegments, placeholder, voxelCounts };
}
