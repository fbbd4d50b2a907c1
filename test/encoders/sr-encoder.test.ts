/**
 * TID 1500 SR: content read back with dcmjs and compared with the Findings; the file parsed by DCMTK dsrdump and
 * dicom3tools dcsrdump; conformance checked with the SEG and sources (dciodvfy zero errors).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkConformance, formatReport } from '../../conformance/check';
import { SopClass } from '../../src/dicom/constants';
import { readP10 } from '../../src/dicom/p10';
import { encodeResults } from '../../src/encoders';
import { PRIVATE_SCHEME } from '../../src/encoders/codes';
import type { EncoderOptions } from '../../src/encoders/options';
import { AXIAL, syntheticCase, type GridSpec } from '../../src/encoders/testing/synthetic-findings';
import { runTool } from '../helpers/dcmtk';
import { writeCase } from './helpers/case-files';
import { codeValue, concept, find, groups, kids, numValue, one, type Node } from './helpers/sr-tree';

const GRID: GridSpec = { columns: 20, rows: 18, slices: 10, spacing: [1, 1, 2.5], ...AXIAL, origin: [-10, -9, 0] };
const OPTS: EncoderOptions = { node: { name: 'sr-test', version: '0.1.0' }, now: new Date('2026-02-03T04:05:06'), pdf: { enabled: false }, keyImages: { enabled: false } };
let dir: string;
beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'sr-test-'))));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function encodeCase(key: string, opts: EncoderOptions = OPTS, mutate?: (c: ReturnType<typeof syntheticCase>) => void) {
  const c = syntheticCase({ grid: GRID, key });
  mutate?.(c);
  const caseDir = join(dir, key);
  const { sourceFiles } = await writeCase(c, join(caseDir, 'src'));
  const out = await encodeResults(c.findings, c.header, opts);
  const files = out.objects.map((o) => join(caseDir, o.fileName));
  out.objects.forEach((o, i) => writeFileSync(files[i]!, o.bytes));
  const sr = out.objects.find((o) => o.kind === 'sr')!;
  return { c, out, files, sourceFiles, srFile: join(caseDir, 'sr.dcm'), root: readP10(sr.bytes).dataset as Node };
}

describe('TID 1500 content', () => {
  let r: Awaited<ReturnType<typeof encodeCase>>;
  beforeAll(async () => {
    r = await encodeCase('full');
  });

  test('conformance: dciodvfy zero errors, dsrdump + dcsrdump parse, structural checks pass', async () => {
    const report = await checkConformance([...r.files, ...r.sourceFiles]);
    expect(report.ok ? '' : formatReport(report)).toBe('');
    const dump = await runTool('dsrdump', ['+Pt', r.srFile]);
    expect(dump.code).toBe(0);
    expect(dump.stdout).toContain('Imaging Measurement Report');
    expect(dump.stdout).toMatch(/TID 1500/);
  });

  test('root: template 1500, device observer, procedure, evidence holds the inputs and the SEG', () => {
    const root = r.root;
    expect(concept(root)).toMatchObject({ value: '126000', scheme: 'DCM' });
    expect((root.ContentTemplateSequence as Node[])[0]).toMatchObject({ MappingResource: 'DCMR', TemplateIdentifier: '1500' });
    expect(codeValue(one(root, '121005', 'DCM')).value).toBe('121007');
    expect(one(root, '121013', 'DCM').TextValue).toBe('sr-test');
    expect(codeValue(one(root, '121058', 'DCM')).value).toBe('24590-2');
    const evidence = (root.CurrentRequestedProcedureEvidenceSequence as Node[]).flatMap((s) =>
      (s.ReferencedSeriesSequence as Node[]).flatMap((x) => (x.ReferencedSOPSequence as Node[]).map((y) => String(y.ReferencedSOPInstanceUID))),
    );
    const seg = r.out.objects.find((o) => o.kind === 'seg')!;
    expect(evidence).toContain(seg.sopInstanceUid);
    for (const s of r.c.findings.inputs) for (const uid of s.sopInstanceUids) expect(evidence).toContain(uid);
    expect(root.VerificationFlag).toBe('UNVERIFIED');
    expect((root.CodingSchemeIdentificationSequence as Node[]).map((x) => x.CodingSchemeDesignator)).toEqual([PRIVATE_SCHEME, 'IBSI']);
  });

  test('image library: one group per input series with its role and every instance', () => {
    const lib = one(r.root, '111028', 'DCM');
    const libGroups = find(lib, '126200', 'DCM');
    expect(libGroups).toHaveLength(4);
    for (const input of r.c.findings.inputs) {
      const g = libGroups.find((x) => one(x, '112002', 'DCM').UID === input.seriesInstanceUid)!;
      expect(codeValue(one(g, 'INROLE', PRIVATE_SCHEME)).value).toBe(`SEQ-${input.role.toUpperCase()}`);
      expect(kids(g).filter((k) => k.ValueType === 'IMAGE')).toHaveLength(input.sopInstanceUids.length);
    }
  });

  test('one TID 1411 group per region, each with tracking UID, segment reference and the volume in cm3', () => {
    const g = groups(r.root);
    const seg = r.out.seg!;
    expect([...g.keys()].map((k) => k.split(' ')[0])).toEqual(['Bidimensional', 'NCR', 'ED', 'ET', 'TC', 'WT', 'Modality']);
    for (const region of r.c.findings.regions) {
      const group = [...g.entries()].find(([k]) => k.startsWith(`${region.key} `))![1];
      expect((group.ContentTemplateSequence as Node[])[0]!.TemplateIdentifier).toBe('1411');
      expect(String(one(group, '112040', 'DCM').UID)).toBe(r.out.uids.tracking(region.key));
      const ref = (one(group, '121191', 'DCM').ReferencedSOPSequence as Node[])[0]!;
      expect(ref.ReferencedSOPInstanceUID).toBe(seg.sopInstanceUid);
      const numbers = [ref.ReferencedSegmentNumber].flat().map(Number).sort();
      expect(numbers).toEqual(region.labelValues.map((v) => seg.segments.find((s) => s.labelValues[0] === v)!.number).sort());
      expect(one(group, '121232', 'DCM').UID).toBe(r.c.findings.referenceSeries.seriesInstanceUid);
      const vol = numValue(one(group, '118565006', 'SCT'));
      expect(vol.unit).toBe('cm3');
      expect(Math.abs(vol.value - region.volumeMl)).toBeLessThanOrEqual(0.00005 + 1e-12); // 0.1 mm3 resolution
      expect(codeValue(one(group, '363698007', 'SCT')).value).toBe('12738006');
      expect(String(one(group, '111002', 'DCM').TextValue)).toContain(`sha256=${r.c.findings.model.sha256}`);
    }
  });

  test('bidimensional group: long and short axis NUMs in mm, each inferred from a SCOORD line on the display image', () => {
    const b = r.c.findings.bidimensional!;
    expect(b.region).toBe('ET');
    const group = groups(r.root).get('Bidimensional ET (RANO)')!;
    expect((group.ContentTemplateSequence as Node[])[0]!.TemplateIdentifier).toBe('1501');
    // The tracking UID of the lesion it measures (the ET group's).
    expect(String(one(group, '112040', 'DCM').UID)).toBe(r.out.uids.tracking('ET'));
    expect(String(one(groups(r.root).get('ET - Enhancing tumour')!, '112040', 'DCM').UID)).toBe(r.out.uids.tracking('ET'));
    const spacing = [1, 1]; // GRID in-plane spacing
    const lines: number[][] = [];
    for (const [code, d] of [['103339001', b.long], ['103340004', b.short]] as const) {
      const num = one(group, code, 'SCT');
      expect(numValue(num)).toEqual({ value: Math.round(d.lengthMm * 10) / 10, unit: 'mm' });
      const scoord = kids(num).find((k) => k.ValueType === 'SCOORD')!;
      expect(scoord.RelationshipType).toBe('INFERRED FROM');
      expect(scoord.GraphicType).toBe('POLYLINE');
      const data = [scoord.GraphicData].flat().map(Number);
      expect(data).toEqual([d.from[0] + 0.5, d.from[1] + 0.5, d.to[0] + 0.5, d.to[1] + 0.5]);
      const img = kids(scoord)[0]!;
      expect(img.RelationshipType).toBe('SELECTED FROM');
      expect((img.ReferencedSOPSequence as Node[])[0]!.ReferencedSOPInstanceUID).toBe(b.source.sopInstanceUid);
      // The line drawn is the length reported.
      expect(Math.hypot((data[2]! - data[0]!) * spacing[0]!, (data[3]! - data[1]!) * spacing[1]!)).toBeCloseTo(d.lengthMm, 6);
      lines.push(data);
    }
    const [l, s] = lines as [number[], number[]];
    const cos = ((l[2]! - l[0]!) * (s[2]! - s[0]!) + (l[3]! - l[1]!) * (s[3]! - s[1]!)) / (Math.hypot(l[2]! - l[0]!, l[3]! - l[1]!) * Math.hypot(s[2]! - s[0]!, s[3]! - s[1]!));
    expect(Math.abs(cos)).toBeLessThan(Math.sin((15 * Math.PI) / 180)); // perpendicular within 15 degrees on a coarse grid
    expect(numValue(one(group, 'RANOPROD', PRIVATE_SCHEME))).toEqual({ value: Math.round(b.productMm2 * 10) / 10, unit: 'mm2' });
    expect(codeValue(one(group, 'RANOMEAS', PRIVATE_SCHEME)).value).toBe(b.measurable ? '373066001' : '373067005');
    // ET blob radius 0.12 x 20 columns: about 4.8 mm, so not measurable by RANO's 10 mm rule.
    expect(b.measurable).toBe(false);
  });

  test('classification in the WT group: coded values, probabilities, certainty, uncertainty', () => {
    const wt = [...groups(r.root).entries()].find(([k]) => k.startsWith('WT '))![1];
    expect(codeValue(one(wt, 'IDHSTAT', PRIVATE_SCHEME))).toMatchObject({ value: 'IDH-WT', meaning: 'IDH-wildtype' });
    expect(codeValue(one(wt, 'CNSGRADE', PRIVATE_SCHEME))).toMatchObject({ value: 'C62397', scheme: 'NCIt' });
    expect(codeValue(one(wt, '116677004', 'SCT')).value).toBe('INDET'); // histology head is indeterminate
    expect(numValue(one(wt, 'P-IDH-MUTANT', PRIVATE_SCHEME))).toEqual({ value: 0.17, unit: '1' });
    expect(numValue(one(wt, 'P-IDH-WILDTYPE', PRIVATE_SCHEME)).value).toBe(0.83);
    const certainties = find(wt, '111013', 'DCM').map((n) => numValue(n));
    expect(certainties).toContainEqual({ value: 83, unit: '%' });
    // Every NUM has a child (old OHIF crashed without one).
    for (const n of kids(wt).filter((k) => k.ValueType === 'NUM')) expect(kids(n).length).toBeGreaterThan(0);
    // Other groups carry no classification.
    const et = [...groups(r.root).entries()].find(([k]) => k.startsWith('ET '))![1];
    expect(find(et, 'IDHSTAT', PRIVATE_SCHEME)).toHaveLength(0);
  });

  test('radiomics with IBSI codes, modality importance group, qualitative evaluations and narratives', () => {
    const g = groups(r.root);
    const wt = [...g.entries()].find(([k]) => k.startsWith('WT '))![1];
    expect(numValue(one(wt, 'QCFX', 'IBSI')).value).toBe(0.71);
    expect(numValue(one(wt, 'L0JK', 'IBSI'))).toEqual({ value: 58.2, unit: 'mm' });
    const mi = g.get('Modality importance (leave-one-out)')!;
    const deltas = find(mi, 'MIDELTA', PRIVATE_SCHEME);
    expect(deltas).toHaveLength(4);
    expect(deltas.map((d) => codeValue(one(d, 'MIREMOVED', PRIVATE_SCHEME)).value)).toContain('SEQ-FLAIR');
    const qe = one(r.root, 'C0034375', 'UMLS');
    expect(kids(qe).every((k) => k.ValueType === 'CODE' || k.ValueType === 'TEXT')).toBe(true);
    expect(codeValue(one(qe, 'INTDX', PRIVATE_SCHEME))).toMatchObject({ value: 'C39750', scheme: 'NCIt' });
    expect(codeValue(one(qe, 'UNCLEVEL', PRIVATE_SCHEME)).value).toBe('UNC-MODERATE');
    expect(String(one(qe, 'NARRDR', PRIVATE_SCHEME).TextValue)).toContain('RESEARCH USE ONLY');
    expect(String(one(qe, 'NARRPT', PRIVATE_SCHEME).TextValue)).toContain('not a diagnosis');
    expect(String(one(qe, '121106', 'DCM').TextValue)).toMatch(/trained on synthetic data/);
  });
});

describe('variants', () => {
  test('missing modalities are coded; predecessors go to PredecessorDocumentsSequence', async () => {
    const predecessor = { studyInstanceUid: '1.2.3', seriesInstanceUid: '1.2.3.4', sopClassUid: SopClass.ComprehensiveSR, sopInstanceUid: '1.2.3.4.5' };
    const r = await encodeCase('missing', { ...OPTS, predecessors: [predecessor] }, (c) => {
      c.findings.missingModalities = ['t1'];
    });
    const qe = one(r.root, 'C0034375', 'UMLS');
    expect(codeValue(one(qe, 'MISSMOD', PRIVATE_SCHEME)).value).toBe('SEQ-T1');
    const pred = r.root.PredecessorDocumentsSequence as Node[];
    expect(pred[0]!.StudyInstanceUID).toBe('1.2.3');
    expect(((pred[0]!.ReferencedSeriesSequence as Node[])[0]!.ReferencedSOPSequence as Node[])[0]!.ReferencedSOPInstanceUID).toBe('1.2.3.4.5');
    expect(String(one(qe, 'SUPERSEDES', PRIVATE_SCHEME).TextValue)).toBe('1.2.3.4.5');
  });

  test('classification-only findings: no SEG, a TID 1501 group carries the heads', async () => {
    const r = await encodeCase('cls-only', OPTS, (c) => {
      delete c.findings.segmentation;
      c.findings.regions = [];
    });
    expect(r.out.objects.map((o) => o.kind)).toEqual(['sr']);
    const g = groups(r.root).get('Tumour classification')!;
    expect((g.ContentTemplateSequence as Node[])[0]!.TemplateIdentifier).toBe('1501');
    expect(find(g, '121191', 'DCM')).toHaveLength(0);
    expect(codeValue(one(g, 'IDHSTAT', PRIVATE_SCHEME)).value).toBe('IDH-WT');
    const report = await checkConformance([...r.files, ...r.sourceFiles]);
    expect(report.ok ? '' : formatReport(report)).toBe('');
  });

  test('non-ASCII patient name: UTF-8 (ISO_IR 192) and read back intact', async () => {
    const r = await encodeCase('utf8', OPTS, (c) => {
      c.header.PatientName = 'Müller^Zoë';
    });
    expect(r.root.SpecificCharacterSet).toBe('ISO_IR 192');
    const dump = await runTool('dcmdump', ['+U8', '+P', '0010,0010', r.srFile]);
    expect(dump.stdout).toContain('Müller^Zoë');
  });
});
