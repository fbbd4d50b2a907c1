/**
 * DICOM Segmentation (BINARY, 1.2.840.10008.5.1.4.1.1.66.4) on the native grid of the display series.
 * Every frame is pixel-aligned with one source slice: its PlanePositionSequence is that slice's IPP, and its
 * DerivationImageSequence[0].SourceImageSequence[0] names that slice (what OHIF/cornerstone3D use to place
 * it). Checklist and choices: conformance/objects.md.
 */
import type { Findings } from '../../ai/findings';
import type { StudyAttributes } from '../../dicom/study-attributes';
import { SopClass } from '../../dicom/constants';
import { voxelToPatient, type SeriesVolume, type Vec3 } from '../../imaging/volume';
import { codeItem, DCM } from '../codes';
import { equipment, patientAndStudy, sopCommon, withCharacterSet } from '../common-modules';
import { EncoderInputError, type EncoderOptions } from '../options';
import { writePart10, type DicomJson } from '../../dicom/part10-writer';
import type { OutputUids } from '../uid-scheme';
import { packFrames } from './bitpack';
import { planFrames, sliceDistances, sliceHistogram, type FramePlan } from './frame-plan';
import { segmentCatalog, type SegmentSpec } from './segment-catalog';
import { roundTo } from '../sr/content-items';

export interface EncodedSeg {
  bytes: Buffer;
  sopInstanceUid: string;
  seriesInstanceUid: string;
  segments: SegmentSpec[];
  plan: FramePlan;
}

/** Checks that the label map really lies on the reference series' grid and that every slice has a source. */
export function validateSegInput(findings: Findings): void {
  const seg = findings.segmentation;
  if (!seg) throw new EncoderInputError('Findings have no segmentation to encode', 'no-segmentation');
  const ref = findings.referenceSeries;
  const lm = seg.labelmap;
  const [cols, rows, slices] = ref.dims;
  if (lm.dims[0] !== cols || lm.dims[1] !== rows || lm.dims[2] !== slices) {
    throw new EncoderInputError(
      `label map grid ${lm.dims.join('x')} differs from reference series ${ref.seriesInstanceUid} grid ${ref.dims.join('x')}`,
      'grid-mismatch',
    );
  }
  if (lm.data.length !== cols * rows * slices) {
    throw new EncoderInputError(`label map has ${lm.data.length} voxels, expected ${cols * rows * slices}`, 'grid-mismatch');
  }
  if (ref.sources.length !== slices) {
    throw new EncoderInputError(
      `reference series has ${ref.sources.length} slice sources for ${slices} slices`,
      'missing-sources',
    );
  }
  if (ref.imageOrientationPatient?.length !== 6) {
    throw new EncoderInputError('reference series has no ImageOrientationPatient', 'bad-geometry');
  }
  // The frames echo the sources' IPPs; they must agree with the grid the label map was computed on.
  const tol = Math.max(0.05, 0.5 * Math.abs(ref.spacing[2]));
  ref.sources.forEach((s, k) => {
    if (!s.sopInstanceUid || !s.sopClassUid) {
      throw new EncoderInputError(`slice ${k} of the reference series has no SOP Class/Instance UID`, 'missing-sources');
    }
    const p = voxelToPatient(ref.affine, 0, 0, k);
    const d = Math.hypot(p[0] - s.imagePositionPatient[0], p[1] - s.imagePositionPatient[1], p[2] - s.imagePositionPatient[2]);
    if (!(d <= tol)) {
      throw new EncoderInputError(
        `slice ${k}: source ImagePositionPatient is ${d.toFixed(3)} mm from the grid position (slices out of order?)`,
        'bad-geometry',
      );
    }
  });
}

function sourceImageItem(ref: SeriesVolume, k: number, purpose: DicomJson[]): DicomJson {
  const s = ref.sources[k]!;
  const item: DicomJson = {
    ReferencedSOPClassUID: s.sopClassUid,
    ReferencedSOPInstanceUID: s.sopInstanceUid,
    PurposeOfReferenceCodeSequence: purpose,
    SpatialLocationsPreserved: 'YES',
  };
  if (s.frameNumber != null) item.ReferencedFrameNumber = s.frameNumber;
  return item;
}

function segmentItem(s: SegmentSpec, findings: Findings, uids: OutputUids): DicomJson {
  const m = findings.model;
  return {
    SegmentNumber: s.number,
    SegmentLabel: s.label.slice(0, 64),
    SegmentDescription: s.description,
    SegmentAlgorithmType: 'AUTOMATIC',
    SegmentAlgorithmName: m.name.slice(0, 64),
    SegmentationAlgorithmIdentificationSequence: [
      {
        AlgorithmFamilyCodeSequence: [codeItem(DCM.artificialIntelligence)],
        AlgorithmName: m.name.slice(0, 64),
        AlgorithmVersion: m.version.slice(0, 64),
        AlgorithmParameters: `model.onnx sha256=${m.sha256}; execution provider=${m.executionProvider}`,
        AlgorithmSource: 'neuro-onc-node',
      },
    ],
    SegmentedPropertyCategoryCodeSequence: [codeItem(s.category)],
    SegmentedPropertyTypeCodeSequence: [codeItem(s.type)],
    AnatomicRegionSequence: [codeItem(s.anatomicRegion)],
    RecommendedDisplayCIELabValue: s.cielab,
    TrackingID: s.key,
    TrackingUID: uids.tracking(s.key),
  };
}

/** ReferencedSeriesSequence (display series first) + top-level SourceImageSequence over the same instances. */
function references(findings: Findings, referenceAllInputs: boolean, purpose: DicomJson[]): DicomJson {
  const ref = findings.referenceSeries;
  const series: DicomJson[] = [];
  const sourceImages: DicomJson[] = [];
  const addSeries = (seriesUid: string, instances: Array<{ cls: string; uid: string }>): void => {
    const seen = new Set<string>();
    const items: DicomJson[] = [];
    for (const i of instances) {
      if (seen.has(i.uid)) continue;
      seen.add(i.uid);
      items.push({ ReferencedSOPClassUID: i.cls, ReferencedSOPInstanceUID: i.uid });
      sourceImages.push({ ReferencedSOPClassUID: i.cls, ReferencedSOPInstanceUID: i.uid, PurposeOfReferenceCodeSequence: purpose });
    }
    series.push({ SeriesInstanceUID: seriesUid, ReferencedInstanceSequence: items });
  };
  addSeries(
    ref.seriesInstanceUid,
    ref.sources.map((s) => ({ cls: s.sopClassUid, uid: s.sopInstanceUid })),
  );
  if (referenceAllInputs) {
    for (const input of findings.inputs) {
      if (input.seriesInstanceUid === ref.seriesInstanceUid || !input.sopInstanceUids.length) continue;
      addSeries(
        input.seriesInstanceUid,
        input.sopInstanceUids.map((uid) => ({ cls: input.sopClassUid, uid })),
      );
    }
  }
  return { ReferencedSeriesSequence: series, SourceImageSequence: sourceImages };
}

/** Median distance between consecutive stored-grid slices along the normal (falls back to the grid spacing). */
function sliceSpacing(distances: number[], fallback: number): number {
  if (distances.length < 2) return Math.abs(fallback);
  const sorted = [...distances].sort((a, b) => a - b);
  const gaps = sorted.slice(1).map((d, i) => d - sorted[i]!).sort((a, b) => a - b);
  return gaps[Math.floor(gaps.length / 2)]!;
}

export function encodeSeg(findings: Findings, header: StudyAttributes, options: EncoderOptions, uids: OutputUids): EncodedSeg {
  validateSegInput(findings);
  const seg = findings.segmentation!;
  const ref = findings.referenceSeries;
  const [cols, rows, slices] = ref.dims;
  const frameSize = rows * cols;
  const segments = segmentCatalog(findings, options.compositeSegments === true);

  const hist = sliceHistogram(seg.labelmap.data, frameSize, slices);
  const described = new Set(seg.segments.map((s) => s.labelValue));
  for (let k = 0; k < slices; k++) {
    for (let v = 1; v < 256; v++) {
      if (hist[k * 256 + v] && !described.has(v)) {
        throw new EncoderInputError(`label map value ${v} (slice ${k}) is not a declared segment`, 'unknown-label');
      }
    }
  }
  const ipps: Vec3[] = ref.sources.map((s) => s.imagePositionPatient);
  const distances = sliceDistances(ref.imageOrientationPatient, ipps);
  const plan = planFrames(segments, hist, slices, distances, options.omitEmptyFrames !== false);

  const purpose = [codeItem(DCM.sourceImageForProcessing)];
  const derivationCode = [codeItem(DCM.segmentation)];
  const perFrame: DicomJson[] = plan.frames.map((f) => ({
    FrameContentSequence: [{ DimensionIndexValues: [f.segmentNumber, f.positionIndex] }],
    PlanePositionSequence: [{ ImagePositionPatient: ipps[f.slice] }],
    DerivationImageSequence: [
      { SourceImageSequence: [sourceImageItem(ref, f.slice, purpose)], DerivationCodeSequence: derivationCode },
    ],
    SegmentIdentificationSequence: [{ ReferencedSegmentNumber: f.segmentNumber }],
  }));

  const luts = new Map<number, Uint8Array>();
  for (const s of segments) {
    const lut = new Uint8Array(256);
    for (const v of s.labelValues) lut[v] = 1;
    luts.set(s.number, lut);
  }
  const pixelData = packFrames(
    seg.labelmap.data,
    frameSize,
    plan.frames.map((f) => ({ slice: f.slice, lut: luts.get(f.segmentNumber)! })),
  );

  const m = findings.model;
  const now = options.now ?? new Date();
  const seriesNumber = uids.seriesNumbers.seg;
  const orgUid = uids.dimensionOrganization;
  const overlap = segments.some((s) => s.labelValues.length > 1) ? 'YES' : 'NO';
  const ds: DicomJson = {
    ...sopCommon(SopClass.Segmentation, uids.seg, uids.series.seg, seriesNumber, 1, now),
    ...patientAndStudy(header),
    ...equipment(options, m.name),
    ImageType: ['DERIVED', 'PRIMARY'],
    Modality: 'SEG',
    SeriesDescription: 'AI tumour segmentation - RESEARCH USE ONLY',
    ImageComments: 'RESEARCH USE ONLY - automatic segmentation by a model trained on synthetic data',
    FrameOfReferenceUID: ref.frameOfReferenceUid ?? seg.labelmap.frameOfReferenceUid,
    PositionReferenceIndicator: '',
    ContentLabel: 'BRAIN_TUMOUR',
    ContentDescription: `${m.name} ${m.version} (research use only)`.slice(0, 64),
    ContentCreatorName: '',
    SamplesPerPixel: 1,
    PhotometricInterpretation: 'MONOCHROME2',
    Rows: rows,
    Columns: cols,
    BitsAllocated: 1,
    BitsStored: 1,
    HighBit: 0,
    PixelRepresentation: 0,
    LossyImageCompression: '00',
    NumberOfFrames: plan.frames.length,
    SegmentationType: 'BINARY',
    SegmentsOverlap: overlap,
    SegmentSequence: segments.map((s) => segmentItem(s, findings, uids)),
    DimensionOrganizationSequence: [{ DimensionOrganizationUID: orgUid }],
    DimensionIndexSequence: [
      {
        DimensionOrganizationUID: orgUid,
        DimensionIndexPointer: 'ReferencedSegmentNumber',
        FunctionalGroupPointer: 'SegmentIdentificationSequence',
        DimensionDescriptionLabel: 'Segment Number',
      },
      {
        DimensionOrganizationUID: orgUid,
        DimensionIndexPointer: 'ImagePositionPatient',
        FunctionalGroupPointer: 'PlanePositionSequence',
        DimensionDescriptionLabel: 'Image Position Patient',
      },
    ],
    SharedFunctionalGroupsSequence: [
      {
        PixelMeasuresSequence: [
          {
            PixelSpacing: [ref.spacing[1], ref.spacing[0]],
            // The source's SliceThickness as written; the step measured from positions carries float noise
            // (1 would become 0.99999999574219), so it is rounded to 1e-6 mm.
            SliceThickness: ref.sliceThickness ?? roundTo(Math.abs(ref.spacing[2]), 6),
            SpacingBetweenSlices: roundTo(sliceSpacing(distances, ref.spacing[2]), 6),
          },
        ],
        PlaneOrientationSequence: [{ ImageOrientationPatient: [...ref.imageOrientationPatient] }],
      },
    ],
    PerFrameFunctionalGroupsSequence: perFrame,
    ...references(findings, options.referenceAllInputs === true, purpose),
    PixelData: pixelData,
    _vrMap: { PixelData: 'OB' },
  };
  if (!ds.FrameOfReferenceUID) {
    throw new EncoderInputError('reference series has no FrameOfReferenceUID', 'bad-geometry');
  }
  return { bytes: writePart10(withCharacterSet(ds)), sopInstanceUid: uids.seg, seriesInstanceUid: uids.series.seg, segments, plan };
}
