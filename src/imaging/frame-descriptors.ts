/**
 * Frame descriptors: per-frame facts (geometry, modality LUT, echo/time keys) from single-frame and Enhanced (functional-group)
 * instances, in one shape, so the volume builder never cares which kind it got.
 * Enhanced: a per-frame functional group overrides the shared one (PS3.3 C.7.6.16).
 */
import { num, nums, str, type NaturalDataset } from '../dicom/p10';
import type { Vec3 } from './volume';
import { VolumeBuildError } from './volume-errors';

export interface FrameDescriptor {
  /** Index of the instance in the input list. */
  instance: number;
  /** 0-based frame index inside the instance. */
  frameIndex: number;
  /** 1-based frame number for multi-frame (Enhanced) instances; undefined for single-frame. */
  frameNumber?: number;
  sopClassUid: string;
  sopInstanceUid: string;
  position: Vec3;
  /** Row cosine then column cosine. */
  orientation: [number, number, number, number, number, number];
  /** [row spacing, column spacing] as in DICOM PixelSpacing. */
  pixelSpacing: [number, number];
  rows: number;
  columns: number;
  sliceThickness?: number;
  spacingBetweenSlices?: number;
  slope: number;
  intercept: number;
  /** Echo identity: echo time (ms) and echo number when given. */
  echoTime?: number;
  echoNumber?: number;
  /** Time identity: temporal position (identifier/index), trigger time, acquisition number/time. */
  temporalPosition?: number;
  triggerTime?: number;
  acquisitionNumber?: number;
  acquisitionTime?: string;
  instanceNumber?: number;
}

type Item = NaturalDataset;

function firstItem(ds: Item | undefined, seq: string): Item | undefined {
  const v = ds?.[seq];
  return Array.isArray(v) && v.length > 0 && v[0] && typeof v[0] === 'object' ? (v[0] as Item) : undefined;
}

/** Looks up `seq`[0] in the per-frame group first, then the shared group. */
function fgItem(perFrame: Item | undefined, shared: Item | undefined, seq: string): Item | undefined {
  return firstItem(perFrame, seq) ?? firstItem(shared, seq);
}

function vec3(v: number[] | undefined): Vec3 | undefined {
  return v && v.length >= 3 ? [v[0]!, v[1]!, v[2]!] : undefined;
}

function orient(v: number[] | undefined): FrameDescriptor['orientation'] | undefined {
  return v && v.length >= 6 ? [v[0]!, v[1]!, v[2]!, v[3]!, v[4]!, v[5]!] : undefined;
}

function spacing2(v: number[] | undefined): [number, number] | undefined {
  return v && v.length >= 2 && v[0]! > 0 && v[1]! > 0 ? [v[0]!, v[1]!] : undefined;
}

function missing(what: string, where: string, seriesUid: string): never {
  throw new VolumeBuildError(`${what} missing in ${where}`, 'missing-geometry', seriesUid || undefined);
}

/** True for instances that carry Multi-frame Functional Groups (Enhanced MR/CT, Legacy Converted Enhanced). */
export function isFunctionalGroupInstance(ds: NaturalDataset): boolean {
  return Array.isArray(ds.PerFrameFunctionalGroupsSequence) || Array.isArray(ds.SharedFunctionalGroupsSequence);
}

/** Frame descriptors of one instance (one entry for single-frame, NumberOfFrames entries for Enhanced). */
export function frameDescriptors(ds: NaturalDataset, instance: number): FrameDescriptor[] {
  const sopClassUid = str(ds, 'SOPClassUID');
  const sopInstanceUid = str(ds, 'SOPInstanceUID');
  const seriesUid = str(ds, 'SeriesInstanceUID');
  const rows = num(ds, 'Rows');
  const columns = num(ds, 'Columns');
  const where = `instance ${sopInstanceUid || `#${instance}`}`;
  if (!rows || !columns) missing('Rows/Columns', where, seriesUid);
  const nFrames = num(ds, 'NumberOfFrames') ?? 1;
  if (!isFunctionalGroupInstance(ds)) {
    if (nFrames > 1) {
      throw new VolumeBuildError(
        `${where} has ${nFrames} frames but no functional groups: per-frame positions unknown`,
        'missing-geometry',
        seriesUid || undefined,
      );
    }
    const position = vec3(nums(ds, 'ImagePositionPatient')) ?? missing('ImagePositionPatient', where, seriesUid);
    const orientation = orient(nums(ds, 'ImageOrientationPatient')) ?? missing('ImageOrientationPatient', where, seriesUid);
    const pixelSpacing = spacing2(nums(ds, 'PixelSpacing')) ?? missing('PixelSpacing', where, seriesUid);
    return [
      {
        instance,
        frameIndex: 0,
        sopClassUid,
        sopInstanceUid,
        position,
        orientation,
        pixelSpacing,
        rows,
        columns,
        sliceThickness: num(ds, 'SliceThickness'),
        spacingBetweenSlices: num(ds, 'SpacingBetweenSlices'),
        slope: num(ds, 'RescaleSlope') ?? 1,
        intercept: num(ds, 'RescaleIntercept') ?? 0,
        echoTime: num(ds, 'EchoTime'),
        echoNumber: num(ds, 'EchoNumbers'),
        temporalPosition: num(ds, 'TemporalPositionIdentifier'),
        triggerTime: num(ds, 'TriggerTime'),
        acquisitionNumber: num(ds, 'AcquisitionNumber'),
        acquisitionTime: str(ds, 'AcquisitionTime') || undefined,
        instanceNumber: num(ds, 'InstanceNumber'),
      },
    ];
  }
  const shared = firstItem(ds, 'SharedFunctionalGroupsSequence');
  const perFrameSeq = Array.isArray(ds.PerFrameFunctionalGroupsSequence) ? (ds.PerFrameFunctionalGroupsSequence as Item[]) : [];
  if (perFrameSeq.length !== nFrames) {
    throw new VolumeBuildError(
      `${where}: PerFrameFunctionalGroupsSequence has ${perFrameSeq.length} items, NumberOfFrames is ${nFrames}`,
      'missing-geometry',
      seriesUid || undefined,
    );
  }
  const out: FrameDescriptor[] = [];
  for (let f = 0; f < nFrames; f++) {
    const pf = perFrameSeq[f];
    const fwhere = `${where} frame ${f + 1}`;
    const pos = fgItem(pf, shared, 'PlanePositionSequence');
    const ori = fgItem(pf, shared, 'PlaneOrientationSequence');
    const meas = fgItem(pf, shared, 'PixelMeasuresSequence');
    const pvt = fgItem(pf, shared, 'PixelValueTransformationSequence');
    const echo = fgItem(pf, shared, 'MREchoSequence');
    const content = fgItem(pf, shared, 'FrameContentSequence');
    const position = vec3(pos && nums(pos, 'ImagePositionPatient')) ?? missing('PlanePositionSequence/ImagePositionPatient', fwhere, seriesUid);
    const orientation = orient(ori && nums(ori, 'ImageOrientationPatient')) ?? missing('PlaneOrientationSequence/ImageOrientationPatient', fwhere, seriesUid);
    const pixelSpacing = spacing2(meas && nums(meas, 'PixelSpacing')) ?? missing('PixelMeasuresSequence/PixelSpacing', fwhere, seriesUid);
    out.push({
      instance,
      frameIndex: f,
      frameNumber: f + 1,
      sopClassUid,
      sopInstanceUid,
      position,
      orientation,
      pixelSpacing,
      rows,
      columns,
      sliceThickness: meas ? num(meas, 'SliceThickness') : undefined,
      spacingBetweenSlices: meas ? num(meas, 'SpacingBetweenSlices') : undefined,
      slope: (pvt && num(pvt, 'RescaleSlope')) ?? num(ds, 'RescaleSlope') ?? 1,
      intercept: (pvt && num(pvt, 'RescaleIntercept')) ?? num(ds, 'RescaleIntercept') ?? 0,
      echoTime: echo ? num(echo, 'EffectiveEchoTime') : undefined,
      temporalPosition: content ? num(content, 'TemporalPositionIndex') : undefined,
      acquisitionNumber: content ? num(content, 'FrameAcquisitionNumber') : undefined,
      acquisitionTime: (content && str(content, 'FrameAcquisitionDateTime')) || undefined,
      instanceNumber: num(ds, 'InstanceNumber'),
    });
  }
  return out;
}
