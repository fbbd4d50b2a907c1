/**
 * `SeriesDescriptor`: everything series identification looks at, for one series. It is built from one representative
 * instance (the lowest InstanceNumber) plus series-level aggregates over all instances (counts of orientations,
 * positions, time points, echoes; ImageType union; acquisition time range).
 *
 * Every field except the UID is optional: the classifier treats "absent" as "unknown", never as a value. Tests and
 * callers that only know a description and a few parameters can build a descriptor directly.
 */

/** A point in time for ordering series within a study. Without a date only the time of day is known. */
export interface SeriesTimestamp {
  /** Seconds since 1970-01-01 (date known) or since midnight (date unknown). Only for ordering, no time zone. */
  seconds: number;
  hasDate: boolean;
}

export interface SeriesDescriptor {
  seriesInstanceUid: string;
  studyInstanceUid?: string;
  seriesNumber?: number;
  modality?: string;
  sopClassUid?: string;
  manufacturer?: string;
  manufacturerModelName?: string;
  softwareVersions?: string;
  /** Tesla. Old GE files store gauss (15000); `seriesDescriptorsFromDatasets` converts them. */
  magneticFieldStrength?: number;
  /** MHz; a fallback for the field strength (42.58 MHz/T for protons). */
  imagingFrequency?: number;

  seriesDescription?: string;
  protocolName?: string;
  /** (0018,0024) SequenceName, e.g. Siemens `*tfl3d1_16ns`, GE `fse`. */
  sequenceName?: string;
  /** (0018,9005) PulseSequenceName (Enhanced MR), e.g. Philips `T1TFE`. */
  pulseSequenceName?: string;
  /** (0018,0020) ScanningSequence values: SE, IR, GR, EP, RM. */
  scanningSequence?: string[];
  /** (0018,0021) SequenceVariant values: SK, SS, SP, MP, OSP, MTC, TRSS, NONE. */
  sequenceVariant?: string[];
  /** (0018,0022) ScanOptions values (GE adds T2FLAIR_GEMS, IR_GEMS, EPI_GEMS, ...). */
  scanOptions?: string[];
  /** 2D or 3D. */
  mrAcquisitionType?: string;
  /** Milliseconds. For Enhanced MR from the MR Timing / Echo / Modifier functional groups. */
  repetitionTime?: number;
  echoTime?: number;
  /** Milliseconds; absent when the tag is absent (old GE FLAIR) and 0 on Philips TFE. */
  inversionTime?: number;
  flipAngle?: number;
  /** (0008,9209) AcquisitionContrast (Enhanced MR): T1, T2, PROTON_DENSITY, FLUID_ATTENUATED, DIFFUSION, ... */
  acquisitionContrast?: string;
  /** Union of (0008,0008) ImageType values over the series, first instance's order first. */
  imageType?: string[];
  /** (0018,0010), raw: "NONE"/"no" are interpreted by the classifier, not here. */
  contrastBolusAgent?: string;
  /** (0018,1042) ContrastBolusStartTime (TM), with the series' date when known. */
  contrastBolusStart?: SeriesTimestamp;
  /** Largest diffusion b-value found: (0018,9087), GE (0043,xx39), Philips (2001,xx03). */
  diffusionBValue?: number;
  /** Vendor private tags the classifier uses. */
  gePulseSequenceName?: string;
  geInternalPulseSequenceName?: string;
  philipsScanningTechnique?: string;

  /** Number of instances (files) in the series. */
  numberOfInstances?: number;
  /** Number of images: sum of NumberOfFrames (1 per single-frame instance). */
  numberOfFrames?: number;
  /** Distinct ImageOrientationPatient values (rounded); > 1 means a multi-plane series (localizer). */
  distinctOrientations?: number;
  /** Distinct ImagePositionPatient values (rounded). */
  distinctPositions?: number;
  /** Time points: max of NumberOfTemporalPositions and distinct TemporalPositionIdentifier/Index. */
  temporalPositions?: number;
  /** Distinct EchoNumbers (or Enhanced effective echo times). */
  echoCount?: number;
  /** Thinnest SliceThickness in the series, mm. */
  minSliceThickness?: number;
  /** Earliest / latest AcquisitionDate+Time (falls back to ContentDate+Time). */
  acquisitionStart?: SeriesTimestamp;
  acquisitionEnd?: SeriesTimestamp;
  /** SeriesDate+SeriesTime. */
  seriesTime?: SeriesTimestamp;
}

/** Parses DICOM DA (YYYYMMDD) + TM (HHMMSS.FFFFFF, or old HH:MM:SS) into a timestamp for ordering. */
export function parseTimestamp(date: string | undefined, time: string | undefined): SeriesTimestamp | undefined {
  const t = (time ?? '').trim().replace(/:/g, '');
  const m = /^(\d{2})(\d{2})?(\d{2})?(\.\d+)?$/.exec(t);
  if (!m) return undefined;
  const secOfDay = Number(m[1]) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0) + Number(m[4] ?? 0);
  if (!Number.isFinite(secOfDay)) return undefined;
  const d = /^(\d{4})(\d{2})(\d{2})$/.exec((date ?? '').trim().replace(/[.-]/g, ''));
  if (!d) return { seconds: secOfDay, hasDate: false };
  const days = Date.UTC(Number(d[1]), Number(d[2]) - 1, Number(d[3])) / 1000;
  return { seconds: days + secOfDay, hasDate: true };
}
