/**
 * Comprehensive SR (1.2.840.10008.5.1.4.1.1.88.33) holding the TID 1500 Measurement Report.
 * Why Comprehensive rather than Enhanced SR: both accept our content (no SCOORD3D), both are read by OHIF and
 * Slicer's TID1500 plugin, and Comprehensive also allows SCOORD-based planar groups (a later RANO addition) and
 * by-reference relationships, so the SOP class will not have to change when those come.
 */
import type { Findings } from '../../ai/findings';
import type { StudyAttributes } from '../../dicom/study-attributes';
import { SopClass } from '../../dicom/constants';
import { codeItem, DCM, EXTRA_SCHEME_IDENTIFICATION, PRIVATE_SCHEME, PRIVATE_SCHEME_IDENTIFICATION } from '../codes';
import { equipment, patientAndStudy, sopCommon, withCharacterSet } from '../common-modules';
import type { EncoderOptions, Narrative, ObjectReference } from '../options';
import { writePart10, type DicomJson } from '../../dicom/part10-writer';
import type { OutputUids } from '../uid-scheme';
import { codingSchemesUsed } from './content-items';
import { measurementReportContent, type SegReference } from './tid1500';

export interface EncodedSr {
  bytes: Buffer;
  sopInstanceUid: string;
  seriesInstanceUid: string;
}

/** Groups references by study and series, as the SOP Instance Reference Macro "with hierarchy" wants them. */
export function hierarchicalReferences(refs: readonly ObjectReference[]): DicomJson[] {
  const studies = new Map<string, Map<string, ObjectReference[]>>();
  for (const r of refs) {
    const series = studies.get(r.studyInstanceUid) ?? new Map<string, ObjectReference[]>();
    studies.set(r.studyInstanceUid, series);
    const list = series.get(r.seriesInstanceUid) ?? [];
    series.set(r.seriesInstanceUid, list);
    if (!list.some((x) => x.sopInstanceUid === r.sopInstanceUid)) list.push(r);
  }
  return [...studies].map(([study, series]) => ({
    StudyInstanceUID: study,
    ReferencedSeriesSequence: [...series].map(([uid, list]) => ({
      SeriesInstanceUID: uid,
      ReferencedSOPSequence: list.map((r) => ({ ReferencedSOPClassUID: r.sopClassUid, ReferencedSOPInstanceUID: r.sopInstanceUid })),
    })),
  }));
}

/** Everything the SR's content references: the input images and the SEG. */
export function evidence(findings: Findings, uids: OutputUids, seg?: SegReference): ObjectReference[] {
  const refs: ObjectReference[] = findings.inputs.flatMap((s) =>
    s.sopInstanceUids.map((uid) => ({
      studyInstanceUid: findings.studyInstanceUid,
      seriesInstanceUid: s.seriesInstanceUid,
      sopClassUid: s.sopClassUid,
      sopInstanceUid: uid,
    })),
  );
  if (seg) {
    refs.push({
      studyInstanceUid: findings.studyInstanceUid,
      seriesInstanceUid: uids.series.seg,
      sopClassUid: SopClass.Segmentation,
      sopInstanceUid: seg.sopInstanceUid,
    });
  }
  return refs;
}

export function encodeSr(
  findings: Findings,
  header: StudyAttributes,
  options: EncoderOptions,
  uids: OutputUids,
  narrative: Narrative,
  seg?: SegReference,
): EncodedSr {
  const ds = srDataset(findings, header, options, uids, narrative, seg);
  return { bytes: writePart10(withCharacterSet(ds)), sopInstanceUid: uids.sr, seriesInstanceUid: uids.series.sr };
}

/** The SR data set before it is written (the verified SR of a review builds on it: verified-sr.ts). */
export function srDataset(
  findings: Findings,
  header: StudyAttributes,
  options: EncoderOptions,
  uids: OutputUids,
  narrative: Narrative,
  seg?: SegReference,
): DicomJson {
  const now = options.now ?? new Date();
  const content = measurementReportContent({ findings, options, uids, seg, narrative, header });
  const schemes = codingSchemesUsed(content);
  const declared: DicomJson[] = [];
  if (schemes.has(PRIVATE_SCHEME)) declared.push(PRIVATE_SCHEME_IDENTIFICATION);
  for (const [csd, ident] of Object.entries(EXTRA_SCHEME_IDENTIFICATION)) if (schemes.has(csd)) declared.push(ident);

  const ds: DicomJson = {
    ...sopCommon(SopClass.ComprehensiveSR, uids.sr, uids.series.sr, uids.seriesNumbers.sr, 1, now),
    ...patientAndStudy(header),
    ...equipment(options, findings.model.name),
    Modality: 'SR',
    SeriesDescription: 'AI tumour report (TID 1500) - RESEARCH USE ONLY',
    ReferencedPerformedProcedureStepSequence: [],
    CompletionFlag: 'COMPLETE',
    VerificationFlag: 'UNVERIFIED',
    PerformedProcedureCodeSequence: [],
    CurrentRequestedProcedureEvidenceSequence: hierarchicalReferences(evidence(findings, uids, seg)),
    ValueType: 'CONTAINER',
    ConceptNameCodeSequence: [codeItem(DCM.imagingMeasurementReport)],
    ContinuityOfContent: 'SEPARATE',
    ContentTemplateSequence: [{ MappingResource: 'DCMR', TemplateIdentifier: '1500' }],
    ContentSequence: content,
  };
  if (declared.length) ds.CodingSchemeIdentificationSequence = declared;
  if (options.predecessors?.length) ds.PredecessorDocumentsSequence = hierarchicalReferences(options.predecessors);
  return ds;
}
