/**
 * The TID 1500 "Imaging Measurement Report" content tree (PS3.16), laid out the way the readers that use it read it
 * (docs/outputs.md "Reader rules"; checked by src/encoders/conformance/reader-rules.ts):
 *
 *   CONTAINER (126000, DCM) root, template DCMR/1500
 *    + language, device observer (TID 1001/1004), procedure reported
 *    + Image Library (TID 1600): one group per input series with its role, IMAGE items for its instances
 *    + Imaging Measurements (126010): one TID 1411 group per non-empty SEG segment, in segment order, each
 *      referencing that one segment and holding the same measurements in the same order (Volume, mean voxel
 *      uncertainty, the RANO bidimensional axes, IBSI features); a measurement a group lacks is a NUM qualified
 *      "Measurement not attempted" with the reason. dcmqi/Slicer map group i to loaded segment i and take the
 *      table's columns from the first group; OHIF draws the bidimensional lines from the group that carries them.
 *    + Derived Imaging Measurements (126011, TID 300 NUMs): what belongs to no single segment: TC and WT (unless
 *      they are SEG segments), volumes of empty segments, regions the inputs cannot assess (not attempted + reason),
 *      VASARI-style features, class probabilities, certainty and uncertainty, modality importance
 *    + Overall survival estimate (99NEUROONC SURVIVAL), one container per survival head: the statement, the
 *      outcome data, the age used, the probabilities at the reported times with their TTA spread, the risk group
 *      (or why not reported)
 *    + Qualitative Evaluations (C0034375, CODE/TEXT only): each classification result once, layered diagnosis,
 *      RANO measurability, regions not assessable, uncertainty level, missing sequences, warnings, narratives
 */
import { registrationParameterTexts } from './registration-provenance';
import { survivalContainers } from './survival-items';
import type { Findings, HeadResult, InputGeometry, InputSeries, RadiomicFeature, RegionKey, RegionMeasurement } from '../../ai/findings';
import type { HeadKind } from '../../ai/manifest';
import type { StudyAttributes } from '../../dicom/study-attributes';
import { SopClass } from '../../dicom/constants';
import {
  classValueCode,
  codeItem,
  DCM,
  derivedPrivateCode,
  diagnosisCode,
  headConcept,
  IBSI_MEANINGS,
  MISC,
  molecularConcept,
  molecularKind,
  PRIV,
  ROLE_CODES,
  SCT,
  UCUM,
  ucumFor,
  type CodedConcept,
  type HeadRef,
} from '../codes';
import { RESEARCH_USE_STATEMENT, type EncoderOptions, type Narrative } from '../options';
import { notAssessableRegions, regionText, type NotAssessableRegion, type SegmentSpec } from '../seg/segment-catalog';
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
  /** SegmentNumbers without frames: Slicer creates no segment for them, so they get no measurement group. */
  emptySegments: number[];
}

export interface ReportContext {
  findings: Findings;
  options: EncoderOptions;
  uids: OutputUids;
  seg?: SegReference;
  narrative: Narrative;
  /** Source study (Image Library study date/time). */
  header?: StudyAttributes;
}

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
function seriesDescriptors(g: InputGeometry | undefined, header: StudyAttributes | undefined): ContentItem[] {
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

function imageLibrary(f: Findings, header?: StudyAttributes): ContentItem {
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
    ...registrationParameterTexts(f.registration).map((t) => textContent('HAS CONCEPT MOD', DCM.algorithmParameters, t)),
    // Template space and brain extraction (src/registration/model-space.ts), when the model needed them.
    ...(f.spatialPreprocessing ?? []).map((t) => textContent('HAS CONCEPT MOD', DCM.algorithmParameters, t)),
  ];
}

function trackingItems(label: string, uid: string): ContentItem[] {
  return [
    textContent('HAS OBS CONTEXT', DCM.trackingIdentifier, label),
    uidrefContent('HAS OBS CONTEXT', DCM.trackingUniqueIdentifier, uid),
  ];
}

/**
 * A NUM without a value, qualified (CID 42) "Measurement not attempted", with the reason as its child (the child
 * also keeps old OHIF, which dereferenced every NUM's children, from crashing).
 */
export function notAttemptedNum(concept: CodedConcept, reason: string, modifiers: ContentItem[] = []): ContentItem {
  return {
    RelationshipType: 'CONTAINS',
    ValueType: 'NUM',
    ConceptNameCodeSequence: [codeItem(concept)],
    MeasuredValueSequence: [],
    NumericValueQualifierCodeSequence: [codeItem(DCM.measurementNotAttempted)],
    ContentSequence: [...modifiers, textContent('HAS PROPERTIES', DCM.comment, reason)],
  };
}

// ------------------------------------------------------------------------------------------------ regions

/** The coded concept of a region: its SEG segment type, or the composite's (TC Neoplasm, WT Lesion, as in the SEG). */
function regionConcept(f: Findings, key: RegionKey): CodedConcept {
  const def = f.segmentation?.segments.find((s) => s.key === key);
  if (def) return def.type;
  return key === 'TC' ? SCT.neoplasm : SCT.lesion;
}

function regionModifier(f: Findings, key: RegionKey): ContentItem {
  return codeContent('HAS CONCEPT MOD', PRIV.measuredRegion, regionConcept(f, key));
}

function volumeNum(region: RegionMeasurement, extra: ContentItem[] = []): ContentItem {
  return numContent('CONTAINS', SCT.volume, roundTo(region.volumeMl, 4), UCUM.cubicCentimeter, [
    codeContent('HAS CONCEPT MOD', SCT.measurementMethod, DCM.sumOfSegmentedVoxels),
    ...extra,
  ]);
}

function uncertaintyNum(value: number, extra: ContentItem[] = []): ContentItem {
  return numContent('CONTAINS', PRIV.meanVoxelUncertainty, roundTo(value, 4), UCUM.noUnits, [
    codeContent('HAS CONCEPT MOD', SCT.measurementMethod, PRIV.meanOfUncertaintyMap),
    ...extra,
  ]);
}

/** The concept of a radiomic feature: IBSI identifier with its PS3.16 meaning, else a private code. */
function radiomicConcept(r: RadiomicFeature): CodedConcept {
  const note = ucumFor(r.unit).note;
  if (r.ibsiId) return { value: r.ibsiId, scheme: 'IBSI', meaning: IBSI_MEANINGS[r.ibsiId] ?? r.name };
  return derivedPrivateCode('RF', `${r.family}:${r.name}`, note ? `${r.name} (${note})` : r.name);
}

/** A radiomic feature NUM; the method says it was computed on the model input grid (not the SEG's grid). */
export function radiomicItem(r: RadiomicFeature, extra: ContentItem[] = []): ContentItem {
  const children = [codeContent('HAS CONCEPT MOD', SCT.measurementMethod, r.family === 'vasari' ? PRIV.vasariMethod : PRIV.radiomicsMethod)];
  if (r.sequence) children.push(codeContent('HAS CONCEPT MOD', PRIV.intensitySequence, ROLE_CODES[r.sequence]));
  // A ratio over an empty region has no value: say so rather than write NaN.
  if (!Number.isFinite(r.value)) return notAttemptedNum(radiomicConcept(r), 'not defined for this region (no voxels)', [...children, ...extra]);
  return numContent('CONTAINS', radiomicConcept(r), Number(r.value.toPrecision(8)), ucumFor(r.unit).unit, [...children, ...extra]);
}

function radiomicKey(r: RadiomicFeature): string {
  return `rf:${r.ibsiId ?? `${r.family}:${r.name}`}:${r.sequence ?? ''}`;
}

function radiomicMissing(r: RadiomicFeature): ContentItem {
  const children = r.sequence ? [codeContent('HAS CONCEPT MOD', PRIV.intensitySequence, ROLE_CODES[r.sequence])] : [];
  return notAttemptedNum(radiomicConcept(r), 'feature not computed for this region', children);
}

// ------------------------------------------------------------------------------------------------ RANO

/** Pixel-centre coordinates of a diameter's end points, for a POLYLINE of two points. */
function lineData(d: Diameter): number[] {
  return [d.from[0] + 0.5, d.from[1] + 0.5, d.to[0] + 0.5, d.to[1] + 0.5];
}

/**
 * The RANO-style bidimensional measurement: long and short axis, each INFERRED FROM a SCOORD line on the display
 * series image (the planar form OHIF draws), and their product.
 */
function bidimensionalNums(f: Findings, extra: ContentItem[] = []): Map<string, ContentItem> {
  const b = f.bidimensional!;
  const image: ImageRef = { sopClassUid: b.source.sopClassUid, sopInstanceUid: b.source.sopInstanceUid, ...(b.source.frameNumber ? { frameNumbers: [b.source.frameNumber] } : {}) };
  return new Map([
    ['rano:long', numContent('CONTAINS', SCT.longAxis, roundTo(b.long.lengthMm, 1), UCUM.millimeter, [scoordContent('INFERRED FROM', 'POLYLINE', lineData(b.long), image), ...extra])],
    ['rano:short', numContent('CONTAINS', SCT.shortAxis, roundTo(b.short.lengthMm, 1), UCUM.millimeter, [scoordContent('INFERRED FROM', 'POLYLINE', lineData(b.short), image), ...extra])],
    ['rano:product', numContent('CONTAINS', PRIV.bidimensionalProduct, roundTo(b.productMm2, 1), UCUM.squareMillimeter, [codeContent('HAS CONCEPT MOD', SCT.measurementMethod, PRIV.bidimensionalMethod), ...extra])],
  ]);
}

const RANO_CONCEPTS: Record<string, CodedConcept> = { 'rano:long': SCT.longAxis, 'rano:short': SCT.shortAxis, 'rano:product': PRIV.bidimensionalProduct };

// ------------------------------------------------------------------------------------------------ layout

interface Layout {
  /** Non-empty SEG segments, in segment order: one TID 1411 group each. */
  grouped: SegmentSpec[];
  notAssessable: NotAssessableRegion[];
  /** Whether the bidimensional measurement goes into a segment group (its region is one of them). */
  bidimInGroup: boolean;
}

function layoutOf(ctx: ReportContext): Layout {
  const f = ctx.findings;
  const notAssessable = f.segmentation ? notAssessableRegions(f) : [];
  const grouped = ctx.seg ? [...ctx.seg.segments].sort((a, b) => a.number - b.number).filter((s) => !ctx.seg!.emptySegments.includes(s.number)) : [];
  const b = f.bidimensional;
  const bidimAssessable = !!b && !notAssessable.some((n) => n.key === b.region);
  return { grouped, notAssessable, bidimInGroup: bidimAssessable && grouped.some((s) => s.key === b.region) };
}

/** The measurements of one segment group, keyed so that every group lists the same ones in the same order. */
function groupMeasurements(f: Findings, key: RegionKey, layout: Layout): Map<string, ContentItem> {
  const out = new Map<string, ContentItem>();
  const region = f.regions.find((r) => r.key === key);
  if (region) out.set('volume', volumeNum(region));
  if (region?.meanUncertainty != null) out.set('uncertainty', uncertaintyNum(region.meanUncertainty));
  if (layout.bidimInGroup && f.bidimensional!.region === key) for (const [k, v] of bidimensionalNums(f)) out.set(k, v);
  for (const r of f.radiomics ?? []) if (r.region === key && r.family !== 'vasari') out.set(radiomicKey(r), radiomicItem(r));
  return out;
}

/** What a group lacking measurement `k` writes instead: the same concept, not attempted, and why. */
function missingMeasurement(f: Findings, k: string): ContentItem {
  if (k === 'volume') return notAttemptedNum(SCT.volume, 'region not measured');
  if (k === 'uncertainty') return notAttemptedNum(PRIV.meanVoxelUncertainty, 'no uncertainty map for this region');
  if (k.startsWith('rano:')) {
    return notAttemptedNum(RANO_CONCEPTS[k]!, `bidimensional measurement made on ${regionText(f.bidimensional!.region)} only`);
  }
  const r = (f.radiomics ?? []).find((x) => radiomicKey(x) === k)!;
  return radiomicMissing(r);
}

function segmentGroups(ctx: ReportContext, layout: Layout): ContentItem[] {
  const f = ctx.findings;
  const seg = ctx.seg!;
  const perGroup = layout.grouped.map((s) => groupMeasurements(f, s.key, layout));
  // One order for every group (Slicer takes its columns from the first group and fills cells by position).
  const order: string[] = [];
  for (const m of perGroup) for (const k of m.keys()) if (!order.includes(k)) order.push(k);
  const rank = (k: string): number => (k === 'volume' ? 0 : k === 'uncertainty' ? 1 : k.startsWith('rano:') ? 2 : 3);
  order.sort((a, b) => rank(a) - rank(b));
  return layout.grouped.map((s, i) => {
    const measured = perGroup[i]!;
    const items: ContentItem[] = [
      ...trackingItems(`${s.key} - ${regionText(s.key)}`, ctx.uids.tracking(s.key)),
      codeContent('CONTAINS', SCT.findingCategory, s.category),
      codeContent('CONTAINS', DCM.finding, s.type),
      codeContent('HAS CONCEPT MOD', SCT.findingSite, SCT.brain),
      ...algorithmIdentification(f, ctx),
      imageContent('CONTAINS', DCM.referencedSegment, { sopClassUid: SopClass.Segmentation, sopInstanceUid: seg.sopInstanceUid, segmentNumbers: [s.number] }),
      uidrefContent('CONTAINS', DCM.sourceSeriesForSegmentation, f.referenceSeries.seriesInstanceUid),
      ...order.map((k) => measured.get(k) ?? missingMeasurement(f, k)),
    ];
    if (layout.bidimInGroup && f.bidimensional!.region === s.key) {
      items.push(codeContent('CONTAINS', PRIV.measurableDisease, f.bidimensional!.measurable ? SCT.yes : SCT.no));
    }
    return container('CONTAINS', DCM.measurementGroup, items, '1411');
  });
}

/** The SEG segments a composite region is made of, when all of them are in the SEG. */
function memberSegments(region: RegionMeasurement, seg: SegReference | undefined): number[] | undefined {
  if (!seg) return undefined;
  const numbers = region.labelValues.map((v) => seg.segments.find((s) => s.labelValues.length === 1 && s.labelValues[0] === v)?.number);
  return numbers.every((n): n is number => n != null) ? numbers : undefined;
}

function headNums(h: HeadResult): ContentItem[] {
  const task = headConcept(h);
  const taskMod = codeContent('HAS CONCEPT MOD', PRIV.classificationTask, task);
  const predicted = h.classes.find((c) => c.name === h.predicted);
  const items: ContentItem[] = [
    numContent('CONTAINS', DCM.certaintyOfImpression, roundTo(h.confidence * 100, 2), UCUM.percent, [
      h.indeterminate || !predicted ? taskMod : codeContent('HAS CONCEPT MOD', task, classValueCode(h, predicted.name, predicted.code)),
    ]),
    // One concept "Probability", the class as its modifier (instead of a private code per class).
    ...h.classes.map((cl) =>
      numContent('CONTAINS', DCM.probability, roundTo(cl.probability, 4), UCUM.noUnits, [
        codeContent('HAS CONCEPT MOD', task, classValueCode(h, cl.name, cl.code)),
        codeContent('HAS CONCEPT MOD', SCT.measurementMethod, PRIV.calibratedSoftmax),
      ]),
    ),
    numContent('CONTAINS', PRIV.normalisedEntropy, roundTo(h.uncertainty.normalisedEntropy, 4), UCUM.noUnits, [taskMod]),
  ];
  if (h.uncertainty.ttaVariance != null) {
    items.push(numContent('CONTAINS', PRIV.ttaVariance, roundTo(h.uncertainty.ttaVariance, 6), UCUM.noUnits, [taskMod]));
  }
  return items;
}

function diagnosisNums(f: Findings): ContentItem[] {
  const dx = f.diagnosis;
  if (!dx) return [];
  return dx.branches.map((b) =>
    numContent('CONTAINS', DCM.probability, roundTo(b.probability, 4), UCUM.noUnits, [
      codeContent('HAS CONCEPT MOD', PRIV.integratedDiagnosis, diagnosisCode(b.label, b.code)),
    ]),
  );
}

function modalityImportanceNums(f: Findings): ContentItem[] {
  const items: ContentItem[] = [];
  const method = codeContent('HAS CONCEPT MOD', SCT.measurementMethod, PRIV.leaveOneOut);
  for (const m of f.modalityImportance ?? []) {
    const removed = codeContent('HAS CONCEPT MOD', PRIV.removedSequence, ROLE_CODES[m.role]);
    for (const [head, delta] of Object.entries(m.headDeltas)) {
      const h = f.heads.find((x) => x.head === head) ?? { head, kind: 'generic', title: head };
      items.push(numContent('CONTAINS', PRIV.importanceDelta, roundTo(delta, 4), UCUM.noUnits, [method, removed, codeContent('HAS CONCEPT MOD', PRIV.classificationTask, headConcept(h))]));
    }
    if (m.diceToFull != null) items.push(numContent('CONTAINS', PRIV.importanceDice, roundTo(m.diceToFull, 4), UCUM.noUnits, [method, removed]));
  }
  return items;
}

/** A tumour-free result: (Neoplasm) = (Not detected), and each classification head (its concept) = (Not applicable). */
function noTumourItems(f: Findings): ContentItem[] {
  if (!f.noTumourDetected) return [];
  return [
    codeContent('CONTAINS', SCT.neoplasm, SCT.notDetected),
    ...f.noTumourDetected.headsNotApplicable.map((h) => codeContent('CONTAINS', headConcept(h), SCT.notApplicable)),
  ];
}

/** TID 300 measurements that belong to no single segment (see the file comment). */
function derivedMeasurements(ctx: ReportContext, layout: Layout): ContentItem[] {
  const f = ctx.findings;
  const groupedKeys = new Set(layout.grouped.map((s) => s.key));
  const notAssessable = new Set(layout.notAssessable.map((n) => n.key));
  const items: ContentItem[] = [];
  for (const region of f.regions) {
    if (groupedKeys.has(region.key) || notAssessable.has(region.key)) continue;
    const mod = regionModifier(f, region.key);
    const members = region.labelValues.length > 1 ? memberSegments(region, ctx.seg) : undefined;
    const ref = members
      ? [imageContent('INFERRED FROM', DCM.referencedSegment, { sopClassUid: SopClass.Segmentation, sopInstanceUid: ctx.seg!.sopInstanceUid, segmentNumbers: members })]
      : [];
    items.push(volumeNum(region, [mod, ...ref]));
    if (region.meanUncertainty != null) items.push(uncertaintyNum(region.meanUncertainty, [mod]));
  }
  for (const n of layout.notAssessable) items.push(notAttemptedNum(SCT.volume, n.reason, [regionModifier(f, n.key)]));
  if (f.segmentationWithheld) items.push(notAttemptedNum(SCT.volume, f.segmentationWithheld.reason, [codeContent('HAS CONCEPT MOD', PRIV.measuredRegion, SCT.lesion)]));
  const b = f.bidimensional;
  if (b && !layout.bidimInGroup && !notAssessable.has(b.region)) items.push(...bidimensionalNums(f, [regionModifier(f, b.region)]).values());
  for (const r of f.radiomics ?? []) {
    if (notAssessable.has(r.region)) continue;
    if (r.family === 'vasari' || !groupedKeys.has(r.region)) items.push(radiomicItem(r, [regionModifier(f, r.region)]));
  }
  items.push(...f.heads.flatMap(headNums), ...diagnosisNums(f), ...modalityImportanceNums(f));
  return items;
}

/** The head of a kind, if the model has one. */
function headOfKind(f: Findings, kind: HeadKind): HeadResult | undefined {
  return f.heads.find((h) => h.kind === kind);
}

/** The head a molecular layer of the diagnosis came from (by kind), for its class code and title. */
function molecularHeadRef(f: Findings, name: string): HeadRef {
  const kind = molecularKind(name);
  return (kind && headOfKind(f, kind)) || { head: kind ?? name.toLowerCase(), kind: kind ?? 'generic', title: name };
}

/** Each classification result once (heads first; a diagnosis layer only where no head gave that concept). */
function classificationResults(f: Findings): ContentItem[] {
  const items: ContentItem[] = noTumourItems(f);
  const said = new Set<string>();
  const add = (concept: CodedConcept, value: CodedConcept): void => {
    const key = `${concept.scheme}|${concept.value}`;
    if (said.has(key)) return;
    said.add(key);
    items.push(codeContent('CONTAINS', concept, value));
  };
  for (const h of f.heads) {
    const predicted = h.classes.find((c) => c.name === h.predicted);
    add(headConcept(h), h.indeterminate ? PRIV.indeterminate : classValueCode(h, h.predicted, predicted?.code));
  }
  const dx = f.diagnosis;
  if (dx) {
    add(PRIV.integratedDiagnosis, dx.integrated.indeterminate ? PRIV.indeterminate : diagnosisCode(dx.integrated.label, dx.integrated.code));
    if (dx.histology) add(SCT.associatedMorphology, dx.histology.code ?? classValueCode(headOfKind(f, 'histology') ?? { head: 'histology', kind: 'histology' }, dx.histology.label));
    if (dx.grade) add(PRIV.gradeLayer, diagnosisCode(dx.grade.label, dx.grade.code));
    for (const mol of dx.molecular) add(molecularConcept(mol.name), classValueCode(molecularHeadRef(f, mol.name), mol.status, mol.code));
    for (const r of dx.reasoning) items.push(textContent('CONTAINS', PRIV.reasoning, r));
  }
  return items;
}

function qualitativeEvaluations(ctx: ReportContext, layout: Layout): ContentItem {
  const f = ctx.findings;
  const items: ContentItem[] = classificationResults(f);
  const b = f.bidimensional;
  if (b && !layout.notAssessable.some((n) => n.key === b.region)) items.push(codeContent('CONTAINS', PRIV.measurableDisease, b.measurable ? SCT.yes : SCT.no));
  for (const n of layout.notAssessable) items.push(codeContent('CONTAINS', PRIV.notAssessable, regionConcept(f, n.key)));
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
  const layout = layoutOf(ctx);
  const groups = layout.grouped.length ? segmentGroups(ctx, layout) : [];
  const derived = derivedMeasurements(ctx, layout);
  return [
    codeContent('HAS CONCEPT MOD', DCM.language, MISC.englishUS),
    ...observerContext(ctx),
    codeContent('HAS CONCEPT MOD', DCM.procedureReported, MISC.mrBrain),
    imageLibrary(ctx.findings, ctx.header),
    ...(groups.length ? [container('CONTAINS', DCM.imagingMeasurements, groups)] : []),
    ...(derived.length ? [container('CONTAINS', DCM.derivedImagingMeasurements, derived)] : []),
    ...survivalContainers(ctx.findings),
    qualitativeEvaluations(ctx, layout),
  ];
}
