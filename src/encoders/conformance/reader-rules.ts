/**
 * The rules by which the readers of our TID 1500 SR interpret it, as code (docs/outputs.md "Reader rules" cites
 * the sources). dciodvfy checks the IOD, not how 3D Slicer or OHIF read the tree; an SR can be valid DICOM and
 * still put the TC volume on the necrosis segment in Slicer. Pure functions over naturalized data sets.
 *
 *   Slicer DICOMTID1500Plugin (Slicer core, formerly QuantitativeReporting) + dcmqi tid1500reader:
 *     slicer.recognised       Modality SR, Enhanced/Comprehensive/Comprehensive 3D SR, TemplateIdentifier 1500
 *     slicer.seg-evidence     the SEG it loads is found in CurrentRequestedProcedureEvidenceSequence (66.4)
 *     slicer.no-planar-roi    no group with an "Image Region" (111030) SCOORD: that switches the plugin to its
 *                             planar-annotation path, which does not load the SEG or the table
 *     dcmqi.one-segment       tid1500reader keeps only the first ReferencedSegmentNumber of a group (items[0])
 *     slicer.group-per-segment  every Measurement Group under Imaging Measurements becomes a table row and is
 *                             assigned to loaded segment number idx (assignTrackingUniqueIdentifier:
 *                             segments[idx]); Slicer creates no empty segments. So: one group per non-empty
 *                             segment, in segment order, nothing else in that container (else IndexError or
 *                             values on the wrong segment)
 *     slicer.columns          the table's columns come from the first group's NUMs and every row is filled by
 *                             position: every group lists the same measurements in the same order
 *     slicer.tracking         every group has Tracking Identifier and Tracking Unique Identifier (read unguarded)
 *     slicer.table            at least one group (the plugin reads Measurements[0]): a warning, the SEG still loads
 *   OHIF (extensions/cornerstone-dicom-sr, 3.x):
 *     ohif.tracking-uid       groups are merged by Tracking Unique Identifier; a group without one throws
 *     ohif.lines              SCOORD lines are read only from NUMs (INFERRED FROM) or groups under Imaging
 *                             Measurements; lines elsewhere are not drawn
 *   Coding:
 *     code.one-per-meaning    two different codes with the same meaning (e.g. "IDH-wildtype" private twice)
 *     code.meaning-cut        a CodeMeaning cut with "..."
 *     code.result-once        a classification result (IDH, 1p/19q, grade, histology, diagnosis) reported twice
 */
import type { NaturalDataset } from '../../dicom/p10';
import { SopClass } from '../../dicom/constants';
import { codeOf, hasCode, items, nums, segVoxelCounts, type CheckContext, type Issue } from './structural-checks';

type Item = Record<string, unknown>;

const SLICER_SR_CLASSES = new Set<string>([SopClass.EnhancedSR, SopClass.ComprehensiveSR, SopClass.Comprehensive3DSR]);

/** Concepts of classification results: each reported once (in the root Qualitative Evaluations). */
const RESULT_CONCEPTS = new Set(['99NEUROONC|IDHSTAT', '99NEUROONC|1P19QSTAT', '99NEUROONC|CNSGRADE', '99NEUROONC|INTDX', 'SCT|116677004']);

function conceptIs(item: Item, value: string, scheme: string): boolean {
  return hasCode(item.ConceptNameCodeSequence, value, scheme);
}

function kids(item: Item | undefined): Item[] {
  return items(item?.ContentSequence);
}

/** What identifies a column in Slicer's table: the NUM concept plus its sequence modifier (first-order features). */
function columnKey(num: Item): string {
  const c = codeOf(num.ConceptNameCodeSequence);
  const mods = kids(num)
    .filter((k) => k.RelationshipType === 'HAS CONCEPT MOD' && k.ValueType === 'CODE' && !conceptIs(k, '370129005', 'SCT'))
    .map((k) => `${codeOf(k.ConceptNameCodeSequence)?.value}=${codeOf(k.ConceptCodeSequence)?.value}`)
    .sort();
  return [`${c?.scheme}|${c?.value}`, ...mods].join(' ');
}

function unitOf(num: Item): string | undefined {
  return codeOf(items(num.MeasuredValueSequence)[0]?.MeasurementUnitsCodeSequence)?.value;
}

/** SegmentNumbers Slicer creates segments for: those with at least one set voxel, in SegmentSequence order. */
function loadedSegments(seg: NaturalDataset): number[] {
  const counts = segVoxelCounts(seg);
  return items(seg.SegmentSequence)
    .map((s) => Number(s.SegmentNumber))
    .sort((a, b) => a - b)
    .filter((n) => (counts.get(n) ?? 0) > 0);
}

function walkCodes(node: Item, visit: (code: { value: string; scheme: string; meaning: string }) => void): void {
  for (const key of ['ConceptNameCodeSequence', 'ConceptCodeSequence']) {
    const c = codeOf(node[key]);
    if (c) visit(c);
  }
  for (const mv of items(node.MeasuredValueSequence)) {
    const u = codeOf(mv.MeasurementUnitsCodeSequence);
    if (u) visit(u);
  }
  for (const k of kids(node)) walkCodes(k, visit);
}

function walkItems(node: Item, visit: (item: Item, parent: Item) => void): void {
  for (const k of kids(node)) {
    visit(k, node);
    walkItems(k, visit);
  }
}

export function checkReaderRules(sr: NaturalDataset, ctx: CheckContext): Issue[] {
  const out: Issue[] = [];
  const err = (rule: string, message: string): void => void out.push({ severity: 'error', rule, message });
  const warn = (rule: string, message: string): void => void out.push({ severity: 'warning', rule, message });
  const root = sr;

  const template = items(sr.ContentTemplateSequence)[0];
  if (sr.Modality !== 'SR' || !SLICER_SR_CLASSES.has(String(sr.SOPClassUID)) || String(template?.TemplateIdentifier) !== '1500') {
    err('slicer.recognised', 'Slicer loads TID 1500 only from Modality SR, Enhanced/Comprehensive(3D) SR with TemplateIdentifier 1500');
  }

  // The SEG Slicer loads: the Segmentation in the evidence.
  let segUid: string | undefined;
  for (const st of items(sr.CurrentRequestedProcedureEvidenceSequence)) {
    for (const se of items(st.ReferencedSeriesSequence)) {
      for (const r of items(se.ReferencedSOPSequence)) if (r.ReferencedSOPClassUID === SopClass.Segmentation) segUid = String(r.ReferencedSOPInstanceUID);
    }
  }

  const measurements = kids(root).find((c) => conceptIs(c, '126010', 'DCM'));
  const groups = kids(measurements).filter((g) => conceptIs(g, '125007', 'DCM'));
  const referencesSeg = groups.some((g) => kids(g).some((k) => conceptIs(k, '121191', 'DCM')));
  if (referencesSeg && !segUid) err('slicer.seg-evidence', 'groups reference a SEG but no Segmentation is in CurrentRequestedProcedureEvidenceSequence');

  groups.forEach((g, i) => {
    const where = `measurement group ${i + 1}`;
    if (kids(g).some((k) => (k.ValueType === 'SCOORD' || k.ValueType === 'SCOORD3D') && conceptIs(k, '111030', 'DCM'))) {
      err('slicer.no-planar-roi', `${where} has an Image Region SCOORD: Slicer would read the SR as planar annotations and not load the SEG`);
    }
    const tid = kids(g).find((k) => conceptIs(k, '112039', 'DCM'));
    const tuid = kids(g).find((k) => conceptIs(k, '112040', 'DCM'));
    if (!tid?.TextValue || !tuid?.UID) err('slicer.tracking', `${where} lacks a Tracking Identifier or Tracking Unique Identifier`);
    if (!tuid?.UID) err('ohif.tracking-uid', `${where} has no Tracking Unique Identifier (OHIF merges groups by it)`);
    const ref = kids(g).find((k) => conceptIs(k, '121191', 'DCM'));
    const segNumbers = nums(items(ref?.ReferencedSOPSequence)[0]?.ReferencedSegmentNumber);
    if (segNumbers.length > 1) err('dcmqi.one-segment', `${where} references segments ${segNumbers.join(',')}: dcmqi keeps only the first`);
  });

  if (segUid) {
    const seg = ctx.byUid.get(segUid);
    if (!seg) {
      warn('slicer.group-per-segment', `the SEG ${segUid} is not in the checked set: group/segment correspondence not checked`);
    } else {
      const loaded = loadedSegments(seg);
      const referenced = groups.map((g) => nums(items(kids(g).find((k) => conceptIs(k, '121191', 'DCM'))?.ReferencedSOPSequence)[0]?.ReferencedSegmentNumber)[0]);
      if (referenced.length !== loaded.length || referenced.some((n, i) => n !== loaded[i])) {
        err(
          'slicer.group-per-segment',
          `Imaging Measurements groups reference segments [${referenced.map((n) => n ?? '-').join(',')}] but Slicer loads segments [${loaded.join(',')}] and assigns group i to loaded segment i`,
        );
      }
    }
  }
  if (!groups.length) warn('slicer.table', 'no measurement group: Slicer builds no table for this SR (it reads the first group); the SEG still loads');

  // Columns: same NUMs in the same order (and the same unit where both have a value) in every group.
  const columns = groups.map((g) => kids(g).filter((k) => k.ValueType === 'NUM'));
  const first = columns[0] ?? [];
  columns.forEach((nums_, i) => {
    if (i === 0) return;
    const a = first.map(columnKey).join('\n');
    const b = nums_.map(columnKey).join('\n');
    if (a !== b) {
      err('slicer.columns', `measurement group ${i + 1} lists other measurements than group 1 (Slicer fills the table by position)`);
      return;
    }
    nums_.forEach((n, k) => {
      const u1 = unitOf(first[k]!);
      const u2 = unitOf(n);
      if (u1 && u2 && u1 !== u2) err('slicer.columns', `measurement group ${i + 1}, column ${k + 1}: unit ${u2} differs from group 1 (${u1})`);
    });
  });

  // SCOORD lines outside Imaging Measurements are not drawn by OHIF.
  walkItems(root, (item, parent) => {
    if (item.ValueType !== 'SCOORD' || !measurements) return;
    const inGroup = groups.some((g) => g === parent || kids(g).includes(parent));
    if (!inGroup) warn('ohif.lines', 'a SCOORD outside the Imaging Measurements groups: OHIF does not draw it');
  });

  // Coding.
  const byMeaning = new Map<string, string>();
  walkCodes(root, (c) => {
    if (c.meaning.endsWith('...')) err('code.meaning-cut', `${c.scheme} ${c.value}: CodeMeaning "${c.meaning}" is cut`);
    const norm = c.meaning.toLowerCase().replace(/[^a-z0-9]+/g, '');
    const id = `${c.scheme}|${c.value}`;
    const seen = byMeaning.get(norm);
    if (seen && seen !== id) err('code.one-per-meaning', `"${c.meaning}" is coded both as ${seen} and as ${id}`);
    else byMeaning.set(norm, id);
  });
  const results = new Map<string, number>();
  walkItems(root, (k) => {
    const c = codeOf(k.ConceptNameCodeSequence);
    const id = `${c?.scheme}|${c?.value}`;
    if (k.ValueType === 'CODE' && k.RelationshipType === 'CONTAINS' && RESULT_CONCEPTS.has(id)) results.set(id, (results.get(id) ?? 0) + 1);
  });
  for (const [id, n] of results) if (n > 1) err('code.result-once', `${id} is reported ${n} times`);
  return out;
}
