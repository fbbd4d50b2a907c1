/**
 * The TID 1500 "Imaging Measurement Report" content tree (PS3.16), laid out as research/seg_sr.md §2.2 validated:
 *
 *   CONTAINER (126000, DCM) root, template DCMR/1500
 *    + language, device observer (TID 1001/1004), procedure reported
 *    + Image Library (TID 1600): one group per input series with its role, IMAGE items for its instances
 *    + Imaging Measurements (126010)
 *        - one TID 1411 Volumetric ROI group per region (NCR, ED, ET, TC, WT ...): tracking id + UID, finding,
 *          finding site, Referenced Segment -> our SEG, source series, algorithm (TID 4019), Volume (cm3), mean
 *          voxel uncertainty, radiomic features; the tumour group (WT, else TC/GTV) also carries the classification
 *          heads (CODE + probability NUMs) and diagnosis probabilities
 *        - without a SEG, a TID 1501 group carries the classification instead
 *        - a TID 1501 group for modality importance (leave-one-modality-out)
 *    + Qualitative Evaluations (C0034375, CODE/TEXT only): layered diagnosis, uncertainty level, missing sequences,
 *      warnings, intended use, narrative texts
 */
import type { Findings, HeadResult, InputGeometry, InputSeries, RadiomicFeature, RegionKey, RegionMeasurement } from '../../ai/findings';
import type { StudyHeader } from '../../dicom/study-header';
import { SopClass } from '../../dicom/constants';
import {
  classProbabilityConcept,
  classValueCode,
  DCM,
  derivedPrivateCode,
  headConcept,
  MISC,
  PRIV,
  ROLE_CODES,
  SCT,
  UCUM,
  type CodedConcept,
} from '../codes';
import { EncoderInputError, RESEARCH_USE_STATEMENT, type EncoderOptions, type Narrative } from '../options';
import { regionText, type SegmentSpec } from '../seg/segment-catalog';
import type { OutputUids } from '../uid-scheme';
import {
  codeContent,
  container,
  dateContent,
  imageContent,
  numContent,
  roundTo,
  scoordContent,
  textContent,
  timeContent,
  uidrefContent,
  type ContentItem,
  type ImageRef,
} from './content-items';
import type { Diameter } from '../../ai/bidimensional';

export interface SegReference {
  sopInstanceUid: string;
  segments: SegmentSpec[];
}

export interface ReportContext {
  findings: Findings;
  options: EncoderOptions;
  uids: OutputUids;
  seg?: SegReference;
  narrative: Narrative;
  /** Source study (Image Library study date/time). */
  header?: StudyHeader;
}

const GROUP_ORDER: RegionKey[] = ['NCR', 'ED', 'ET', 'GTV', 'TC', 'WT'];

function observerContext(ctx: ReportContext): ContentItem[] {
  const node = ctx.options.node;
  return [
    codeContent('HAS OBS CONTEXT', DCM.observerType, DCM.device),
    uidrefContent('HAS OBS CONTEXT', DCM.deviceObserverUid, ctx.uids.deviceObserver),
    textContent('HAS OBS CONTEXT', DCM.deviceObserverName, node.name),
    textContent('HAS OBS CONTEXT', DCM.deviceObserverManufacturer, node.manufacturer ?? 'neuro-onc-node project'),
    textContent('HAS OBS CONTEXT', DCM.deviceObserverModelName, `${ctx.findings.model.name} ${ctx.findings.model.version}`),
    textContent('HAS OBS CONTEXT', DCM.deviceObserverSerialNumber, node.deviceSerialNumber ?? node.name),
  ];
}

/** TID 1602/1604 descriptors shared by a series' images, on the Image Library Group. */
function seriesDescriptors(g: InputGeometry | undefined, header: StudyHeader | undefined): ContentItem[] {
  const out: ContentItem[] = [];
  const mm = (concept: CodedConcept, v: number): ContentItem => numContent('HAS ACQ CONTEXT', concept, roundTo(v, 6), UCUM.millimeter);
  if (header?.StudyDate) out.push(dateContent('HAS ACQ CONTEXT', DCM.studyDate, header.StudyDate));
  if (header?.StudyTime) out.push(timeContent('HAS ACQ CONTEXT', DCM.studyTime, header.StudyTime));
  if (!g) return out;
  if (g.frameOfReferenceUid) out.push(uidrefContent('HAS ACQ CONTEXT', DCM.frameOfReferenceUid, g.frameOfReferenceUid));
  out.push(
    numContent('HAS ACQ CONTEXT', DCM.pixelDataRows, g.rows, UCUM.pixels),
    numContent('HAS ACQ CONTEXT', DCM.pixelDataColumns, g.columns, UCUM.pixels),
    mm(DCM.horizontalPixelSpacing, g.pixelSpacing[1]),
    mm(DCM.verticalPixelSpacing, g.pixelSpacing[0]),
    mm(DCM.spacingBetweenSlices, g.spacingBetweenSlices),
    ...(g.sliceThickness != null ? [mm(DCM.sliceThickness, g.sliceThickness)] : []),
    ...g.imageOrientationPatient.map((v, i) => numContent('HAS ACQ CONTEXT', DCM.imageOrientation[i]!, roundTo(v, 6), UCUM.directionCosine)),
  );
  return out;
}

/** Image Library entry (TID 1601) with its position (TID 1604) when the instance is a single slice. */
function libraryEntry(s: InputSeries, uid: string): ContentItem {
  const p = s.geometry?.positions[uid];
  const entry = imageContent('CONTAINS', undefined, { sopClassUid: s.sopClassUid, sopInstanceUid: uid });
  if (p) entry.ContentSequence = p.map((v, i) => numContent('HAS ACQ CONTEXT', DCM.imagePosition[i]!, roundTo(v, 6), UCUM.millimeter));
  return entry;
}

function imageLibrary(f: Findings, header?: StudyHeader): ContentItem {
  const groups = f.inputs.map((s) =>
    container('CONTAINS', DCM.imageLibraryGroup, [
      codeContent('HAS ACQ CONTEXT', DCM.modality, DCM.magneticResonance),
      uidrefContent('HAS ACQ CONTEXT', DCM.seriesInstanceUid, s.seriesInstanceUid),
      codeContent('HAS ACQ CONTEXT', PRIV.inputRole, ROLE_CODES[s.role]),
      ...seriesDescriptors(s.geometry, header),
      ...s.sopInstanceUids.map((uid) => libraryEntry(s, uid)),
    ]),
  );
  return container('CONTAINS', DCM.imageLibrary, groups, '1600');
}

function algorithmIdentification(f: Findings, ctx: ReportContext): ContentItem[] {
  const m = f.model;
  return [
    textContent('HAS CONCEPT MOD', DCM.algorithmName, m.name),
    textContent('HAS CONCEPT MOD', DCM.algorithmVersion, m.version),
    textContent(
      'HAS CONCEPT MOD',
      DCM.algorithmParameters,
      `model.onnx sha256=${m.sha256}; execution provider=${m.executionProvider}; node=${ctx.options.node.name} ${ctx.options.node.version}`,
    ),
  ];
}

function trackingItems(label: string, uid: string): ContentItem[] {
  return [
    textContent('HAS OBS CONTEXT', DCM.trackingIdentifier, label),
    uidrefContent('HAS OBS CONTEXT', DCM.trackingUniqueIdentifier, uid),
  ];
}

/** Probability NUMs carry a child naming how they were computed (old OHIF crashed on NUMs without children). */
function probabilityNum(concept: CodedConcept, p: number, task: CodedConcept): ContentItem {
  return numContent('CONTAINS', concept, roundTo(p, 4), UCUM.noUnits, [
    codeContent('HAS CONCEPT MOD', SCT.measurementMethod, PRIV.calibratedSoftmax),
    codeContent('HAS CONCEPT MOD', PRIV.classificationTask, task),
  ]);
}

export function headItems(h: HeadResult): ContentItem[] {
  const task = headConcept(h.head, h.title);
  const predictedClass = h.classes.find((c) => c.name === h.predicted);
  const value = h.indeterminate ? PRIV.indeterminate : classValueCode(h.head, h.predicted, predictedClass?.code);
  const items: ContentItem[] = [
    codeContent('CONTAINS', task, value),
    numContent('CONTAINS', DCM.certaintyOfImpression, roundTo(h.confidence * 100, 2), UCUM.percent, [
      codeContent('HAS CONCEPT MOD', PRIV.classificationTask, task),
    ]),
    ...h.classes.map((cl) => probabilityNum(classProbabilityConcept(h.head, h.title, cl.name), cl.probability, task)),
    numContent('CONTAINS', PRIV.normalisedEntropy, roundTo(h.uncertainty.normalisedEntropy, 4), UCUM.noUnits, [
      codeContent('HAS CONCEPT MOD', PRIV.classificationTask, task),
    ]),
  ];
  if (h.uncertainty.ttaVariance != null) {
    items.push(
      numContent('CONTAINS', PRIV.ttaVariance, roundTo(h.uncertainty.ttaVariance, 6), UCUM.noUnits, [
        codeContent('HAS CONCEPT MOD', PRIV.classificationTask, task),
      ]),
    );
  }
  return items;
}

function diagnosisProbabilityItems(f: Findings): ContentItem[] {
  const dx = f.diagnosis;
  if (!dx) return [];
  const items = [probabilityNum(classProbabilityConcept('dx', 'Integrated diagnosis', dx.integrated.label), dx.integrated.probability, PRIV.integratedDiagnosis)];
  for (const b of dx.branches) {
    if (b.label === dx.integrated.label) continue;
    items.push(probabilityNum(classProbabilityConcept('dx', 'Integrated diagnosis', b.label), b.probability, PRIV.integratedDiagnosis));
  }
  return items;
}

/** UCUM unit for a radiomic feature's unit string. */
function ucumUnit(unit: string | undefined): CodedConcept {
  switch (unit) {
    case undefined:
    case '':
    case '1':
      return UCUM.noUnits;
    case 'mm':
      return UCUM.millimeter;
    case 'mm2':
      return UCUM.squareMillimeter;
    case 'mm3':
      return UCUM.cubicMillimeter;
    case 'mL':
    case 'ml':
    case 'cm3':
      return UCUM.cubicCentimeter;
    case '%':
      return UCUM.percent;
    default:
      // An annotation keeps the unit's text while staying valid UCUM ("{...}" = 1).
      return { value: `{${unit}}`, scheme: 'UCUM', meaning: unit };
  }
}

export function radiomicItem(r: RadiomicFeature): ContentItem {
  const concept: CodedConcept = r.ibsiId
    ? { value: r.ibsiId, scheme: 'IBSI', meaning: r.name }
    : derivedPrivateCode('RF', `${r.family}:${r.name}`, r.name);
  const children = [codeContent('HAS CONCEPT MOD', SCT.measurementMethod, PRIV.radiomicsMethod)];
  if (r.sequence) children.push(codeContent('HAS CONCEPT MOD', PRIV.intensitySequence, ROLE_CODES[r.sequence]));
  return numContent('CONTAINS', concept, Number(r.value.toPrecision(8)), ucumUnit(r.unit), children);
}

function segmentNumbersFor(region: RegionMeasurement, seg: SegReference): number[] {
  const own = seg.segments.find((s) => s.key === region.key && s.labelValues.length === region.labelValues.length);
  if (own && region.labelValues.length > 1) return [own.number];
  const numbers = seg.segments
    .filter((s) => s.labelValues.length === 1 && region.labelValues.includes(s.labelValues[0]!))
    .map((s) => s.number);
  if (numbers.length !== region.labelValues.length) {
    throw new EncoderInputError(
      `region ${region.key} refers to label values ${region.labelValues.join(',')} that are not all SEG segments`,
      'bad-reference',
    );
  }
  return numbers;
}

function findingFor(region: RegionMeasurement, seg: SegReference, numbers: number[]): { category: CodedConcept; type: CodedConcept } {
  if (numbers.length === 1) {
    const s = seg.segments.find((x) => x.number === numbers[0])!;
    return { category: s.category, type: s.type };
  }
  return { category: SCT.morphologicallyAbnormalStructure, type: region.key === 'TC' ? SCT.neoplasm : SCT.lesion };
}

/** The region group that carries the classification: the whole tumour when reported. */
export function classificationAnchor(f: Findings): RegionKey | undefined {
  if (!f.segmentation) return undefined;
  return (['WT', 'TC', 'GTV'] as RegionKey[]).find((k) => f.regions.some((r) => r.key === k));
}

function regionGroup(ctx: ReportContext, region: RegionMeasurement, seg: SegReference, anchor: boolean): ContentItem {
  const f = ctx.findings;
  const numbers = segmentNumbersFor(region, seg);
  const finding = findingFor(region, seg, numbers);
  const items: ContentItem[] = [
    ...trackingItems(`${region.key} - ${regionText(region.key)}`, ctx.uids.tracking(region.key)),
    codeContent('CONTAINS', SCT.findingCategory, finding.category),
    codeContent('CONTAINS', DCM.finding, finding.type),
    codeContent('HAS CONCEPT MOD', SCT.findingSite, SCT.brain),
    ...algorithmIdentification(f, ctx),
    imageContent('CONTAINS', DCM.referencedSegment, {
      sopClassUid: SopClass.Segmentation,
      sopInstanceUid: seg.sopInstanceUid,
      segmentNumbers: numbers,
    }),
    uidrefContent('CONTAINS', DCM.sourceSeriesForSegmentation, f.referenceSeries.seriesInstanceUid),
    numContent('CONTAINS', SCT.volume, roundTo(region.volumeMl, 4), UCUM.cubicCentimeter, [
      codeContent('HAS CONCEPT MOD', SCT.measurementMethod, DCM.sumOfSegmentedVoxels),
    ]),
  ];
  if (region.meanUncertainty != null) {
    items.push(
      numContent('CONTAINS', PRIV.meanVoxelUncertainty, roundTo(region.meanUncertainty, 4), UCUM.noUnits, [
        codeContent('HAS CONCEPT MOD', SCT.measurementMethod, PRIV.meanOfUncertaintyMap),
      ]),
    );
  }
  for (const r of f.radiomics ?? []) if (r.region === region.key) items.push(radiomicItem(r));
  if (anchor) items.push(...f.heads.flatMap(headItems), ...diagnosisProbabilityItems(f));
  return container('CONTAINS', DCM.measurementGroup, items, '1411');
}

/** Pixel-centre coordinates of a diameter's end points, for a POLYLINE of two points. */
function lineData(d: Diameter): number[] {
  return [d.from[0] + 0.5, d.from[1] + 0.5, d.to[0] + 0.5, d.to[1] + 0.5];
}

/**
 * TID 1501 group with the RANO-style bidimensional measurement: NUM long and short axis, each INFERRED FROM a
 * SCOORD line on the display series image (the planar form viewers draw: OHIF, research/seg_sr.md 3.2), their
 * product, and whether both reach 10 mm.
 */
function bidimensionalGroup(ctx: ReportContext, seg: SegReference): ContentItem | undefined {
  const f = ctx.findings;
  const b = f.bidimensional;
  const region = b && f.regions.find((r) => r.key === b.region);
  if (!b || !region) return undefined;
  const image: ImageRef = { sopClassUid: b.source.sopClassUid, sopInstanceUid: b.source.sopInstanceUid, ...(b.source.frameNumber ? { frameNumbers: [b.source.frameNumber] } : {}) };
  const finding = findingFor(region, seg, segmentNumbersFor(region, seg));
  return container(
    'CONTAINS',
    DCM.measurementGroup,
    [
      // The lesion's own tracking UID: both groups describe the same finding (TID 1500 tracks findings, not groups).
      ...trackingItems(`Bidimensional ${region.key} (RANO)`, ctx.uids.tracking(region.key)),
      codeContent('CONTAINS', SCT.findingCategory, finding.category),
      codeContent('CONTAINS', DCM.finding, finding.type),
      codeContent('HAS CONCEPT MOD', SCT.findingSite, SCT.brain),
      ...algorithmIdentification(f, ctx),
      numContent('CONTAINS', SCT.longAxis, roundTo(b.long.lengthMm, 1), UCUM.millimeter, [scoordContent('INFERRED FROM', 'POLYLINE', lineData(b.long), image)]),
      numContent('CONTAINS', SCT.shortAxis, roundTo(b.short.lengthMm, 1), UCUM.millimeter, [scoordContent('INFERRED FROM', 'POLYLINE', lineData(b.short), image)]),
      numContent('CONTAINS', PRIV.bidimensionalProduct, roundTo(b.productMm2, 1), UCUM.squareMillimeter, [
        codeContent('HAS CONCEPT MOD', SCT.measurementMethod, PRIV.bidimensionalMethod),
      ]),
      codeContent('CONTAINS', PRIV.measurableDisease, b.measurable ? SCT.yes : SCT.no),
    ],
    '1501',
  );
}

/** TID 1501 group for the classification when there is no segmentation to anchor it. */
function classificationGroup(ctx: ReportContext): ContentItem {
  const f = ctx.findings;
  return container(
    'CONTAINS',
    DCM.measurementGroup,
    [
      ...trackingItems('Tumour classification', ctx.uids.tracking('CLASSIFICATION')),
      codeContent('HAS CONCEPT MOD', SCT.findingSite, SCT.brain),
      ...algorithmIdentification(f, ctx),
      ...f.heads.flatMap(headItems),
      ...diagnosisProbabilityItems(f),
    ],
    '1501',
  );
}

function modalityImportanceGroup(ctx: ReportContext): ContentItem | undefined {
  const f = ctx.findings;
  if (!f.modalityImportance?.length) return undefined;
  const items: ContentItem[] = [
    ...trackingItems('Modality importance (leave-one-out)', ctx.uids.tracking('MODALITY-IMPORTANCE')),
    codeContent('HAS CONCEPT MOD', SCT.measurementMethod, PRIV.leaveOneOut),
    ...algorithmIdentification(f, ctx),
  ];
  for (const m of f.modalityImportance) {
    const removed = codeContent('HAS CONCEPT MOD', PRIV.removedSequence, ROLE_CODES[m.role]);
    for (const [head, delta] of Object.entries(m.headDeltas)) {
      const title = f.heads.find((h) => h.head === head)?.title ?? head;
      items.push(
        numContent('CONTAINS', PRIV.importanceDelta, roundTo(delta, 4), UCUM.noUnits, [
          removed,
          codeContent('HAS CONCEPT MOD', PRIV.classificationTask, headConcept(head, title)),
        ]),
      );
    }
    if (m.diceToFull != null) items.push(numContent('CONTAINS', PRIV.importanceDice, roundTo(m.diceToFull, 4), UCUM.noUnits, [removed]));
  }
  return container('CONTAINS', DCM.measurementGroup, items, '1501');
}

/** A tumour-free result: (Neoplasm) = (Not detected), and each classification head (its concept) = (Not applicable). */
function noTumourItems(f: Findings): ContentItem[] {
  if (!f.noTumourDetected) return [];
  return [
    codeContent('CONTAINS', SCT.neoplasm, SCT.notDetected),
    ...f.noTumourDetected.headsNotApplicable.map((h) => codeContent('CONTAINS', headConcept(h.head, h.title), SCT.notApplicable)),
  ];
}

function qualitativeEvaluations(ctx: ReportContext): ContentItem {
  const f = ctx.findings;
  const items: ContentItem[] = noTumourItems(f);
  const dx = f.diagnosis;
  if (dx) {
    const integrated = dx.integrated.indeterminate
      ? PRIV.indeterminate
      : (dx.integrated.code ?? derivedPrivateCode('DX', dx.integrated.label, dx.integrated.label));
    items.push(codeContent('CONTAINS', PRIV.integratedDiagnosis, integrated));
    if (dx.histology) {
      items.push(codeContent('CONTAINS', SCT.associatedMorphology, dx.histology.code ?? classValueCode('histology', dx.histology.label)));
    }
    if (dx.grade) items.push(codeContent('CONTAINS', PRIV.gradeLayer, dx.grade.code ?? derivedPrivateCode('V', `grade:${dx.grade.label}`, dx.grade.label)));
    for (const mol of dx.molecular) {
      items.push(
        codeContent(
          'CONTAINS',
          derivedPrivateCode('M', mol.name, `${mol.name} status (model prediction)`),
          mol.code ?? derivedPrivateCode('V', `${mol.name}:${mol.status}`, `${mol.name} ${mol.status}`),
        ),
      );
    }
    for (const r of dx.reasoning) items.push(textContent('CONTAINS', PRIV.reasoning, r));
  }
  const level = { low: PRIV.uncertaintyLow, moderate: PRIV.uncertaintyModerate, high: PRIV.uncertaintyHigh }[f.uncertaintySummary.level];
  items.push(codeContent('CONTAINS', PRIV.uncertaintyLevel, level));
  for (const n of f.uncertaintySummary.notes) items.push(textContent('CONTAINS', PRIV.uncertaintyNote, n));
  for (const r of f.missingModalities) items.push(codeContent('CONTAINS', PRIV.missingSequence, ROLE_CODES[r]));
  for (const w of f.warnings) items.push(textContent('CONTAINS', PRIV.warning, w));
  items.push(textContent('CONTAINS', PRIV.intendedUse, f.model.intendedUse));
  items.push(textContent('CONTAINS', PRIV.trainingData, f.model.trainingData));
  items.push(textContent('CONTAINS', DCM.comment, RESEARCH_USE_STATEMENT));
  if (ctx.options.predecessors?.length) {
    items.push(textContent('CONTAINS', PRIV.supersedes, ctx.options.predecessors.map((p) => p.sopInstanceUid).join(', ')));
  }
  const source = ctx.narrative.source === 'template' ? '' : `[Drafted by ${ctx.narrative.source}; the coded results above are authoritative.]\n`;
  const fallback = ctx.narrative.fallbackReason ? `[LLM narrative unavailable: ${ctx.narrative.fallbackReason}; template used.]\n` : '';
  items.push(textContent('CONTAINS', PRIV.narrativeClinician, source + fallback + ctx.narrative.clinician));
  items.push(textContent('CONTAINS', PRIV.narrativePatient, source + ctx.narrative.patient));
  return container('CONTAINS', MISC.qualitativeEvaluations, items);
}

/** The root's ContentSequence. */
export function measurementReportContent(ctx: ReportContext): ContentItem[] {
  const f = ctx.findings;
  const groups: ContentItem[] = [];
  const anchor = ctx.seg ? classificationAnchor(f) : undefined;
  if (ctx.seg) {
    const regions = [...f.regions].sort((a, b) => GROUP_ORDER.indexOf(a.key) - GROUP_ORDER.indexOf(b.key));
    // First: OHIF's SR viewport opens on the first measurement group and can only show one with coordinates.
    const bidim = bidimensionalGroup(ctx, ctx.seg);
    if (bidim) groups.push(bidim);
    for (const r of regions) groups.push(regionGroup(ctx, r, ctx.seg, r.key === anchor));
  }
  if (!anchor && (f.heads.length || f.diagnosis)) groups.push(classificationGroup(ctx));
  const mi = modalityImportanceGroup(ctx);
  if (mi) groups.push(mi);
  return [
    codeContent('HAS CONCEPT MOD', DCM.language, MISC.englishUS),
    ...observerContext(ctx),
    codeContent('HAS CONCEPT MOD', DCM.procedureReported, MISC.mrBrain),
    imageLibrary(f, ctx.header),
    ...(groups.length ? [container('CONTAINS', DCM.imagingMeasurements, groups)] : []),
    qualitativeEvaluations(ctx),
  ];
}
