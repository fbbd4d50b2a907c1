/**
 * Findings: the contract between the AI engine (producer) and the encoders (SEG/SR/SC/PDF consumers).
 * Everything an SR needs to be the audit record lives here; encoders never re-run or re-derive science.
 */
import type { RegistrationReport } from '../registration/report';
import type { SeriesVolume, SliceSource, Vec3, Volume } from '../imaging/volume';
import type { Bidimensional } from './bidimensional';
import type { ModelRole } from '../series-id/roles';
import type { HeadKind } from './manifest';

/** A coded concept (CodeValue, CodingSchemeDesignator, CodeMeaning). */
export interface CodedConcept {
  value: string;
  scheme: string;
  meaning: string;
}

/** Segment label keys. NCR = necrotic/non-enhancing core, ED = oedema, ET = enhancing tumour, GTV = metastasis. */
export type SegmentKey = 'NCR' | 'ED' | 'ET' | 'GTV';
/** Reported regions: segments plus the composites TC = NCR+ET and WT = NCR+ED+ET. */
export type RegionKey = SegmentKey | 'TC' | 'WT';

export interface SegmentDefinition {
  /** Voxel value in the label map, 1..n, consecutive. */
  labelValue: number;
  key: SegmentKey;
  /** Human-readable label, e.g. "Enhancing tumour". */
  label: string;
  category: CodedConcept;
  type: CodedConcept;
  anatomicRegion?: CodedConcept;
  /** Recommended display colour as DICOM CIELab (0..65535 scaled). */
  recommendedDisplayCIELab?: [number, number, number];
}

export interface RegionMeasurement {
  key: RegionKey;
  /** Label values making up the region (WT = NCR, ED and ET values). */
  labelValues: number[];
  voxelCount: number;
  /** Volume in millilitres, on the grid the segmentation is reported on. */
  volumeMl: number;
  /** Mean voxel uncertainty inside the region, 0..1, when a map was computed. */
  meanUncertainty?: number;
}

export interface ClassProbability {
  name: string;
  /** Calibrated probability (temperature-scaled softmax, averaged over TTA passes). */
  probability: number;
  code?: CodedConcept;
}

export interface HeadResult {
  /** Head id from the model manifest: idh, codeletion_1p19q, grade, histology, egfr, ... */
  head: string;
  /** The manifest head's kind: what the head means. Encoders choose codes and wording by it, never by the id. */
  kind: HeadKind;
  /** Human-readable name, e.g. "IDH mutation status". */
  title: string;
  classes: ClassProbability[];
  /** Name of the most probable class, or 'indeterminate' when uncertainty is above the manifest threshold. */
  predicted: string;
  /** Probability of the most probable class. */
  confidence: number;
  uncertainty: {
    /** Predictive entropy of the mean probabilities, nats. */
    entropy: number;
    /** Entropy / ln(number of classes), 0..1. */
    normalisedEntropy: number;
    /** Mean variance of class probabilities across TTA passes (absent without TTA). */
    ttaVariance?: number;
    /** Mutual information between prediction and TTA pass, nats (epistemic part; absent without TTA). */
    mutualInformation?: number;
  };
  indeterminate: boolean;
  /** Temperature applied from the manifest. */
  temperature: number;
}

/** One reported time of a survival head: probability of surviving beyond `months`. */
export interface SurvivalTimePoint {
  months: number;
  /** Mean over TTA passes. */
  probability: number;
  /** Across TTA passes (absent without TTA). */
  std?: number;
  min?: number;
  max?: number;
}

/**
 * A survival head (manifest kind "survival"): population figures for patients like this one, never a prediction
 * for this patient; `statement` says so and every encoder shows it with the figures.
 */
export interface SurvivalFinding {
  head: string;
  title: string;
  /** reported; not-assessable (a required clinical input unknown); not-applicable (no tumour segmented). */
  status: 'reported' | 'not-assessable' | 'not-applicable';
  /** Why not reported. */
  reason?: string;
  timePoints: SurvivalTimePoint[];
  riskGroup?: { name: string; atMonths: number; survivalProbability: number };
  uncertainty?: { estimated: boolean; passes: number; method: string };
  /** Age fed to the model, in whole years (rounded down), and where it came from; no birth date is kept. */
  ageYears?: number;
  ageSource?: string;
  /** Roles the model was fed (a subset when sequences were missing). */
  modalitiesUsed: ModelRole[];
  outcomes: 'synthetic' | 'observed';
  statement: string;
  notes: string[];
}

/** WHO CNS5 (2021) layered diagnosis assembled from the heads, never beyond what they support. */
export interface LayeredDiagnosis {
  integrated: { label: string; code?: CodedConcept; probability: number; indeterminate: boolean };
  histology?: { label: string; code?: CodedConcept; probability: number };
  grade?: { label: string; code?: CodedConcept; probability: number };
  molecular: { name: string; status: string; probability: number; code?: CodedConcept }[];
  /** Probability of each diagnostic branch, e.g. GBM IDH-wt / astrocytoma IDH-mut / oligodendroglioma. */
  branches: { label: string; probability: number; code?: CodedConcept }[];
  /** Plain sentences explaining how the diagnosis follows from the heads. */
  reasoning: string[];
  references: string[];
}

/** Leave-one-modality-out re-inference: what removing a sequence changes. */
export interface ModalityImportance {
  role: ModelRole;
  /** Per head: absolute change of the predicted-class probability when this role is removed. */
  headDeltas: Record<string, number>;
  /** Dice of the segmentation without this role against the full-input segmentation (WT). */
  diceToFull?: number;
}

export interface RadiomicFeature {
  region: RegionKey;
  /** Sequence the intensity features were computed on; absent for shape features. */
  sequence?: ModelRole;
  family: 'shape' | 'firstorder' | 'vasari';
  name: string;
  value: number;
  unit?: string;
  /** IBSI feature identifier where one exists. */
  ibsiId?: string;
}

/** A series that was fed to the model. */
export interface InputSeries {
  role: ModelRole;
  seriesInstanceUid: string;
  seriesNumber?: number;
  seriesDescription?: string;
  sopClassUid: string;
  sopInstanceUids: string[];
  /** Image Library descriptors (SR TID 1602/1604), from the series' volume. */
  geometry?: InputGeometry;
}

export interface InputGeometry {
  rows: number;
  columns: number;
  /** As DICOM PixelSpacing: [row spacing (vertical), column spacing (horizontal)] in mm. */
  pixelSpacing: [number, number];
  /** SliceThickness as the header gives it. */
  sliceThickness?: number;
  /** Slice step along the normal, mm. */
  spacingBetweenSlices: number;
  imageOrientationPatient: [number, number, number, number, number, number];
  frameOfReferenceUid?: string;
  /** ImagePositionPatient per single-frame instance (a multi-frame instance has one per frame and is left out). */
  positions: Record<string, Vec3>;
}

/** The Image Library descriptors of an input series, from its volume. */
export function inputGeometry(v: SeriesVolume): InputGeometry {
  const frames = new Map<string, number>();
  for (const s of v.sources) frames.set(s.sopInstanceUid, (frames.get(s.sopInstanceUid) ?? 0) + 1);
  const positions: Record<string, Vec3> = {};
  for (const s of v.sources) if (frames.get(s.sopInstanceUid) === 1 && s.frameNumber == null) positions[s.sopInstanceUid] = [...s.imagePositionPatient];
  return {
    rows: v.dims[1],
    columns: v.dims[0],
    pixelSpacing: [v.spacing[1], v.spacing[0]],
    ...(v.sliceThickness != null ? { sliceThickness: v.sliceThickness } : {}),
    spacingBetweenSlices: Math.round(Math.abs(v.spacing[2]) * 1e6) / 1e6,
    imageOrientationPatient: v.imageOrientationPatient,
    ...(v.frameOfReferenceUid ? { frameOfReferenceUid: v.frameOfReferenceUid } : {}),
    positions,
  };
}

export interface ModelProvenance {
  name: string;
  version: string;
  /** sha256 of model.onnx. */
  sha256: string;
  /** From the manifest; ours say "research use only, trained on synthetic data". */
  intendedUse: string;
  trainingData: string;
  /** Execution provider that actually ran (cuda | cpu). */
  executionProvider: string;
}

export interface Findings {
  studyInstanceUid: string;
  model: ModelProvenance;
  inputs: InputSeries[];
  missingModalities: ModelRole[];
  /** The display series: the segmentation below is on its native grid (normally T1ce, else FLAIR). */
  referenceSeries: SeriesVolume;
  segmentation?: {
    /** Label map on referenceSeries' grid: 0 background, else a SegmentDefinition.labelValue. */
    labelmap: Volume<Uint8Array>;
    /** Voxel uncertainty in [0, 1] on the same grid. */
    uncertainty?: Volume<Float32Array>;
    segments: SegmentDefinition[];
  };
  /**
   * Set when the model ran but its segmentation is not reported for these inputs (manifest
   * missingModalities.segmentationRequires): no SEG, no volumes; the heads are still reported.
   */
  segmentationWithheld?: { missing: ModelRole[]; requires: ModelRole[][]; reason: string };
  regions: RegionMeasurement[];
  /**
   * Set when the segmentation is reported and holds no tumour voxel (a normal study, or nothing left after
   * resection). The classification heads describe a tumour, so their outputs are not reported (`heads` is empty,
   * no diagnosis, no head changes in the modality importance); the heads the model has are listed here as not
   * applicable.
   */
  noTumourDetected?: { headsNotApplicable: { head: string; kind: HeadKind; title: string }[] };
  /**
   * RANO-style bidimensional measurement of the enhancing tumour (else the whole tumour; GTV for metastases) on
   * the display series' slice where the product of the diameters is largest (src/ai/bidimensional.ts).
   */
  bidimensional?: Bidimensional & { region: RegionKey; source: SliceSource };
  heads: HeadResult[];
  /** Survival heads, reported or with the reason they are not. */
  survival?: SurvivalFinding[];
  diagnosis?: LayeredDiagnosis;
  /** Per-case uncertainty: one number a reader can act on, plus its parts. */
  uncertaintySummary: { level: 'low' | 'moderate' | 'high'; meanSegmentationUncertainty?: number; notes: string[] };
  modalityImportance?: ModalityImportance[];
  radiomics?: RadiomicFeature[];
  /** Wall-clock milliseconds per step (preprocess, forward, tta, postprocess, ...). */
  timings: Record<string, number>;
  /** How the input series were co-registered before the model grid (src/registration), for the SR's provenance. */
  registration?: RegistrationReport;
  warnings: string[];
  /** How the model's input space was made (template registration, brain extraction), when not plain resampling. */
  spatialPreprocessing?: string[];
}

/** True when a reported segmentation holds no tumour voxel at all. */
export function nothingSegmented(regions: readonly RegionMeasurement[]): boolean {
  return regions.every((r) => r.voxelCount === 0);
}
