/**
 * The SR a radiologist's review issues (docs/review.md, conformance/objects.md): a new version of the AI's TID 1500
 * report that supersedes it (PredecessorDocumentsSequence), with VerificationFlag VERIFIED and the reviewer in
 * VerifyingObserverSequence and as a person observer.
 *
 *   accepted   the AI's measurements, verified
 *   corrected  volumes and the bidimensional measurement from the corrected SEG (its segments are referenced), plus
 *              the agreement between AI and correction (Dice, volume difference, HD95 per region)
 *   rejected   no measurements: the review outcome, the coded reason and the reviewer's text
 *
 * Built on the AI SR's own data set (sr-encoder.ts srDataset) so both documents stay laid out alike. Pure.
 */
import type { Findings, RegionMeasurement } from '../../ai/findings';
import type { StudyAttributes } from '../../dicom/study-attributes';
import { SopClass } from '../../dicom/constants';
import { c, codeItem, DCM, MISC, PRIVATE_SCHEME, SCT, UCUM, type CodedConcept } from '../codes';
import { withCharacterSet } from '../common-modules';
import { templateNarrative } from '../narrative/templates';
import type { EncoderOptions, ObjectReference } from '../options';
import { writePart10, type DicomJson } from '../../dicom/part10-writer';
import type { SegmentSpec } from '../seg/segment-catalog';
import type { OutputUids } from '../uid-scheme';
import { codeContent, numContent, roundTo, textContent, type ContentItem } from './content-items';
import { evidence, hierarchicalReferences, srDataset, type EncodedSr } from './sr-encoder';
import type { SegReference } from './tid1500';

const p = (value: string, meaning: string): CodedConcept => c(value, PRIVATE_SCHEME, meaning);

/** Review concepts (private; conformance/objects.md). */
export const REVIEW_CODES = {
  outcome: p('REVIEW', 'Review outcome'),
  accepted: p('REV-ACCEPT', 'AI result accepted by reviewer'),
  rejected: p('REV-REJECT', 'AI result rejected by reviewer'),
  corrected: p('REV-CORRECT', 'AI segmentation corrected by reviewer'),
  reason: p('REVREASON', 'Reason for rejection'),
  comment: p('REVCOMMENT', 'Reviewer comment'),
  dice: p('AGR-DICE', 'Dice coefficient AI vs corrected segmentation'),
  volumeDifference: p('AGR-DVOL', 'Volume difference corrected minus AI'),
  hausdorff95: p('AGR-HD95', '95th percentile Hausdorff distance AI vs corrected'),
  measuredRegion: p('REGION', 'Measured region'),
  person: c('121006', 'DCM', 'Person'),
  personObserverName: c('121008', 'DCM', 'Person Observer Name'),
  personObserverOrganization: c('121009', 'DCM', "Person Observer's Organization Name"),
} as const;

/** Series Number of review SRs (the AI SR's 9002 + 3). */
export const REVIEW_SR_SERIES_NUMBER = 9005;

export interface RegionAgreementFigures {
  key: string;
  dice: number;
  volumeDifferenceMl: number;
  hausdorff95Mm: number | null;
}

export interface ReviewSrInput {
  decision: 'accepted' | 'rejected' | 'corrected';
  /** DICOM PN, e.g. "Smith^Anna". */
  reviewerName: string;
  organisation: string;
  reviewedAt: Date;
  /** 1 for the first review of the result, +1 for each later one. */
  revision: number;
  aiSr: ObjectReference;
  /** accepted: the AI SEG and its segments (what the verified measurements refer to). */
  aiSeg?: SegReference;
  reason?: { code: string; meaning: string; text?: string };
  corrected?: {
    seg: ObjectReference;
    segments: SegmentSpec[];
    emptySegments: number[];
    regions: RegionMeasurement[];
    bidimensional?: Findings['bidimensional'];
    agreement: RegionAgreementFigures[];
  };
}

function personObserver(r: ReviewSrInput): ContentItem[] {
  return [
    codeContent('HAS OBS CONTEXT', DCM.observerType, REVIEW_CODES.person),
    { RelationshipType: 'HAS OBS CONTEXT', ValueType: 'PNAME', ConceptNameCodeSequence: [codeItem(REVIEW_CODES.personObserverName)], PersonName: r.reviewerName },
    textContent('HAS OBS CONTEXT', REVIEW_CODES.personObserverOrganization, r.organisation),
  ];
}

function outcomeItems(r: ReviewSrInput): ContentItem[] {
  const items = [codeContent('CONTAINS', REVIEW_CODES.outcome, REVIEW_CODES[r.decision])];
  if (r.reason) {
    items.push(codeContent('CONTAINS', REVIEW_CODES.reason, p(`REJ-${r.reason.code.toUpperCase()}`.slice(0, 16), r.reason.meaning)));
    if (r.reason.text) items.push(textContent('CONTAINS', REVIEW_CODES.comment, r.reason.text));
  }
  return items;
}

function agreementNums(figures: RegionAgreementFigures[], f: Findings): ContentItem[] {
  const region = (key: string): ContentItem => {
    const def = f.segmentation?.segments.find((s) => s.key === key);
    return codeContent('HAS CONCEPT MOD', REVIEW_CODES.measuredRegion, def?.type ?? (key === 'TC' ? SCT.neoplasm : SCT.lesion));
  };
  return figures.flatMap((a) => [
    numContent('CONTAINS', REVIEW_CODES.dice, roundTo(a.dice, 4), UCUM.noUnits, [region(a.key)]),
    numContent('CONTAINS', REVIEW_CODES.volumeDifference, roundTo(a.volumeDifferenceMl, 4), UCUM.cubicCentimeter, [region(a.key)]),
    ...(a.hausdorff95Mm != null ? [numContent('CONTAINS', REVIEW_CODES.hausdorff95, roundTo(a.hausdorff95Mm, 2), UCUM.millimeter, [region(a.key)])] : []),
  ]);
}

const conceptIs = (item: ContentItem, concept: CodedConcept): boolean => {
  const code = (item.ConceptNameCodeSequence as DicomJson[] | undefined)?.[0];
  return code?.CodeValue === concept.value && code?.CodingSchemeDesignator === concept.scheme;
};

/** The clinician text: the template for the reviewed findings, with the review said where "not verified" was. */
function reviewNarrative(f: Findings, r: ReviewSrInput): { clinician: string; patient: string; source: string } {
  const n = templateNarrative(f, { supersedes: [r.aiSr.sopInstanceUid] });
  const who = `${r.reviewerName.replace(/\^/g, ' ').trim()} (${r.organisation}) on ${r.reviewedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
  const said =
    r.decision === 'rejected'
      ? `AI result REJECTED by ${who}: ${r.reason?.meaning ?? 'no reason given'}${r.reason?.text ? ` (${r.reason.text})` : ''}. Its measurements are withdrawn.`
      : r.decision === 'corrected'
        ? `Segmentation corrected and verified by ${who}; volumes and diameters are from the corrected segmentation.`
        : `Verified (accepted) by ${who}.`;
  const clinician = r.decision === 'rejected' ? said : n.clinician.replace('Produced automatically; not verified by a physician.', said);
  return { clinician: clinician.includes(said) ? clinician : `${said}\n${clinician}`, patient: r.decision === 'rejected' ? 'The automatic analysis of this scan was reviewed by a doctor and withdrawn.' : n.patient, source: 'template' };
}

/** `base`: the AI result's UIDs (outputUids of the same findings and options). */
export function encodeReviewSr(findings: Findings, header: StudyAttributes, options: EncoderOptions, r: ReviewSrInput, base: OutputUids): EncodedSr {
  const f: Findings = r.corrected ? { ...findings, regions: r.corrected.regions, ...(r.corrected.bidimensional ? { bidimensional: r.corrected.bidimensional } : { bidimensional: undefined }) } : findings;
  const srUid = base.reviewSr(r.aiSr.sopInstanceUid, r.revision, r.decision, r.corrected?.seg.sopInstanceUid);
  // The review SR's own series (one per result: the registry's review-sr series), its own instance UID.
  const uids = { ...base, sr: srUid, series: { ...base.series, sr: base.series['review-sr'] } };
  const segRef: SegReference | undefined =
    r.decision === 'rejected' ? undefined : r.corrected ? { sopInstanceUid: r.corrected.seg.sopInstanceUid, segments: r.corrected.segments, emptySegments: r.corrected.emptySegments } : r.aiSeg;
  const opts: EncoderOptions = { ...options, now: r.reviewedAt, predecessors: [r.aiSr] };
  const ds = srDataset(f, header, opts, uids, reviewNarrative(f, r), segRef);

  let content = ds.ContentSequence as ContentItem[];
  // The reviewer is an observer too (TID 1002), after the language item, before the device observer.
  content.splice(1, 0, ...personObserver(r));
  if (r.decision === 'rejected') {
    // Withdrawn measurements are not repeated: the document keeps its context and says why it was rejected.
    content = content.filter((i) => !conceptIs(i, DCM.imagingMeasurements) && !conceptIs(i, DCM.derivedImagingMeasurements));
  }
  const qual = content.find((i) => conceptIs(i, MISC.qualitativeEvaluations))!;
  const qualItems = qual.ContentSequence as ContentItem[];
  if (r.decision === 'rejected') {
    // Keep only the statements about the document, not the AI's classifications.
    qual.ContentSequence = [...outcomeItems(r), ...qualItems.filter((i) => i.ValueType === 'TEXT' && !conceptIs(i, p('DXREASON', '')))];
  } else {
    qual.ContentSequence = [...outcomeItems(r), ...qualItems];
  }
  if (r.corrected?.agreement.length) {
    let derived = content.find((i) => conceptIs(i, DCM.derivedImagingMeasurements));
    if (!derived) {
      derived = { RelationshipType: 'CONTAINS', ValueType: 'CONTAINER', ConceptNameCodeSequence: [codeItem(DCM.derivedImagingMeasurements)], ContinuityOfContent: 'SEPARATE', ContentSequence: [] };
      content.splice(content.indexOf(qual), 0, derived);
    }
    (derived.ContentSequence as ContentItem[]).push(...agreementNums(r.corrected.agreement, f));
  }
  ds.ContentSequence = content;

  const refs = evidence(f, uids, undefined);
  if (r.corrected) refs.push(r.corrected.seg);
  else if (segRef) refs.push({ studyInstanceUid: f.studyInstanceUid, seriesInstanceUid: base.series.seg, sopClassUid: SopClass.Segmentation, sopInstanceUid: segRef.sopInstanceUid });
  ds.CurrentRequestedProcedureEvidenceSequence = hierarchicalReferences(refs);
  ds.SeriesDescription = r.decision === 'rejected' ? 'AI tumour report REJECTED by reviewer - RESEARCH USE ONLY' : 'Reviewed tumour report (verified) - RESEARCH USE ONLY';
  ds.SeriesNumber = base.seriesNumbers['review-sr'];
  ds.InstanceNumber = r.revision;
  ds.VerificationFlag = 'VERIFIED';
  ds.VerifyingObserverSequence = [
    {
      VerifyingObserverName: r.reviewerName,
      VerifyingObserverIdentificationCodeSequence: [],
      VerifyingOrganization: r.organisation,
      VerificationDateTime: dicomDateTime(r.reviewedAt),
    },
  ];
  return { bytes: writePart10(withCharacterSet(ds)), sopInstanceUid: srUid, seriesInstanceUid: base.series['review-sr'] };
}

function dicomDateTime(d: Date): string {
  return d.toISOString().replace(/[-:T]/g, '').replace(/\.(\d{3})Z$/, '.$1+0000');
}
