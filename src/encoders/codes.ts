/**
 * Coded concepts the encoders write, in one place so that conformance/objects.md and the code cannot drift apart.
 * Standard codes come from DICOM PS3.16 (DCM, SCT, NCIt, UCUM, LN), listed in conformance/objects.md; concepts the
 * standard lacks (model probabilities, uncertainty, modality importance, narrative) use our private coding scheme
 * 99NEUROONC, declared in every SR's CodingSchemeIdentificationSequence.
 */
import { createHash } from 'node:crypto';
import type { CodedConcept, HeadResult } from '../ai/findings';
import type { HeadKind } from '../ai/manifest';
import type { ModelRole } from '../series-id/roles';
import { EncoderInputError } from './options';

export type { CodedConcept };

/** Private coding scheme designator ("99" prefix = private, PS3.3 8.1). */
export const PRIVATE_SCHEME = '99NEUROONC';

export const PRIVATE_SCHEME_IDENTIFICATION = {
  CodingSchemeDesignator: PRIVATE_SCHEME,
  CodingSchemeName: 'neuro-onc-node private concepts',
  CodingSchemeVersion: '1',
  CodingSchemeResponsibleOrganization: 'neuro-onc-node project (open source)',
};

/** Schemes other than the ones DICOM defines that we may use; declared so receivers can resolve them. */
export const EXTRA_SCHEME_IDENTIFICATION: Record<string, Record<string, string>> = {
  IBSI: {
    CodingSchemeDesignator: 'IBSI',
    CodingSchemeName: 'Image Biomarker Standardisation Initiative',
    CodingSchemeResponsibleOrganization: 'IBSI',
  },
};

export function c(value: string, scheme: string, meaning: string): CodedConcept {
  return { value, scheme, meaning };
}

export const DCM = {
  imagingMeasurementReport: c('126000', 'DCM', 'Imaging Measurement Report'),
  language: c('121049', 'DCM', 'Language of Content Item and Descendants'),
  observerType: c('121005', 'DCM', 'Observer Type'),
  device: c('121007', 'DCM', 'Device'),
  deviceObserverUid: c('121012', 'DCM', 'Device Observer UID'),
  /** TID 1007 Subject Context, Patient: the age fed to a survival head. */
  subjectAge: c('121033', 'DCM', 'Subject Age'),
  deviceObserverName: c('121013', 'DCM', 'Device Observer Name'),
  deviceObserverManufacturer: c('121014', 'DCM', 'Device Observer Manufacturer'),
  deviceObserverModelName: c('121015', 'DCM', 'Device Observer Model Name'),
  deviceObserverSerialNumber: c('121016', 'DCM', 'Device Observer Serial Number'),
  procedureReported: c('121058', 'DCM', 'Procedure reported'),
  imageLibrary: c('111028', 'DCM', 'Image Library'),
  imageLibraryGroup: c('126200', 'DCM', 'Image Library Group'),
  imagingMeasurements: c('126010', 'DCM', 'Imaging Measurements'),
  measurementGroup: c('125007', 'DCM', 'Measurement Group'),
  trackingIdentifier: c('112039', 'DCM', 'Tracking Identifier'),
  trackingUniqueIdentifier: c('112040', 'DCM', 'Tracking Unique Identifier'),
  finding: c('121071', 'DCM', 'Finding'),
  referencedSegment: c('121191', 'DCM', 'Referenced Segment'),
  sourceSeriesForSegmentation: c('121232', 'DCM', 'Source series for segmentation'),
  algorithmName: c('111001', 'DCM', 'Algorithm Name'),
  algorithmVersion: c('111003', 'DCM', 'Algorithm Version'),
  algorithmParameters: c('111002', 'DCM', 'Algorithm Parameters'),
  sumOfSegmentedVoxels: c('126030', 'DCM', 'Sum of segmented voxel method for volume'),
  sourceImageForProcessing: c('121322', 'DCM', 'Source image for image processing operation'),
  segmentation: c('113076', 'DCM', 'Segmentation'),
  artificialIntelligence: c('123110', 'DCM', 'Artificial Intelligence'),
  certaintyOfImpression: c('111013', 'DCM', 'Certainty of Impression'),
  modality: c('121139', 'DCM', 'Modality'),
  magneticResonance: c('MR', 'DCM', 'Magnetic Resonance'),
  seriesInstanceUid: c('112002', 'DCM', 'Series Instance UID'),
  comment: c('121106', 'DCM', 'Comment'),
  derivedImagingMeasurements: c('126011', 'DCM', 'Derived Imaging Measurements'),
  probability: c('122157', 'DCM', 'Probability'),
  /** CID 42 Numeric Value Qualifier: the NUM has no value because the inputs cannot support it. */
  measurementNotAttempted: c('114007', 'DCM', 'Measurement not attempted'),
  // Image Library entry descriptors (TID 1602, 1604).
  studyDate: c('111060', 'DCM', 'Study Date'),
  studyTime: c('111061', 'DCM', 'Study Time'),
  frameOfReferenceUid: c('112227', 'DCM', 'Frame of Reference UID'),
  pixelDataRows: c('110910', 'DCM', 'Pixel Data Rows'),
  pixelDataColumns: c('110911', 'DCM', 'Pixel Data Columns'),
  horizontalPixelSpacing: c('111026', 'DCM', 'Horizontal Pixel Spacing'),
  verticalPixelSpacing: c('111066', 'DCM', 'Vertical Pixel Spacing'),
  spacingBetweenSlices: c('112226', 'DCM', 'Spacing between slices'),
  sliceThickness: c('112225', 'DCM', 'Slice Thickness'),
  imagePosition: [c('110901', 'DCM', 'Image Position (Patient) X'), c('110902', 'DCM', 'Image Position (Patient) Y'), c('110903', 'DCM', 'Image Position (Patient) Z')],
  imageOrientation: [
    c('110904', 'DCM', 'Image Orientation (Patient) Row X'),
    c('110905', 'DCM', 'Image Orientation (Patient) Row Y'),
    c('110906', 'DCM', 'Image Orientation (Patient) Row Z'),
    c('110907', 'DCM', 'Image Orientation (Patient) Column X'),
    c('110908', 'DCM', 'Image Orientation (Patient) Column Y'),
    c('110909', 'DCM', 'Image Orientation (Patient) Column Z'),
  ],
} as const;

export const SCT = {
  findingCategory: c('276214006', 'SCT', 'Finding category'),
  morphologicallyAbnormalStructure: c('49755003', 'SCT', 'Morphologically Abnormal Structure'),
  findingSite: c('363698007', 'SCT', 'Finding Site'),
  brain: c('12738006', 'SCT', 'Brain'),
  volume: c('118565006', 'SCT', 'Volume'),
  measurementMethod: c('370129005', 'SCT', 'Measurement Method'),
  associatedMorphology: c('116677004', 'SCT', 'Associated morphology'),
  necrosis: c('6574001', 'SCT', 'Necrosis'),
  edema: c('79654002', 'SCT', 'Edema'),
  neoplasm: c('108369006', 'SCT', 'Neoplasm'),
  lesion: c('52988006', 'SCT', 'Lesion'),
  longAxis: c('103339001', 'SCT', 'Long axis'),
  shortAxis: c('103340004', 'SCT', 'Short axis'),
  yes: c('373066001', 'SCT', 'Yes'),
  no: c('373067005', 'SCT', 'No'),
  notDetected: c('260415000', 'SCT', 'Not detected'),
  notApplicable: c('385432009', 'SCT', 'Not applicable'),
} as const;

export const NCIT = {
  enhancingLesion: c('C113842', 'NCIt', 'Enhancing Lesion'),
  nonEnhancingLesion: c('C81175', 'NCIt', 'Non-Enhancing Lesion'),
} as const;

export const UCUM = {
  cubicCentimeter: c('cm3', 'UCUM', 'cubic centimeter'),
  noUnits: c('1', 'UCUM', 'no units'),
  percent: c('%', 'UCUM', '%'),
  millimeter: c('mm', 'UCUM', 'millimeter'),
  squareMillimeter: c('mm2', 'UCUM', 'square millimeter'),
  cubicMillimeter: c('mm3', 'UCUM', 'cubic millimeter'),
  perMillimeter: c('/mm', 'UCUM', 'per millimeter'),
  bit: c('bit', 'UCUM', 'bit'),
  pixels: c('{pixels}', 'UCUM', 'pixels'),
  directionCosine: c('{-1:1}', 'UCUM', '{-1:1}'),
  year: c('a', 'UCUM', 'year'),
} as const;

export const MISC = {
  englishUS: c('en-US', 'RFC5646', 'English (United States)'),
  mrBrain: c('24590-2', 'LN', 'MR Brain'),
  /** Document title of the PDF report (CID 7020). */
  diagnosticImagingReport: c('18748-4', 'LN', 'Diagnostic Imaging Report'),
  qualitativeEvaluations: c('C0034375', 'UMLS', 'Qualitative Evaluations'),
} as const;

function p(value: string, meaning: string): CodedConcept {
  return c(value, PRIVATE_SCHEME, meaning);
}

/** Fixed private concepts (conformance/objects.md lists every one). */
export const PRIV = {
  integratedDiagnosis: p('INTDX', 'Integrated diagnosis, WHO CNS5 (model prediction)'),
  gradeLayer: p('CNSGRADE', 'CNS WHO grade (model prediction)'),
  idhStatus: p('IDHSTAT', 'IDH mutation status (model prediction)'),
  codeletionStatus: p('1P19QSTAT', '1p/19q codeletion status (model prediction)'),
  indeterminate: p('INDET', 'Indeterminate (uncertainty above threshold)'),
  normalisedEntropy: p('NENTROPY', 'Normalised predictive entropy'),
  ttaVariance: p('TTAVAR', 'Class probability variance across test-time augmentation'),
  meanVoxelUncertainty: p('MEANUNC', 'Mean voxel uncertainty in region'),
  uncertaintyLevel: p('UNCLEVEL', 'Overall uncertainty of the analysis'),
  uncertaintyNote: p('UNCNOTE', 'Uncertainty note'),
  missingSequence: p('MISSMOD', 'Missing input sequence'),
  inputRole: p('INROLE', 'Role of series as model input'),
  narrativeClinician: p('NARRDR', 'Narrative report for clinicians'),
  narrativePatient: p('NARRPT', 'Plain-language summary for patients'),
  intendedUse: p('INTUSE', 'Intended use of the model'),
  trainingData: p('TRAINDATA', 'Model training data'),
  reasoning: p('DXREASON', 'Diagnostic reasoning step (model-based)'),
  warning: p('WARNING', 'Processing warning'),
  supersedes: p('SUPERSEDES', 'Supersedes earlier result'),
  calibratedSoftmax: p('CALSOFTMAX', 'Temperature-scaled softmax, mean over TTA passes'),
  meanOfUncertaintyMap: p('MEANUMAP', 'Mean of voxel-wise uncertainty map'),
  radiomicsMethod: p('RADIOMICS', 'Radiomic feature on the model input grid (resampled)'),
  vasariMethod: p('VASARI', 'VASARI-style feature on the model input grid (resampled)'),
  measuredRegion: p('REGION', 'Measured region'),
  notAssessable: p('NOTASSESS', 'Region not assessable from the inputs'),
  importanceDelta: p('MIDELTA', 'Probability change without sequence'),
  importanceDice: p('MIDICE', 'Whole tumour Dice without sequence'),
  removedSequence: p('MIREMOVED', 'Removed input sequence'),
  classificationTask: p('TASK', 'Classification task'),
  intensitySequence: p('INTSEQ', 'Sequence used for intensity features'),
  leaveOneOut: p('LOO', 'Leave-one-modality-out re-inference'),
  uncertaintyLow: p('UNC-LOW', 'Low uncertainty'),
  uncertaintyModerate: p('UNC-MODERATE', 'Moderate uncertainty'),
  uncertaintyHigh: p('UNC-HIGH', 'High uncertainty'),
  bidimensionalProduct: p('RANOPROD', 'Product of perpendicular diameters'),
  bidimensionalMethod: p('RANOBIDIM', 'Longest diameter and its perpendicular on the max-product slice'),
  measurableDisease: p('RANOMEAS', 'Measurable (both diameters at least 10 mm, RANO)'),
  survivalEstimate: p('SURVIVAL', 'Overall survival estimate (population statistics)'),
  survivalStatement: p('SURVSTMT', 'Statement on the survival figures'),
  outcomeData: p('OUTCOMES', 'Outcome data the model was trained on'),
  syntheticOutcomes: p('OUTC-SYNTH', 'Synthetic outcomes drawn from published population statistics'),
  observedOutcomes: p('OUTC-OBS', 'Observed patient outcomes'),
  survivalNotAssessable: p('SURV-NOTASSESS', 'Survival not assessable from the available data'),
  survivalReason: p('SURVREASON', 'Reason the survival estimate is not reported'),
  riskGroup: p('RISKGROUP', 'Survival risk group (population statistics)'),
  riskGroupBasis: p('RISKBASIS', 'Basis of the survival risk group'),
  survivalUncertainty: p('SURVUNC', 'Uncertainty of the survival estimate'),
  survivalInputs: p('SURVINPUTS', 'Sequences used for the survival estimate'),
  survivalNote: p('SURVNOTE', 'Survival estimate note'),
} as const;

/** Survival probability at a time point: mean over TTA passes, or one of its spread statistics. */
export function survivalProbabilityCode(months: number, stat: 'mean' | 'sd' | 'min' | 'max'): CodedConcept {
  const what = { mean: '', sd: ', TTA standard deviation', min: ', TTA minimum', max: ', TTA maximum' }[stat];
  return p(`SURV${months}M${stat === 'mean' ? '' : `-${stat.toUpperCase()}`}`, `Survival probability at ${months} months${what}`);
}

/** A survival risk group name as a coded value (private, derived from the name). */
export function riskGroupCode(name: string): CodedConcept {
  return derivedPrivateCode('RISK', name, `${name} risk (population statistics)`);
}

export const ROLE_CODES: Record<ModelRole, CodedConcept> = {
  t1: p('SEQ-T1', 'T1-weighted'),
  t1ce: p('SEQ-T1CE', 'T1-weighted post-contrast'),
  t2: p('SEQ-T2', 'T2-weighted'),
  flair: p('SEQ-FLAIR', 'T2-weighted FLAIR'),
};

export { ROLE_NAMES } from '../series-id/roles';

const MAX_CODE_VALUE = 16;
const MAX_MEANING = 64;

function sanitiseKey(s: string): string {
  return s.toUpperCase().replace(/[^A-Z0-9]+/g, '-').replace(/^-|-$/g, '');
}


/**
 * A private concept derived from a name (head id, class name, feature name): readable when it fits the 16-character
 * CodeValue (SH), otherwise prefix + a hash of the name. Same name, same code, in every report.
 */
export function derivedPrivateCode(prefix: string, key: string, meaning: string): CodedConcept {
  let value = `${prefix}-${sanitiseKey(key)}`;
  if (value.length > MAX_CODE_VALUE || value.endsWith('-')) {
    const room = MAX_CODE_VALUE - prefix.length - 1;
    value = `${prefix}-${createHash('sha256').update(key).digest('hex').slice(0, room).toUpperCase()}`;
  }
  return p(value, meaning);
}

/** A CodeMeaning as written: backslashes and line breaks (not allowed in LO) become spaces; never shortened. */
export function checkedMeaning(meaning: string): string {
  const m = meaning.replace(/[\\\r\n]/g, ' ').trim();
  if (m.length > MAX_MEANING) throw new EncoderInputError(`code meaning longer than ${MAX_MEANING} characters (never cut): "${m}"`, 'bad-code');
  return m;
}

/**
 * A Code Sequence item (CodeValue, or LongCodeValue when longer than 16 characters, PS3.3 8.8). Throws
 * EncoderInputError ('bad-code') rather than cut a meaning.
 */
export function codeItem(code: CodedConcept): Record<string, string> {
  const item: Record<string, string> =
    code.value.length > MAX_CODE_VALUE ? { LongCodeValue: code.value } : { CodeValue: code.value };
  item.CodingSchemeDesignator = code.scheme;
  item.CodeMeaning = checkedMeaning(code.meaning);
  return item;
}

/**
 * Class codes by head kind. Standard codes only where a public table gives them: SCT histology, NCIt WHO CNS grades.
 * IDH and 1p/19q status have no standard code we could verify, so they stay private (conformance/objects.md says so).
 */
const KNOWN_CLASS_CODES: Partial<Record<HeadKind, Record<string, CodedConcept>>> = {
  idh: {
    wildtype: p('IDH-WT', 'IDH-wildtype'),
    mutant: p('IDH-MUT', 'IDH-mutant'),
  },
  codeletion_1p19q: {
    intact: p('1P19Q-INTACT', '1p/19q intact (non-codeleted)'),
    'non-codeleted': p('1P19Q-INTACT', '1p/19q intact (non-codeleted)'),
    codeleted: p('1P19Q-CODEL', '1p/19q codeleted'),
  },
  histology: {
    glioblastoma: c('1163375002', 'SCT', 'Glioblastoma'),
    astrocytoma: c('254938000', 'SCT', 'Astrocytoma'),
  },
  who_grade: {
    '1': c('C62394', 'NCIt', 'WHO CNS Grade 1'),
    '2': c('C62395', 'NCIt', 'WHO CNS Grade 2'),
    '3': c('C62396', 'NCIt', 'WHO CNS Grade 3'),
    '4': c('C62397', 'NCIt', 'WHO CNS Grade 4'),
  },
};

/** Diagnosis branches without a standard code whose label is longer than a CodeMeaning: a fixed short meaning. */
const DIAGNOSIS_PRIVATE: Record<string, CodedConcept> = {
  'Diffuse astrocytic glioma, IDH-wildtype, without grade 4 imaging features (NEC)': p('DX-IDHWT-NEC', 'Diffuse astrocytic glioma, IDH-wildtype, NEC'),
  'Diffuse astrocytic glioma, IDH-wildtype (grade not assessed, NOS)': p('DX-IDHWT-NOS', 'Diffuse astrocytic glioma, IDH-wildtype, grade not assessed'),
};

/** The coded value of a diagnosis branch or layer: its standard code, else a private one (fixed or derived). */
export function diagnosisCode(label: string, given?: CodedConcept): CodedConcept {
  return given ?? DIAGNOSIS_PRIVATE[label] ?? derivedPrivateCode('DX', label, label);
}

/** What the encoders need to know about a head: its id (for derived codes), its kind (for meaning) and its title. */
export type HeadRef = Pick<HeadResult, 'head' | 'kind' | 'title'>;

/** The concept name for a classification head's qualitative evaluation, chosen by the head's kind. */
export function headConcept(h: HeadRef): CodedConcept {
  switch (h.kind) {
    case 'idh':
      return PRIV.idhStatus;
    case 'codeletion_1p19q':
      return PRIV.codeletionStatus;
    case 'who_grade':
    case 'lgg_hgg':
      return PRIV.gradeLayer;
    case 'histology':
      return SCT.associatedMorphology;
    default:
      return derivedPrivateCode('H', h.head, `${h.title} (model prediction)`);
  }
}

/** The head kind behind a molecular layer of the layered diagnosis (ai/diagnosis.ts names them 'IDH' and '1p/19q'). */
export function molecularKind(name: string): HeadKind | undefined {
  const n = name.toLowerCase();
  return n === 'idh' ? 'idh' : n === '1p/19q' ? 'codeletion_1p19q' : undefined;
}

/** The concept of a molecular layer of the layered diagnosis, the same one its head uses. */
export function molecularConcept(name: string): CodedConcept {
  const kind = molecularKind(name);
  return kind ? headConcept({ head: kind, kind, title: name }) : derivedPrivateCode('M', name, `${name} status (model prediction)`);
}

/**
 * The coded value for a class of a head: the manifest's code, a known standard code for the head's kind, or a derived
 * private code whose meaning names the head when it fits ("mutant (EGFR mutation status)"), so that two heads'
 * "mutant" stay two meanings.
 */
export function classValueCode(h: Pick<HeadResult, 'head' | 'kind'> & { title?: string }, className: string, given?: CodedConcept): CodedConcept {
  if (given) return given;
  if (className.toLowerCase() === 'indeterminate') return PRIV.indeterminate;
  const known = KNOWN_CLASS_CODES[h.kind]?.[className.toLowerCase()];
  if (known) return known;
  const named = h.title ? `${className} (${h.title})` : className;
  return derivedPrivateCode('V', `${h.head}:${className}`, named.length <= MAX_MEANING ? named : className);
}

/**
 * CodeMeanings of the IBSI feature identifiers we emit: as DICOM PS3.16 lists them (IBSI coding scheme, morphology
 * and intensity-histogram features); the intensity statistics that PS3.16 does not list take their IBSI reference
 * manual names.
 */
export const IBSI_MEANINGS: Record<string, string> = {
  RNU0: 'Volume of Mesh',
  YEKZ: 'Volume from Voxel Summation',
  C0JK: 'Surface Area of Mesh',
  '2PR5': 'Surface to Volume Ratio',
  SKGS: 'Compactness 1',
  BQWJ: 'Compactness 2',
  KRCK: 'Spherical Disproportion',
  QCFX: 'Sphericity',
  '25C7': 'Asphericity',
  KLMA: 'Centre of Mass Shift',
  L0JK: 'Maximum 3D Diameter of a Mesh',
  TDIC: 'Major Axis in 3D Length',
  P9VJ: 'Minor Axis in 3D Length',
  '7J51': 'Least Axis in 3D Length',
  Q3CK: 'Elongation',
  N17B: 'Flatness',
  PBX1: 'Volume Density in Frame of Reference Axis Aligned Bounding Box',
  R59B: 'Area Density in Frame of Reference Axis Aligned Bounding Box',
  TLU2: 'Intensity Histogram Entropy',
  BJ5W: 'Intensity Histogram Uniformity',
  // Not in PS3.16: IBSI reference manual (statistical features).
  Q4LE: 'Mean',
  ECT3: 'Variance',
  KE2A: 'Skewness',
  IPH6: 'Excess kurtosis',
  Y12H: 'Median',
  '1GSF': 'Minimum',
  QG58: '10th percentile',
  '8DWT': '90th percentile',
  '84IY': 'Maximum',
  SALO: 'Interquartile range',
  '2OJQ': 'Range',
  '4FUA': 'Mean absolute deviation',
  '1128': 'Robust mean absolute deviation',
  N72L: 'Median absolute deviation',
  '7TET': 'Coefficient of variation',
  '9S40': 'Quartile coefficient of dispersion',
  N8CA: 'Energy',
  '5ZWQ': 'Root mean square',
};

/** IBSI identifiers that PS3.16 lists (the others are IBSI codes DICOM does not enumerate). */
export const IBSI_IN_PS316 = new Set(['RNU0', 'YEKZ', 'C0JK', '2PR5', 'SKGS', 'BQWJ', 'KRCK', 'QCFX', '25C7', 'KLMA', 'L0JK', 'TDIC', 'P9VJ', '7J51', 'Q3CK', 'N17B', 'PBX1', 'R59B', 'TLU2', 'BJ5W']);

/** A feature unit string as written by the engine -> a valid UCUM unit, plus what the unit string said beyond it. */
export function ucumFor(unit: string | undefined): { unit: CodedConcept; note?: string } {
  switch (unit) {
    case undefined:
    case '':
    case '1':
      return { unit: UCUM.noUnits };
    case 'mm':
      return { unit: UCUM.millimeter };
    case 'mm2':
      return { unit: UCUM.squareMillimeter };
    case 'mm3':
      return { unit: UCUM.cubicMillimeter };
    case 'mL':
    case 'ml':
    case 'cm3':
      return { unit: UCUM.cubicCentimeter };
    case '/mm':
      return { unit: UCUM.perMillimeter };
    case 'bit':
    case 'bits':
      return { unit: UCUM.bit };
    case '%':
      return { unit: UCUM.percent };
    case 'mm (+ = left)':
      return { unit: UCUM.millimeter, note: '+ = left' };
    case 'normalised units':
      return { unit: UCUM.noUnits, note: 'normalised intensity' };
    default:
      // "fraction of TC" and the like: a dimensionless ratio; the denominator goes into the concept's meaning.
      return { unit: UCUM.noUnits, note: unit };
  }
}
