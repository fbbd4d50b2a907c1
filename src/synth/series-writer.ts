/**
 * Writes a Volume as a DICOM MR series: one MR Image Storage instance per slice, or one Enhanced MR Image Storage
 * multi-frame instance. Used by the synthetic-study generator and by tests that need real DICOM from known voxels.
 *
 * Geometry comes from Volume.affine (voxel (i, j, k) -> LPS mm): the i column gives the row direction cosine and the
 * column spacing, j the column cosine and the row spacing, k the step between slices; ImagePositionPatient of slice k
 * is affine * (0, 0, k). Any rotation (oblique) works; the slice step must be perpendicular to the image plane.
 * Slice gaps: SpacingBetweenSlices = |k step|, SliceThickness = opts.sliceThickness (default: the step).
 * Pixels: stored = round((value - intercept) / slope), checked against the stored range (never clipped silently).
 * UIDs: derived from opts.seed (same seed + same inputs = same UIDs), unless the header template supplies them.
 *
 * Transfer syntaxes (what does the encoding):
 *  - Explicit / Implicit VR Little Endian: dcmjs writer.
 *  - Deflated Explicit VR LE: dcmjs writes Explicit VR LE, node:zlib deflateRaw compresses the data set after the
 *    File Meta Information (PS3.5 A.5).
 *  - Explicit VR Big Endian (retired; for reader tests): dcmjs writer, 16-bit pixels byte-swapped here.
 *  - RLE, JPEG Baseline (8-bit only), JPEG Lossless (SV1 and other predictors), JPEG-LS lossless / near-lossless,
 *    JPEG 2000 lossless / lossy, HT-JPEG 2000: frames encoded by dcmjs-codecs (WebAssembly) via pixel-codecs.ts,
 *    one fragment per frame with a Basic Offset Table.
 */
import { deflateRawSync } from 'node:zlib';
import dcmjs from 'dcmjs';
import { add, column, cross, dot, norm, scale, sub } from '../imaging/affine';
import type { Vec3, Volume, VoxelArray } from '../imaging/volume';
import { IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME, SopClass, TransferSyntax } from '../dicom/constants';
import { roundDS } from '../dicom/ds-format';
import type { NaturalDataset } from '../dicom/p10';
import {
  encodeFrameBytes,
  ENCODABLE_TRANSFER_SYNTAXES,
  initPixelCodecs,
  isEncapsulatedSyntax,
  LOSSY_TRANSFER_SYNTAXES,
  type EncodeParams,
  type PixelFormat,
} from '../dicom/pixel-codecs';
import { deterministicUid } from '../dicom/uids';

export class SeriesWriterError extends Error {
  constructor(
    message: string,
    public readonly reason: 'bad-geometry' | 'value-out-of-range' | 'unsupported-transfer-syntax' | 'bad-options',
  ) {
    super(message);
    this.name = 'SeriesWriterError';
  }
}

export type SeriesFormat = 'single-frame' | 'enhanced';

export interface SeriesWriterOptions {
  /** Seed for deterministic UIDs (study/series/frame of reference/instances) when the header does not give them. */
  seed: string;
  /** 'single-frame' (MR Image Storage, default) or 'enhanced' (Enhanced MR Image Storage, one multi-frame file). */
  format?: SeriesFormat;
  /** Default Explicit VR Little Endian. */
  transferSyntaxUid?: string;
  /**
   * Modality LUT: 'auto' (default) keeps integer data as is (slope 1, intercept 0) and maps non-integer data onto
   * 0..65535 (or 0..255 for 8-bit); or explicit values (stored = round((v - intercept) / slope)).
   */
  rescale?: 'auto' | { slope: number; intercept: number };
  /** Default 16; JPEG Baseline forces 8. */
  bitsAllocated?: 8 | 16;
  /** Default = bitsAllocated. Values must fit. */
  bitsStored?: number;
  /** Nominal slice thickness in mm; less than the slice step makes a gap. Default: the slice step. */
  sliceThickness?: number;
  /** InstanceNumber for slice k (default k + 1); lets tests decouple InstanceNumber from position. */
  instanceNumber?: (k: number) => number;
  /** Codec parameters for lossy syntaxes. */
  codec?: EncodeParams;
  /** Date/time written where a date is required and the header gives none (default 20000101 / 000000). */
  defaultDate?: string;
}

export interface WrittenInstance {
  sopInstanceUid: string;
  /** Part 10 bytes. */
  buffer: Buffer;
}

export interface WrittenSeries {
  studyInstanceUid: string;
  seriesInstanceUid: string;
  frameOfReferenceUid: string;
  sopClassUid: string;
  transferSyntaxUid: string;
  /** The modality LUT actually written (value = stored * slope + intercept). */
  rescale: { slope: number; intercept: number };
  instances: WrittenInstance[];
}

/** Geometry of the slices, derived from the affine. */
export interface SliceGeometry {
  rowCosine: Vec3;
  columnCosine: Vec3;
  normal: Vec3;
  /** DICOM PixelSpacing: [spacing between rows (j), spacing between columns (i)]. */
  pixelSpacing: [number, number];
  /** Distance between adjacent slice centres. */
  sliceSpacing: number;
  /** ImagePositionPatient of each slice. */
  positions: Vec3[];
}

/** Derives IOP/IPP/PixelSpacing from a volume's affine; throws when the slices are not stacked along the normal. */
export function sliceGeometry(volume: Volume): SliceGeometry {
  const a = volume.affine;
  const ci = column(a, 0);
  const cj = column(a, 1);
  const ck = column(a, 2);
  const [si, sj, sk] = [norm(ci), norm(cj), norm(ck)];
  if (!(si > 0 && sj > 0 && sk > 0)) throw new SeriesWriterError('affine has a zero-length voxel axis', 'bad-geometry');
  const rowCosine = scale(ci, 1 / si);
  const columnCosine = scale(cj, 1 / sj);
  if (Math.abs(dot(rowCosine, columnCosine)) > 1e-6) {
    throw new SeriesWriterError('affine i and j axes are not perpendicular (skewed pixels cannot be written as DICOM)', 'bad-geometry');
  }
  const normal = cross(rowCosine, columnCosine);
  const along = dot(ck, normal);
  const offAxis = norm(sub(ck, scale(normal, along)));
  if (offAxis > 1e-4 * sk) {
    throw new SeriesWriterError(`slice step is ${offAxis.toFixed(4)} mm off the image-plane normal (sheared stack)`, 'bad-geometry');
  }
  const origin = column(a, 3);
  const positions: Vec3[] = [];
  for (let k = 0; k < volume.dims[2]; k++) positions.push(add(origin, scale(ck, k)));
  return { rowCosine, columnCosine, normal, pixelSpacing: [sj, si], sliceSpacing: sk, positions };
}

interface StoredPlan {
  bitsAllocated: 8 | 16;
  bitsStored: number;
  pixelRepresentation: 0 | 1;
  slope: number;
  intercept: number;
}

function minMax(data: VoxelArray): { min: number; max: number; integral: boolean } {
  let min = Infinity;
  let max = -Infinity;
  let integral = true;
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (v < min) min = v;
    if (v > max) max = v;
    if (integral && v !== Math.round(v)) integral = false;
  }
  if (!Number.isFinite(min) || !Number.isFinite(max)) throw new SeriesWriterError('volume has no finite voxels', 'value-out-of-range');
  return { min, max, integral };
}

/** Chooses bits, sign and the modality LUT for the volume's values. */
export function planStoredPixels(data: VoxelArray, opts: SeriesWriterOptions, ts: string): StoredPlan {
  const bitsAllocated: 8 | 16 = ts === TransferSyntax.JpegBaseline ? 8 : (opts.bitsAllocated ?? 16);
  if (ts === TransferSyntax.JpegBaseline && opts.bitsAllocated === 16) {
    throw new SeriesWriterError('JPEG Baseline stores 8-bit pixels; bitsAllocated 16 requested', 'bad-options');
  }
  const bitsStored = opts.bitsStored ?? bitsAllocated;
  if (bitsStored < 2 || bitsStored > bitsAllocated) throw new SeriesWriterError(`bitsStored ${bitsStored} out of 2..${bitsAllocated}`, 'bad-options');
  const { min, max, integral } = minMax(data);
  let slope = 1;
  let intercept = 0;
  const r = opts.rescale ?? 'auto';
  if (r !== 'auto') {
    if (!(r.slope > 0) || !Number.isFinite(r.intercept)) throw new SeriesWriterError('rescale slope must be > 0', 'bad-options');
    slope = roundDS(r.slope);
    intercept = roundDS(r.intercept);
  } else if (!integral) {
    const levels = 2 ** bitsStored - 1;
    intercept = roundDS(min);
    slope = roundDS(((max - intercept) / levels) * (1 + 1e-9)) || 1;
    while ((max - intercept) / slope > levels + 0.5) slope = roundDS(slope * 1.000001);
  }
  const sMin = Math.round((min - intercept) / slope);
  const sMax = Math.round((max - intercept) / slope);
  const pixelRepresentation: 0 | 1 = sMin < 0 ? 1 : 0;
  const lo = pixelRepresentation ? -(2 ** (bitsStored - 1)) : 0;
  const hi = pixelRepresentation ? 2 ** (bitsStored - 1) - 1 : 2 ** bitsStored - 1;
  if (sMin < lo || sMax > hi) {
    throw new SeriesWriterError(
      `stored values ${sMin}..${sMax} do not fit ${bitsStored} bits ${pixelRepresentation ? 'signed' : 'unsigned'} (rescale slope ${slope}, intercept ${intercept})`,
      'value-out-of-range',
    );
  }
  return { bitsAllocated, bitsStored, pixelRepresentation, slope, intercept };
}

/** Stored values of slice k as little-endian bytes. */
function sliceBytes(volume: Volume, k: number, plan: StoredPlan): Uint8Array {
  const n = volume.dims[0] * volume.dims[1];
  const src = volume.data.subarray(k * n, (k + 1) * n);
  const out =
    plan.bitsAllocated === 8 ? (plan.pixelRepresentation ? new Int8Array(n) : new Uint8Array(n))
    : plan.pixelRepresentation ? new Int16Array(n)
    : new Uint16Array(n);
  if (plan.slope === 1 && plan.intercept === 0) {
    for (let i = 0; i < n; i++) out[i] = Math.round(src[i]!);
  } else {
    const inv = 1 / plan.slope;
    for (let i = 0; i < n; i++) out[i] = Math.round((src[i]! - plan.intercept) * inv);
  }
  return new Uint8Array(out.buffer);
}

function pixelFormat(volume: Volume, plan: StoredPlan): PixelFormat {
  return {
    rows: volume.dims[1],
    columns: volume.dims[0],
    bitsAllocated: plan.bitsAllocated,
    bitsStored: plan.bitsStored,
    pixelRepresentation: plan.pixelRepresentation,
    samplesPerPixel: 1,
    photometricInterpretation: 'MONOCHROME2',
  };
}

const ds = (v: number): number => roundDS(v);
const dsv = (v: readonly number[]): number[] => v.map(ds);

/** Attributes the template cannot override: the writer owns geometry, pixels and identity. */
function pixelModule(plan: StoredPlan, volume: Volume, ts: string): NaturalDataset {
  return {
    SamplesPerPixel: 1,
    PhotometricInterpretation: 'MONOCHROME2',
    Rows: volume.dims[1],
    Columns: volume.dims[0],
    BitsAllocated: plan.bitsAllocated,
    BitsStored: plan.bitsStored,
    HighBit: plan.bitsStored - 1,
    PixelRepresentation: plan.pixelRepresentation,
    ...(LOSSY_TRANSFER_SYNTAXES.has(ts) ?
      { LossyImageCompression: '01', LossyImageCompressionMethod: lossyMethod(ts) }
    : {}),
  };
}

function lossyMethod(ts: string): string {
  if (ts.startsWith('1.2.840.10008.1.2.4.5')) return 'ISO_10918_1';
  if (ts.startsWith('1.2.840.10008.1.2.4.8')) return 'ISO_14495_1';
  if (ts.startsWith('1.2.840.10008.1.2.4.20')) return 'ISO_15444_15';
  return 'ISO_15444_1';
}

/** Defaults for Type 1/2 attributes of MR series that a template may leave out. */
function commonDefaults(opts: SeriesWriterOptions): NaturalDataset {
  const date = opts.defaultDate ?? '20000101';
  return {
    PatientName: '',
    PatientID: '',
    PatientBirthDate: '',
    PatientSex: '',
    StudyDate: date,
    StudyTime: '000000',
    ReferringPhysicianName: '',
    StudyID: '',
    AccessionNumber: '',
    Modality: 'MR',
    BodyPartExamined: 'HEAD',
    SeriesNumber: 1,
    PatientPosition: 'HFS',
    PositionReferenceIndicator: '',
    Manufacturer: '',
  };
}

const MR_SINGLE_FRAME_DEFAULTS: NaturalDataset = {
  ImageType: ['ORIGINAL', 'PRIMARY', 'OTHER'],
  ScanningSequence: 'SE',
  SequenceVariant: 'NONE',
  ScanOptions: '',
  MRAcquisitionType: '2D',
  RepetitionTime: '',
  EchoTime: '',
  EchoTrainLength: '',
};

/** Flat MR acquisition attributes that belong in functional groups of an Enhanced MR object, not at the top level. */
const FLAT_ONLY_MR = [
  'ScanningSequence', 'SequenceVariant', 'ScanOptions', 'RepetitionTime', 'EchoTime', 'EchoTrainLength', 'InversionTime',
  'FlipAngle', 'NumberOfAverages', 'ImagingFrequency', 'ImagedNucleus', 'EchoNumbers', 'SliceThickness',
  'SpacingBetweenSlices', 'PixelSpacing', 'ImagePositionPatient', 'ImageOrientationPatient', 'SliceLocation',
  'RescaleSlope', 'RescaleIntercept', 'RescaleType', 'SequenceName', 'PixelBandwidth', 'ReceiveCoilName',
  'TransmitCoilName', 'InPlanePhaseEncodingDirection', 'PercentSampling', 'PercentPhaseFieldOfView',
  'TriggerTime', 'AngioFlag', 'SAR', 'dBdt', 'AcquisitionMatrix', 'NumberOfPhaseEncodingSteps', 'WindowCenter',
  'WindowWidth', 'TemporalPositionIdentifier', 'NumberOfTemporalPositions',
];

interface SeriesIds {
  study: string;
  series: string;
  frameOfReference: string;
}

function seriesIds(header: NaturalDataset, seed: string): SeriesIds {
  const pick = (k: string, fallback: string): string => (typeof header[k] === 'string' && header[k] ? header[k] : fallback);
  const study = pick('StudyInstanceUID', deterministicUid(seed, 'study'));
  const series = pick('SeriesInstanceUID', deterministicUid(seed, study, 'series'));
  return { study, series, frameOfReference: pick('FrameOfReferenceUID', deterministicUid(seed, study, 'frame-of-reference')) };
}

/** The naturalized single-frame MR data sets (pixel data as native little-endian bytes), one per slice. Pure. */
export function singleFrameDatasets(
  volume: Volume,
  header: NaturalDataset,
  opts: SeriesWriterOptions,
  plan: StoredPlan,
  ts: string,
): { datasets: NaturalDataset[]; ids: SeriesIds } {
  const g = sliceGeometry(volume);
  const ids = seriesIds(header, opts.seed);
  const iop = dsv([...g.rowCosine, ...g.columnCosine]);
  const base: NaturalDataset = {
    ...commonDefaults(opts),
    ...MR_SINGLE_FRAME_DEFAULTS,
    ...header,
    ...pixelModule(plan, volume, ts),
    SOPClassUID: SopClass.MRImage,
    StudyInstanceUID: ids.study,
    SeriesInstanceUID: ids.series,
    FrameOfReferenceUID: ids.frameOfReference,
    ImageOrientationPatient: iop,
    PixelSpacing: dsv(g.pixelSpacing),
    SliceThickness: ds(opts.sliceThickness ?? g.sliceSpacing),
    SpacingBetweenSlices: ds(g.sliceSpacing),
    // The MR Image IOD has no Modality LUT; written (as Philips does) only when the values are not the stored ones.
    ...(plan.slope !== 1 || plan.intercept !== 0 ? { RescaleSlope: plan.slope, RescaleIntercept: plan.intercept, RescaleType: 'US' } : {}),
  };
  if (base.ContentDate == null) base.ContentDate = base.StudyDate;
  if (base.ContentTime == null) base.ContentTime = base.StudyTime;
  const datasets = g.positions.map((p, k) => ({
    ...base,
    SOPInstanceUID: deterministicUid(opts.seed, ids.series, 'instance', String(k)),
    InstanceNumber: opts.instanceNumber ? opts.instanceNumber(k) : k + 1,
    ImagePositionPatient: dsv(p),
    SliceLocation: ds(dot(p, g.normal)),
  }));
  return { datasets, ids };
}

function code(value: string, scheme: string, meaning: string): NaturalDataset {
  return { CodeValue: value, CodingSchemeDesignator: scheme, CodeMeaning: meaning };
}

function numOr(v: unknown, fallback: number): number {
  const x = Array.isArray(v) ? v[0] : v;
  const n = typeof x === 'number' ? x : Number(x);
  return x != null && x !== '' && Number.isFinite(n) ? n : fallback;
}

/** Enhanced Contrast/Bolus module when the template says a contrast agent was given (gadolinium, intravenous). */
function contrastModule(h: NaturalDataset): NaturalDataset {
  if (!h.ContrastBolusAgent) return {};
  const item: NaturalDataset = {
    ...code('C-17800', 'SRT', 'Gadolinium'),
    ContrastBolusAgentNumber: 1,
    ContrastBolusAdministrationRouteSequence: [code('G-D101', 'SRT', 'Intravenous route')],
    ContrastBolusIngredientCodeSequence: [code('C-17800', 'SRT', 'Gadolinium')],
    ContrastBolusVolume: h.ContrastBolusVolume != null && h.ContrastBolusVolume !== '' ? numOr(h.ContrastBolusVolume, 0) : '',
    ContrastBolusIngredientConcentration: '',
  };
  return { ContrastBolusAgentSequence: [item] };
}

/** The naturalized Enhanced MR data set (without Pixel Data). Pure. */
export function enhancedDataset(
  volume: Volume,
  header: NaturalDataset,
  opts: SeriesWriterOptions,
  plan: StoredPlan,
  ts: string,
): { dataset: NaturalDataset; ids: SeriesIds } {
  const g = sliceGeometry(volume);
  const ids = seriesIds(header, opts.seed);
  const h = header;
  const contrast = typeof h.AcquisitionContrast === 'string' ? h.AcquisitionContrast : 'UNKNOWN';
  const tr = numOr(h.RepetitionTime, 0);
  const te = numOr(h.EchoTime, 0);
  const ti = h.InversionTime != null && h.InversionTime !== '' ? numOr(h.InversionTime, 0) : undefined;
  const flip = numOr(h.FlipAngle, 90);
  const etl = numOr(h.EchoTrainLength, 1);
  const gradient = /GR/.test(String(h.ScanningSequence ?? ''));
  const field = numOr(h.MagneticFieldStrength, 3);
  const imageType = ['ORIGINAL', 'PRIMARY', 'VOLUME', 'NONE'];
  const dimOrg = deterministicUid(opts.seed, ids.series, 'dimension-organization');
  const date = String(h.ContentDate ?? h.StudyDate ?? opts.defaultDate ?? '20000101');
  const time = String(h.ContentTime ?? h.StudyTime ?? '000000');
  const top: NaturalDataset = { ...commonDefaults(opts), ...h };
  for (const k of FLAT_ONLY_MR) delete top[k];
  const shared: NaturalDataset = {
    PixelMeasuresSequence: [
      { PixelSpacing: dsv(g.pixelSpacing), SliceThickness: ds(opts.sliceThickness ?? g.sliceSpacing), SpacingBetweenSlices: ds(g.sliceSpacing) },
    ],
    PlaneOrientationSequence: [{ ImageOrientationPatient: dsv([...g.rowCosine, ...g.columnCosine]) }],
    PixelValueTransformationSequence: [{ RescaleIntercept: plan.intercept, RescaleSlope: plan.slope, RescaleType: 'US' }],
    FrameAnatomySequence: [{ AnatomicRegionSequence: [code('12738006', 'SCT', 'Brain')], FrameLaterality: 'U' }],
    MRImageFrameTypeSequence: [
      {
        FrameType: imageType,
        PixelPresentation: 'MONOCHROME',
        VolumetricProperties: 'VOLUME',
        VolumeBasedCalculationTechnique: 'NONE',
        ComplexImageComponent: 'MAGNITUDE',
        AcquisitionContrast: contrast,
      },
    ],
    MRTimingAndRelatedParametersSequence: [
      {
        RepetitionTime: tr,
        FlipAngle: flip,
        EchoTrainLength: etl,
        RFEchoTrainLength: gradient ? 0 : etl,
        GradientEchoTrainLength: gradient ? etl : 0,
        SpecificAbsorptionRateSequence: [{ SpecificAbsorptionRateDefinition: 'IEC_HEAD', SpecificAbsorptionRateValue: 0.5 }],
        OperatingModeSequence: ['STATIC FIELD', 'RF', 'GRADIENT'].map((t) => ({ OperatingModeType: t, OperatingMode: 'IEC_NORMAL' })),
      },
    ],
    MRFOVGeometrySequence: [
      {
        InPlanePhaseEncodingDirection: String(h.InPlanePhaseEncodingDirection ?? 'ROW'),
        MRAcquisitionFrequencyEncodingSteps: volume.dims[0],
        MRAcquisitionPhaseEncodingStepsInPlane: volume.dims[1],
        PercentSampling: 100,
        PercentPhaseFieldOfView: 100,
      },
    ],
    MREchoSequence: [{ EffectiveEchoTime: te }],
    MRModifierSequence: [
      {
        InversionRecovery: ti != null ? 'YES' : 'NO',
        ...(ti != null ? { InversionTimes: [ti] } : {}),
        FlowCompensation: 'NONE',
        T2Preparation: 'NO',
        SpectrallySelectedExcitation: 'NONE',
        SpatialPresaturation: 'NONE',
        PartialFourier: 'NO',
        ParallelAcquisition: 'NO',
      },
    ],
    MRImagingModifierSequence: [
      {
        MagnetizationTransfer: 'NONE',
        BloodSignalNulling: 'NO',
        Tagging: 'NONE',
        TransmitterFrequency: numOr(h.ImagingFrequency, 42.577 * field),
        PixelBandwidth: numOr(h.PixelBandwidth, 200),
      },
    ],
    MRReceiveCoilSequence: [
      { ReceiveCoilName: String(h.ReceiveCoilName ?? 'HEAD'), ReceiveCoilManufacturerName: '', ReceiveCoilType: 'VOLUME', QuadratureReceiveCoil: 'NO' },
    ],
    MRTransmitCoilSequence: [{ TransmitCoilName: String(h.TransmitCoilName ?? 'BODY'), TransmitCoilManufacturerName: '', TransmitCoilType: 'BODY' }],
    MRAveragesSequence: [{ NumberOfAverages: numOr(h.NumberOfAverages, 1) }],
    ...(h.ContrastBolusAgent ? { ContrastBolusUsageSequence: [{ ContrastBolusAgentNumber: 1, ContrastBolusAgentAdministered: 'YES', ContrastBolusAgentDetected: '' }] } : {}),
  };
  const acqDateTime = String(h.AcquisitionDateTime ?? `${date}${time}`);
  const perFrame = g.positions.map((p, k) => ({
    FrameContentSequence: [
      {
        FrameReferenceDateTime: acqDateTime,
        FrameAcquisitionDateTime: acqDateTime,
        FrameAcquisitionDuration: 1,
        StackID: '1',
        InStackPositionNumber: k + 1,
        DimensionIndexValues: [1, k + 1],
      },
    ],
    PlanePositionSequence: [{ ImagePositionPatient: dsv(p) }],
  }));
  const dataset: NaturalDataset = {
    ...top,
    ...pixelModule(plan, volume, ts),
    SOPClassUID: SopClass.EnhancedMRImage,
    SOPInstanceUID: deterministicUid(opts.seed, ids.series, 'enhanced-instance'),
    StudyInstanceUID: ids.study,
    SeriesInstanceUID: ids.series,
    FrameOfReferenceUID: ids.frameOfReference,
    InstanceNumber: 1,
    ImageType: imageType,
    ContentDate: date,
    ContentTime: time,
    AcquisitionDateTime: acqDateTime,
    AcquisitionDuration: numOr(h.AcquisitionDuration, 0),
    AcquisitionNumber: numOr(h.AcquisitionNumber, 1),
    NumberOfFrames: volume.dims[2],
    PixelPresentation: 'MONOCHROME',
    VolumetricProperties: 'VOLUME',
    VolumeBasedCalculationTechnique: 'NONE',
    ComplexImageComponent: 'MAGNITUDE',
    AcquisitionContrast: contrast,
    ContentQualification: String(h.ContentQualification ?? 'RESEARCH'),
    ResonantNucleus: '1H',
    KSpaceFiltering: 'NONE',
    MagneticFieldStrength: field,
    ImageComments: h.ImageComments ?? undefined,
    BurnedInAnnotation: 'NO',
    ApplicableSafetyStandardAgency: 'IEC',
    LossyImageCompression: LOSSY_TRANSFER_SYNTAXES.has(ts) ? '01' : '00',
    PresentationLUTShape: 'IDENTITY',
    Manufacturer: String(h.Manufacturer || 'neuro-onc-node'),
    ManufacturerModelName: String(h.ManufacturerModelName || 'synthetic'),
    DeviceSerialNumber: String(h.DeviceSerialNumber || '0'),
    SoftwareVersions: h.SoftwareVersions || IMPLEMENTATION_VERSION_NAME,
    PulseSequenceName: String(h.PulseSequenceName ?? h.SequenceName ?? 'SE'),
    MRAcquisitionType: String(h.MRAcquisitionType ?? '3D'),
    EchoPulseSequence: gradient ? 'GRADIENT' : 'SPIN',
    // Type 1C: only for spin-echo (SPIN or BOTH) pulse sequences.
    ...(gradient ? {} : { MultipleSpinEcho: 'NO' }),
    MultiPlanarExcitation: 'NO',
    PhaseContrast: 'NO',
    TimeOfFlightContrast: 'NO',
    SteadyStatePulseSequence: 'NONE',
    EchoPlanarPulseSequence: 'NO',
    SaturationRecovery: 'NO',
    SpectrallySelectedSuppression: 'NONE',
    OversamplingPhase: 'NONE',
    GeometryOfKSpaceTraversal: 'RECTILINEAR',
    RectilinearPhaseEncodeReordering: 'LINEAR',
    SegmentedKSpaceTraversal: 'SINGLE',
    CoverageOfKSpace: 'FULL',
    NumberOfKSpaceTrajectories: 1,
    ...contrastModule(h),
    AcquisitionContextSequence: [],
    DimensionOrganizationSequence: [{ DimensionOrganizationUID: dimOrg }],
    DimensionOrganizationType: '3D',
    DimensionIndexSequence: [
      { DimensionOrganizationUID: dimOrg, DimensionIndexPointer: 0x00209056, FunctionalGroupPointer: 0x00209111, DimensionDescriptionLabel: 'Stack ID' },
      { DimensionOrganizationUID: dimOrg, DimensionIndexPointer: 0x00209057, FunctionalGroupPointer: 0x00209111, DimensionDescriptionLabel: 'In-Stack Position' },
    ],
    SharedFunctionalGroupsSequence: [shared],
    PerFrameFunctionalGroupsSequence: perFrame,
  };
  if (dataset.ImageComments === undefined) delete dataset.ImageComments;
  return { dataset, ids };
}

/** Part 10 bytes for a naturalized data set whose PixelData is already in the target syntax's form. */
export function encodeP10(dataset: NaturalDataset, ts: string): Buffer {
  const writeTs = ts === TransferSyntax.DeflatedExplicitVRLittleEndian ? TransferSyntax.ExplicitVRLittleEndian : ts;
  const metaFor = (syntax: string): ReturnType<typeof dcmjs.data.DicomMetaDictionary.denaturalizeDataset> =>
    dcmjs.data.DicomMetaDictionary.denaturalizeDataset({
      FileMetaInformationVersion: new Uint8Array([0, 1]).buffer,
      MediaStorageSOPClassUID: dataset.SOPClassUID,
      MediaStorageSOPInstanceUID: dataset.SOPInstanceUID,
      TransferSyntaxUID: syntax,
      ImplementationClassUID: IMPLEMENTATION_CLASS_UID,
      ImplementationVersionName: IMPLEMENTATION_VERSION_NAME,
    });
  const dict = new dcmjs.data.DicomDict(metaFor(writeTs));
  dict.dict = dcmjs.data.DicomMetaDictionary.denaturalizeDataset(dataset);
  const bytes = Buffer.from(dict.write({ allowInvalidVRLength: false, fragmentMultiframe: false }));
  if (ts !== TransferSyntax.DeflatedExplicitVRLittleEndian) return bytes;
  // Deflate everything after the File Meta Information group and rewrite the meta with the deflated syntax.
  const metaEnd = 144 + bytes.readUInt32LE(140);
  const metaOnly = new dcmjs.data.DicomDict(metaFor(ts));
  const head = Buffer.from(metaOnly.write({ allowInvalidVRLength: false }));
  return Buffer.concat([head, deflateRawSync(bytes.subarray(metaEnd))]);
}

/** PixelData value (and its VR) for frames of stored little-endian bytes in the target syntax. */
function pixelDataValue(frames: Uint8Array[], ts: string, fmt: PixelFormat, params: EncodeParams | undefined): { value: ArrayBuffer[]; vr: 'OB' | 'OW' } {
  const toAB = (u: Uint8Array): ArrayBuffer => u.buffer.slice(u.byteOffset, u.byteOffset + u.byteLength) as ArrayBuffer;
  if (isEncapsulatedSyntax(ts)) return { value: frames.map((f) => toAB(encodeFrameBytes(f, ts, fmt, params))), vr: 'OB' };
  const total = frames.reduce((s, f) => s + f.byteLength, 0);
  const all = new Uint8Array(total + (total % 2));
  let o = 0;
  for (const f of frames) {
    all.set(f, o);
    o += f.byteLength;
  }
  if (ts === TransferSyntax.ExplicitVRBigEndian && fmt.bitsAllocated === 16) {
    for (let i = 0; i + 1 < total; i += 2) {
      const t = all[i]!;
      all[i] = all[i + 1]!;
      all[i + 1] = t;
    }
  }
  return { value: [all.buffer], vr: fmt.bitsAllocated === 8 ? 'OB' : 'OW' };
}

/**
 * Writes the volume as a DICOM MR series. Async only because compressed syntaxes load the codec WebAssembly once.
 * The header template supplies patient/study/series attributes and MR acquisition parameters (EchoTime,
 * RepetitionTime, ...); geometry, pixel module, SOP class and UIDs are the writer's.
 */
export async function writeSeries(volume: Volume, header: NaturalDataset, opts: SeriesWriterOptions): Promise<WrittenSeries> {
  const ts = opts.transferSyntaxUid ?? TransferSyntax.ExplicitVRLittleEndian;
  if (!ENCODABLE_TRANSFER_SYNTAXES.includes(ts)) {
    throw new SeriesWriterError(`transfer syntax ${ts} cannot be written`, 'unsupported-transfer-syntax');
  }
  if (isEncapsulatedSyntax(ts)) await initPixelCodecs();
  const [nx, ny, nz] = volume.dims;
  if (volume.data.length !== nx * ny * nz) throw new SeriesWriterError(`volume data has ${volume.data.length} voxels, dims say ${nx * ny * nz}`, 'bad-options');
  const plan = planStoredPixels(volume.data, opts, ts);
  const fmt = pixelFormat(volume, plan);
  const format = opts.format ?? 'single-frame';
  const rescale = { slope: plan.slope, intercept: plan.intercept };
  if (format === 'enhanced') {
    const { dataset, ids } = enhancedDataset(volume, header, opts, plan, ts);
    const frames = Array.from({ length: nz }, (_, k) => sliceBytes(volume, k, plan));
    const px = pixelDataValue(frames, ts, fmt, opts.codec);
    const buffer = encodeP10({ ...dataset, PixelData: px.value, _vrMap: { PixelData: px.vr } }, ts);
    return {
      studyInstanceUid: ids.study,
      seriesInstanceUid: ids.series,
      frameOfReferenceUid: ids.frameOfReference,
      sopClassUid: SopClass.EnhancedMRImage,
      transferSyntaxUid: ts,
      rescale,
      instances: [{ sopInstanceUid: String(dataset.SOPInstanceUID), buffer }],
    };
  }
  const { datasets, ids } = singleFrameDatasets(volume, header, opts, plan, ts);
  const instances = datasets.map((d, k) => {
    const px = pixelDataValue([sliceBytes(volume, k, plan)], ts, fmt, opts.codec);
    return { sopInstanceUid: String(d.SOPInstanceUID), buffer: encodeP10({ ...d, PixelData: px.value, _vrMap: { PixelData: px.vr } }, ts) };
  });
  return {
    studyInstanceUid: ids.study,
    seriesInstanceUid: ids.series,
    frameOfReferenceUid: ids.frameOfReference,
    sopClassUid: SopClass.MRImage,
    transferSyntaxUid: ts,
    rescale,
    instances,
  };
}
