/**
 * Reads a BINARY SEG back onto the grid of its source series: unpacks the 1-bit frames and places each frame on the
 * slice its DerivationImageSequence names (ReferencedSOPInstanceUID, + ReferencedFrameNumber for multi-frame
 * sources), checking that the frame's ImagePositionPatient is that slice's position. Without a source reference a
 * frame is placed by position, like cornerstone3D's fallback. Used by tests, the conformance checker and the
 * end-to-end checks (Dice against ground truth).
 */
import type { NaturalDataset } from '../../dicom/p10';
import type { SliceSource, Vec3 } from '../../imaging/volume';
import { unpackFrame } from './bitpack';

export class SegDecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SegDecodeError';
  }
}

export interface DecodedSegment {
  number: number;
  label: string;
  typeCode?: string;
  typeScheme?: string;
}

export interface DecodedSegFrame {
  /** 0-based frame index in Pixel Data. */
  index: number;
  segmentNumber: number;
  dimensionIndexValues: number[];
  ipp?: Vec3;
  source?: { sopClassUid: string; sopInstanceUid: string; frameNumber?: number };
}

export interface DecodedSeg {
  rows: number;
  columns: number;
  segments: DecodedSegment[];
  frames: DecodedSegFrame[];
  pixelData: Uint8Array;
  imageOrientationPatient?: number[];
  pixelSpacing?: number[];
  frameOfReferenceUid?: string;
  referencedSeriesUids: string[];
}

type Item = Record<string, unknown>;

function items(v: unknown): Item[] {
  return Array.isArray(v) ? (v as Item[]) : [];
}

function numbers(v: unknown): number[] | undefined {
  if (v == null) return undefined;
  const arr = (Array.isArray(v) ? v : [v]).map(Number);
  return arr.every(Number.isFinite) ? arr : undefined;
}

/** Pixel Data as dcmjs gives it (array of ArrayBuffers) or a plain buffer. */
export function pixelBytes(v: unknown): Uint8Array {
  const parts = Array.isArray(v) ? v : [v];
  const chunks = parts.map((p) => {
    if (p instanceof ArrayBuffer) return new Uint8Array(p);
    if (ArrayBuffer.isView(p)) return new Uint8Array(p.buffer, p.byteOffset, p.byteLength);
    throw new SegDecodeError('Pixel Data is missing or not binary');
  });
  return chunks.length === 1 ? chunks[0]! : new Uint8Array(Buffer.concat(chunks));
}

/** First item of a functional group, per-frame first, then shared. */
function group(perFrame: Item | undefined, shared: Item | undefined, name: string): Item | undefined {
  return items(perFrame?.[name])[0] ?? items(shared?.[name])[0];
}

export function decodeSeg(ds: NaturalDataset): DecodedSeg {
  if (ds.SOPClassUID !== '1.2.840.10008.5.1.4.1.1.66.4') throw new SegDecodeError(`not a Segmentation (SOP class ${String(ds.SOPClassUID)})`);
  if (ds.SegmentationType !== 'BINARY') throw new SegDecodeError(`only BINARY SEG is decoded, got ${String(ds.SegmentationType)}`);
  if (Number(ds.BitsAllocated) !== 1) throw new SegDecodeError(`BitsAllocated must be 1, got ${String(ds.BitsAllocated)}`);
  const rows = Number(ds.Rows);
  const columns = Number(ds.Columns);
  const nFrames = Number(ds.NumberOfFrames);
  const perFrame = items(ds.PerFrameFunctionalGroupsSequence);
  const shared = items(ds.SharedFunctionalGroupsSequence)[0];
  if (!(rows > 0 && columns > 0 && nFrames > 0)) throw new SegDecodeError('Rows, Columns and NumberOfFrames must be positive');
  if (perFrame.length !== nFrames) {
    throw new SegDecodeError(`NumberOfFrames is ${nFrames} but PerFrameFunctionalGroupsSequence has ${perFrame.length} items`);
  }
  const pixelData = pixelBytes(ds.PixelData);
  if (pixelData.length * 8 < nFrames * rows * columns) {
    throw new SegDecodeError(`Pixel Data holds ${pixelData.length} bytes, fewer than ${nFrames} frames of ${rows}x${columns} bits`);
  }
  const segments = items(ds.SegmentSequence).map((s) => {
    const type = items(s.SegmentedPropertyTypeCodeSequence)[0];
    return {
      number: Number(s.SegmentNumber),
      label: String(s.SegmentLabel ?? ''),
      typeCode: type ? String(type.CodeValue ?? type.LongCodeValue ?? '') : undefined,
      typeScheme: type ? String(type.CodingSchemeDesignator ?? '') : undefined,
    };
  });
  const frames = perFrame.map((pf, index): DecodedSegFrame => {
    const segId = group(pf, shared, 'SegmentIdentificationSequence');
    const segmentNumber = Number(numbers(segId?.ReferencedSegmentNumber)?.[0]);
    const ipp = numbers(group(pf, undefined, 'PlanePositionSequence')?.ImagePositionPatient);
    const src = items(items(pf.DerivationImageSequence)[0]?.SourceImageSequence)[0];
    const frame: DecodedSegFrame = {
      index,
      segmentNumber,
      dimensionIndexValues: numbers(group(pf, undefined, 'FrameContentSequence')?.DimensionIndexValues) ?? [],
    };
    if (ipp?.length === 3) frame.ipp = ipp as Vec3;
    if (src) {
      frame.source = { sopClassUid: String(src.ReferencedSOPClassUID), sopInstanceUid: String(src.ReferencedSOPInstanceUID) };
      const fn = numbers(src.ReferencedFrameNumber)?.[0];
      if (fn != null) frame.source.frameNumber = fn;
    }
    return frame;
  });
  const out: DecodedSeg = {
    rows,
    columns,
    segments,
    frames,
    pixelData,
    referencedSeriesUids: items(ds.ReferencedSeriesSequence).map((s) => String(s.SeriesInstanceUID)),
  };
  const iop = numbers(group(undefined, shared, 'PlaneOrientationSequence')?.ImageOrientationPatient);
  if (iop) out.imageOrientationPatient = iop;
  const ps = numbers(group(undefined, shared, 'PixelMeasuresSequence')?.PixelSpacing);
  if (ps) out.pixelSpacing = ps;
  if (ds.FrameOfReferenceUID) out.frameOfReferenceUid = String(ds.FrameOfReferenceUID);
  return out;
}

function sourceKey(uid: string, frame?: number): string {
  return frame == null ? uid : `${uid}#${frame}`;
}

/**
 * Slice index of every frame on the given source grid. Throws when a frame references an instance that is not in
 * the grid, or when its position disagrees with that slice by more than `toleranceMm`.
 */
export function frameSlices(seg: DecodedSeg, sources: readonly SliceSource[], toleranceMm = 0.01): number[] {
  const byUid = new Map<string, number>();
  sources.forEach((s, k) => byUid.set(sourceKey(s.sopInstanceUid, s.frameNumber), k));
  return seg.frames.map((f) => {
    let k: number | undefined;
    if (f.source) {
      k = byUid.get(sourceKey(f.source.sopInstanceUid, f.source.frameNumber));
      if (k == null) throw new SegDecodeError(`frame ${f.index + 1} references ${f.source.sopInstanceUid}, which is not a slice of the source series`);
    } else if (f.ipp) {
      const found = sources.findIndex((s) => dist(s.imagePositionPatient, f.ipp!) <= toleranceMm);
      if (found < 0) throw new SegDecodeError(`frame ${f.index + 1} has no source reference and matches no slice position`);
      k = found;
    } else {
      throw new SegDecodeError(`frame ${f.index + 1} has neither a source image reference nor a position`);
    }
    if (f.ipp && dist(sources[k]!.imagePositionPatient, f.ipp) > toleranceMm) {
      throw new SegDecodeError(`frame ${f.index + 1}: ImagePositionPatient differs from its source slice ${k} by more than ${toleranceMm} mm`);
    }
    return k;
  });
}

function dist(a: readonly number[], b: readonly number[]): number {
  return Math.hypot(a[0]! - b[0]!, a[1]! - b[1]!, a[2]! - b[2]!);
}

/** Binary mask (0/1 per voxel, Volume.data layout) of one segment on the source grid. */
export function segmentMask(seg: DecodedSeg, segmentNumber: number, sources: readonly SliceSource[]): Uint8Array {
  const frameSize = seg.rows * seg.columns;
  const mask = new Uint8Array(frameSize * sources.length);
  const slices = frameSlices(seg, sources);
  seg.frames.forEach((f, i) => {
    if (f.segmentNumber !== segmentNumber) return;
    const bits = unpackFrame(seg.pixelData, f.index, frameSize);
    const base = slices[i]! * frameSize;
    for (let p = 0; p < frameSize; p++) if (bits[p]) mask[base + p] = 1;
  });
  return mask;
}

/**
 * Label map (segment number per voxel) for non-overlapping segments; `labelOf` maps segment numbers to label values
 * (identity by default). Overlapping segments are written in SegmentNumber order (the last wins).
 */
export function segToLabelmap(
  seg: DecodedSeg,
  sources: readonly SliceSource[],
  labelOf: (segmentNumber: number) => number | undefined = (n) => n,
): Uint8Array {
  const frameSize = seg.rows * seg.columns;
  const out = new Uint8Array(frameSize * sources.length);
  const slices = frameSlices(seg, sources);
  const order = seg.frames.map((f, i) => ({ f, i })).sort((a, b) => a.f.segmentNumber - b.f.segmentNumber || a.i - b.i);
  for (const { f, i } of order) {
    const label = labelOf(f.segmentNumber);
    if (label == null) continue;
    const bits = unpackFrame(seg.pixelData, f.index, frameSize);
    const base = slices[i]! * frameSize;
    for (let p = 0; p < frameSize; p++) if (bits[p]) out[base + p] = label;
  }
  return out;
}
