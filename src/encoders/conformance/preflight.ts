/**
 * Pre-delivery check of freshly encoded objects (no external tools, no disk): re-parses every object with dcmjs and
 * runs the structural checks against the geometry and instances the Findings describe, i.e. the constraints OHIF and
 * Slicer rely on (display series first, frames on source slices, dimension indices, tracking UIDs, SEG in evidence,
 * volumes equal to the SEG). Other open-source AI nodes we compared do not check this before export.
 */
import type { Findings } from '../../ai/findings';
import { readP10, type NaturalDataset } from '../../dicom/p10';
import { kindOf, structuralIssues } from './check-objects';
import { checkPatientStudyConsistency, type CheckContext, type Issue } from './structural-checks';

export interface EncodedForCheck {
  fileName: string;
  bytes: Buffer;
}

/** Minimal stand-ins for the source instances, built from the Findings (what the checks need of a source). */
export function sourceStandIns(findings: Findings): Map<string, NaturalDataset> {
  const out = new Map<string, NaturalDataset>();
  for (const input of findings.inputs) {
    for (const uid of input.sopInstanceUids) out.set(uid, { SOPInstanceUID: uid, SOPClassUID: input.sopClassUid, SeriesInstanceUID: input.seriesInstanceUid });
  }
  const ref = findings.referenceSeries;
  const [cols, rows] = ref.dims;
  const common = {
    SeriesInstanceUID: ref.seriesInstanceUid,
    FrameOfReferenceUID: ref.frameOfReferenceUid,
    Rows: rows,
    Columns: cols,
  };
  const multi = new Map<string, NaturalDataset[]>();
  for (const s of ref.sources) {
    if (s.frameNumber == null) {
      out.set(s.sopInstanceUid, {
        ...common,
        SOPInstanceUID: s.sopInstanceUid,
        SOPClassUID: s.sopClassUid,
        ImagePositionPatient: s.imagePositionPatient,
        ImageOrientationPatient: ref.imageOrientationPatient,
        PixelSpacing: [ref.spacing[1], ref.spacing[0]],
      });
    } else {
      const frames = multi.get(s.sopInstanceUid) ?? [];
      frames[s.frameNumber - 1] = { PlanePositionSequence: [{ ImagePositionPatient: s.imagePositionPatient }] };
      multi.set(s.sopInstanceUid, frames);
    }
  }
  for (const [uid, frames] of multi) {
    const cls = ref.sources.find((s) => s.sopInstanceUid === uid)!.sopClassUid;
    out.set(uid, {
      ...common,
      SOPInstanceUID: uid,
      SOPClassUID: cls,
      SharedFunctionalGroupsSequence: [
        {
          PlaneOrientationSequence: [{ ImageOrientationPatient: ref.imageOrientationPatient }],
          PixelMeasuresSequence: [{ PixelSpacing: [ref.spacing[1], ref.spacing[0]] }],
        },
      ],
      PerFrameFunctionalGroupsSequence: Array.from(frames, (f) => f ?? {}),
    });
  }
  return out;
}

/** Structural issues of the encoded set; an error means "do not deliver". */
export function preflight(objects: readonly EncodedForCheck[], findings: Findings): Issue[] {
  const parsed = objects.map((o) => ({ name: o.fileName, ds: readP10(o.bytes).dataset }));
  const byUid = sourceStandIns(findings);
  for (const p of parsed) byUid.set(String(p.ds.SOPInstanceUID), p.ds);
  const ctx: CheckContext = { byUid, sourcesProvided: true };
  const issues: Issue[] = [];
  for (const p of parsed) {
    for (const i of structuralIssues(kindOf(String(p.ds.SOPClassUID)), p.ds, ctx)) issues.push({ ...i, message: `${p.name}: ${i.message}` });
  }
  issues.push(...checkPatientStudyConsistency(parsed));
  return issues;
}
