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
import { codeItem, PRIVATE_SCHEME } from '../../src/encoders/codes';
import { ucumUnits } from '../../src/encoders/conformance/validators';
import type { EncoderOptions } from '../../src/encoders/options';
import { AXIAL, regionsFromLabelmap, syntheticCase, type GridSpec } from '../../src/testing/synthetic-findings';
import { SURVIVAL_STATEMENT, syntheticSurvival } from '../../src/testing/synthetic-survival';
import { runTool } from '../helpers/dcmtk';
import { writeCase } from './helpers/case-files';
import { codeValue, concept, derived, derivedFor, find, groups, kids, modifier, notAttempted, numValue, one, type Node } from './helpers/sr-tree';

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
  return { c, out, files, sourceFiles, srFile: join(caseDir, 'sr.dcm'), root: readP10(sr.bytes).dataset };
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

  test('Imaging Measurements: one TID 1411 group per non-empty SEG segment, in segment order, one segment each, same measurements', () => {
    const g = groups(r.root);
    const seg = r.out.seg!;
    // Only the segments: TC, WT, the RANO measurement, importance and classification are elsewhere.
    expect([...g.keys()].map((k) => k.split(' ')[0])).toEqual(seg.segments.map((s) => s.key));
    const columns: string[][] = [];
    for (const s of seg.segments) {
      const group = [...g.entries()].find(([k]) => k.startsWith(`${s.key} `))![1];
      const region = r.c.findings.regions.find((x) => x.key === s.key)!;
      expect((group.ContentTemplateSequence as Node[])[0]!.TemplateIdentifier).toBe('1411');
      expect(String(one(group, '112040', 'DCM').UID)).toBe(r.out.uids.tracking(s.key));
      const ref = (one(group, '121191', 'DCM').ReferencedSOPSequence as Node[])[0]!;
      expect(ref.ReferencedSOPInstanceUID).toBe(seg.sopInstanceUid);
      expect([ref.ReferencedSegmentNumber].flat().map(Number)).toEqual([s.number]);
      expect(codeValue(one(group, '121071', 'DCM'))).toMatchObject({ value: s.type.value, scheme: s.type.scheme });
      expect(one(group, '121232', 'DCM').UID).toBe(r.c.findings.referenceSeries.seriesInstanceUid);
      const vol = numValue(one(group, '118565006', 'SCT'));
      expect(vol.unit).toBe('cm3');
      expect(Math.abs(vol.value - region.volumeMl)).toBeLessThanOrEqual(0.00005 + 1e-12); // 0.1 mm3 resolution
      expect(codeValue(one(group, '363698007', 'SCT')).value).toBe('12738006');
      expect(String(one(group, '111002', 'DCM').TextValue)).toContain(`sha256=${r.c.findings.model.sha256}`);
      columns.push(kids(group).filter((k) => k.ValueType === 'NUM').map((k) => concept(k).value));
    }
    // Slicer takes its columns from the first group and fills the rows by position.
    for (const c of columns) expect(c).toEqual(columns[0]);
    expect(columns[0]!.slice(0, 2)).toEqual(['118565006', 'MEANUNC']);
  });

  test('TC and WT: derived volumes that name their segments, not groups of one segment', () => {
    const seg = r.out.seg!;
    const num = (key: string): number => seg.segments.find((s) => s.key === key)!.number;
    for (const [key, code, members] of [['TC', '108369006', ['NCR', 'ET']], ['WT', '52988006', ['NCR', 'ED', 'ET']]] as const) {
      const region = r.c.findings.regions.find((x) => x.key === key)!;
      const [vol] = derivedFor(r.root, '118565006', code);
      expect(numValue(vol!)).toEqual({ value: Math.round(region.volumeMl * 1e4) / 1e4, unit: 'cm3' });
      const ref = kids(vol).find((k) => concept(k).value === '121191')!;
      expect(ref.RelationshipType).toBe('INFERRED FROM');
      const numbers = [(ref.ReferencedSOPSequence as Node[])[0]!.ReferencedSegmentNumber].flat().map(Number);
      expect(numbers.sort()).toEqual(members.map(num).sort());
    }
  });

  test('bidimensional: long and short axis in the measured segment\'s group, each inferred from a SCOORD line; other groups: not attempted', () => {
    const b = r.c.findings.bidimensional!;
    expect(b.region).toBe('ET');
    const all = groups(r.root);
    const group = [...all.entries()].find(([k]) => k.startsWith('ET '))![1];
    // The tracking UID of the lesion it measures: the ET group's own.
    expect(String(one(group, '112040', 'DCM').UID)).toBe(r.out.uids.tracking('ET'));
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
    for (const key of ['NCR', 'ED']) {
      const other = [...all.entries()].find(([k]) => k.startsWith(`${key} `))![1];
      const long = one(other, '103339001', 'SCT');
      expect(notAttempted(long)).toBe(true);
      expect(String(kids(long).find((k) => concept(k).value === '121106')!.TextValue)).toBe('bidimensional measurement made on Enhancing tumour only');
    }
  });

  test('classification: each result once in Qualitative Evaluations; one Probability concept with the class as modifier', () => {
    const qe = one(r.root, 'C0034375', 'UMLS');
    expect(codeValue(one(qe, 'IDHSTAT', PRIVATE_SCHEME))).toMatchObject({ value: 'IDH-WT', meaning: 'IDH-wildtype' });
    expect(codeValue(one(qe, '1P19QSTAT', PRIVATE_SCHEME)).value).toBe('1P19Q-INTACT');
    expect(codeValue(one(qe, 'CNSGRADE', PRIVATE_SCHEME))).toMatchObject({ value: 'C62397', scheme: 'NCIt' });
    expect(codeValue(one(qe, '116677004', 'SCT')).value).toBe('INDET'); // histology head is indeterminate
    expect(codeValue(one(qe, 'INTDX', PRIVATE_SCHEME))).toMatchObject({ value: 'C39750', scheme: 'NCIt' });
    // No group carries a classification result.
    for (const g of groups(r.root).values()) expect(find(g, 'IDHSTAT', PRIVATE_SCHEME)).toHaveLength(0);
    const probabilities = derived(r.root).filter((n) => concept(n).value === '122157');
    const idh = (cls: string): Node => probabilities.find((n) => modifier(n, 'IDHSTAT') === cls)!;
    expect(numValue(idh('IDH-MUT'))).toEqual({ value: 0.17, unit: '1' });
    expect(numValue(idh('IDH-WT')).value).toBe(0.83);
    expect(probabilities.find((n) => modifier(n, 'INTDX') === 'C39750')).toBeDefined();
    const certainties = derived(r.root).filter((n) => concept(n).value === '111013').map((n) => numValue(n));
    expect(certainties).toContainEqual({ value: 83, unit: '%' });
    // No private code per class; every NUM has a child (old OHIF crashed without one).
    const allCodes = JSON.stringify(r.root);
    expect(allCodes).not.toMatch(/"P-[0-9A-F]{6,}"/);
    expect([...allCodes.matchAll(/"CodeMeaning":"([^"]*)"/g)].map((m) => m[1]).filter((m) => m!.endsWith('...'))).toEqual([]);
    for (const n of derived(r.root)) expect(kids(n).length).toBeGreaterThan(0);
  });

  test('radiomics: IBSI meanings of PS3.16, the grid named; per-segment features aligned, composite ones derived; importance derived', () => {
    const wtSph = derivedFor(r.root, 'QCFX', '52988006');
    expect(wtSph).toHaveLength(1);
    expect(concept(wtSph[0]!).meaning).toBe('Sphericity');
    expect(numValue(wtSph[0]!).value).toBe(0.71);
    const diam = derivedFor(r.root, 'L0JK', '52988006')[0]!;
    expect(concept(diam).meaning).toBe('Maximum 3D Diameter of a Mesh');
    expect(numValue(diam)).toEqual({ value: 58.2, unit: 'mm' });
    const method = kids(diam).find((k) => concept(k).value === '370129005')!;
    expect(codeValue(method)).toMatchObject({ value: 'RADIOMICS', meaning: 'Radiomic feature on the model input grid (resampled)' });
    // The ET first-order feature sits in the ET group; NCR and ED list it as not attempted (same columns).
    const g = groups(r.root);
    const rfIn = (key: string): Node => kids([...g.entries()].find(([k]) => k.startsWith(`${key} `))![1]).find((k) => concept(k).value.startsWith('RF-'))!;
    expect(numValue(rfIn('ET')).value).toBe(1.37);
    expect(notAttempted(rfIn('NCR'))).toBe(true);
    const deltas = derived(r.root).filter((n) => concept(n).value === 'MIDELTA');
    expect(deltas).toHaveLength(4);
    expect(deltas.map((d) => modifier(d, 'MIREMOVED'))).toContain('SEQ-FLAIR');
    const qe = one(r.root, 'C0034375', 'UMLS');
    expect(kids(qe).every((k) => k.ValueType === 'CODE' || k.ValueType === 'TEXT')).toBe(true);
    expect(codeValue(one(qe, 'UNCLEVEL', PRIVATE_SCHEME)).value).toBe('UNC-MODERATE');
    expect(String(one(qe, 'NARRDR', PRIVATE_SCHEME).TextValue)).toContain('RESEARCH USE ONLY');
    expect(String(one(qe, 'NARRPT', PRIVATE_SCHEME).TextValue)).toContain('not a diagnosis');
    expect(String(one(qe, '121106', 'DCM').TextValue)).toMatch(/trained on synthetic data/);
  });

  test('every unit is valid UCUM in CodeValue (NLM ucum-lhc)', () => {
    expect(ucumUnits(r.root)).toEqual([]);
    // The validator does reject what we used to write.
    expect(ucumUnits({ MeasuredValueSequence: [{ MeasurementUnitsCodeSequence: [{ CodeValue: '{fraction of TC}', CodingSchemeDesignator: 'UCUM' }] }] })).toHaveLength(1);
  });
});

describe('variants', () => {
  test('survival: one container per head, statement first, probabilities with their TTA spread, risk group, age (dciodvfy 0 errors, dsrdump reads it)', async () => {
    const r = await encodeCase('survival', OPTS, (c) => {
      c.findings.survival = [syntheticSurvival()];
    });
    const report = await checkConformance([...r.files, ...r.sourceFiles]);
    expect(report.ok ? '' : formatReport(report)).toBe('');
    const dump = await runTool('dsrdump', ['+Pt', '+Pl', r.srFile]);
    expect(dump.code).toBe(0);
    expect(dump.stdout).toContain('Overall survival estimate (population statistics)');
    expect(dump.stdout).toContain('not a prediction for this patient');
    const box = one(r.root, 'SURVIVAL', PRIVATE_SCHEME);
    expect(box.ValueType).toBe('CONTAINER');
    const items = kids(box);
    expect(concept(items[0]!).value).toBe('SURVSTMT');
    expect(String(items[0]!.TextValue)).toBe(SURVIVAL_STATEMENT);
    expect(codeValue(one(box, 'OUTCOMES', PRIVATE_SCHEME)).value).toBe('OUTC-SYNTH');
    expect(numValue(one(box, '121033', 'DCM'))).toEqual({ value: 54, unit: 'a' });
    expect(numValue(one(box, 'SURV12M', PRIVATE_SCHEME)).value).toBeCloseTo(0.7812, 6);
    expect(numValue(one(box, 'SURV24M-SD', PRIVATE_SCHEME)).value).toBeCloseTo(0.034, 6);
    expect(numValue(one(box, 'SURV60M-MIN', PRIVATE_SCHEME)).value).toBeCloseTo(0.17, 6);
    expect(numValue(one(box, 'SURV60M-MAX', PRIVATE_SCHEME)).value).toBeCloseTo(0.24, 6);
    // "RISK-INTERMEDIATE" is over the 16 characters of a CodeValue: a hash of the name, the meaning readable.
    expect(codeValue(one(box, 'RISKGROUP', PRIVATE_SCHEME))).toEqual({ value: expect.stringMatching(/^RISK-[0-9A-F]{11}$/) as string, scheme: PRIVATE_SCHEME, meaning: 'intermediate risk (population statistics)' });
    expect(String(one(box, 'SURVUNC', PRIVATE_SCHEME).TextValue)).toMatch(/8 flip TTA passes/);
    expect(ucumUnits(r.root)).toEqual([]);
  });

  test('survival not assessable: the reason, no figures (dciodvfy 0 errors)', async () => {
    const r = await encodeCase('survival-na', OPTS, (c) => {
      c.findings.survival = [syntheticSurvival('not-assessable')];
    });
    const report = await checkConformance([...r.files, ...r.sourceFiles]);
    expect(report.ok ? '' : formatReport(report)).toBe('');
    const box = one(r.root, 'SURVIVAL', PRIVATE_SCHEME);
    expect(codeValue(one(box, 'SURVIVAL', PRIVATE_SCHEME)).value).toBe('SURV-NOTASSESS');
    expect(String(one(box, 'SURVREASON', PRIVATE_SCHEME).TextValue)).toBe('patient age unknown: no PatientAge, PatientBirthDate/StudyDate');
    expect(find(box, 'SURV12M', PRIVATE_SCHEME)).toEqual([]);
    expect(find(box, '121033', 'DCM')).toEqual([]);
  });

  test('a WebGPU run: the provider that ran is in the SR and SEG Algorithm Parameters (dciodvfy 0 errors)', async () => {
    const r = await encodeCase('webgpu', OPTS, (c) => {
      c.findings.model.executionProvider = 'webgpu';
    });
    const group = [...groups(r.root).values()][0]!;
    const params = find(group, '111002', 'DCM').map((n) => String(n.TextValue));
    expect(params[0]).toMatch(/^model\.onnx sha256=[0-9a-f]+; execution provider=webgpu; node=sr-test 0\.1\.0$/);
    const seg = r.out.objects.find((o) => o.kind === 'seg')!;
    const segDs = readP10(seg.bytes).dataset as Record<string, unknown>;
    expect(JSON.stringify(segDs)).toContain('execution provider=webgpu');
    const report = await checkConformance([...r.files, ...r.sourceFiles]);
    expect(report.ok ? '' : formatReport(report)).toBe('');
  });

  test('registration provenance: method, engine and version, per-series transform and metric as Algorithm Parameters (dciodvfy 0 errors)', async () => {
    const r = await encodeCase('registration', OPTS, (c) => {
      const [t1, t2] = c.findings.inputs.filter((i) => i.role !== 't1ce');
      const shifted = [1, 0, 0, 1.5, 0, 1, 0, -2, 0, 0, 1, 0.25, 0, 0, 0, 1];
      const entry = { rotationDeg: 0, metric: { name: 'mutual information (nats, 32 bins)', before: 0.41, after: 0.63 }, headOverlap: { before: 0.9, after: 0.97 }, elapsedMs: 1200 };
      c.findings.registration = {
        method: 'rigid', description: 'rigid (6 parameters) to T1ce, Mattes mutual information, 3 resolutions, 4 mm',
        engine: { name: 'elastix', implementation: '@itk-wasm/elastix (WebAssembly)', version: '1.0.1' },
        referenceRole: 't1ce', referenceSeriesInstanceUid: c.findings.inputs.find((i) => i.role === 't1ce')!.seriesInstanceUid, samplingMm: 4,
        series: [
          { ...entry, role: t1!.role, seriesInstanceUid: t1!.seriesInstanceUid, outcome: 'aligned', translationMm: [1.5, -2, 0.25], transform: shifted },
          { ...entry, role: t2!.role, seriesInstanceUid: t2!.seriesInstanceUid, outcome: 'refused', reason: 'rotation 22.0 deg exceeds 15 deg', rotationDeg: 22, translationMm: [0, 0, 0], transform: shifted },
        ],
      };
    });
    const group = [...groups(r.root).values()][0]!;
    const params = find(group, '111002', 'DCM').map((n) => String(n.TextValue));
    expect(params[0]).toMatch(/^model\.onnx sha256=/);
    expect(params[1]).toMatch(/^inter-series registration: rigid .* to T1ce, Mattes mutual information.*; engine elastix 1\.0\.1 \(@itk-wasm\/elastix \(WebAssembly\)\); reference T1ce series /);
    expect(params[2]).toMatch(/: aligned; rotation 0\.00 deg; translation 1\.50 -2\.00 0\.25 mm; transform p_series = M p_reference \(LPS mm\) \[1\.00000 0\.00000 0\.00000 1\.50; .*\]; mutual information \(nats, 32 bins\) 0\.4100 -> 0\.6300; head-mask Dice 0\.900 -> 0\.970$/);
    expect(params[3]).toMatch(/: refused \(rotation 22\.0 deg exceeds 15 deg; DICOM geometry used\)/);
    const report = await checkConformance([...r.files, ...r.sourceFiles]);
    expect(report.ok ? '' : formatReport(report)).toBe('');
  });

  test('template space and brain extraction are listed as Algorithm Parameters (dciodvfy 0 errors)', async () => {
    const lines = [
      'template space: Colin27 (mricron ch2, MNI space) stands in for SRI24; grid 240x240x155 at 1x1x1 mm; template->patient affine [1.044 -0.176 -0.147 8.433; 0.194 1.068 0.159 -24.208; 0.121 -0.204 0.985 2.496]',
      'brain extraction: atlas: Colin27 (mricron ch2, MNI space) brain mask (ch2bet) warped by affine + bspline registration, elastix 1.0.1 (@itk-wasm/elastix (WebAssembly)) (48.0 s)',
    ];
    const r = await encodeCase('template-space', OPTS, (c) => {
      c.findings.spatialPreprocessing = lines;
    });
    const group = [...groups(r.root).values()][0]!;
    const params = find(group, '111002', 'DCM').map((n) => String(n.TextValue));
    expect(params.slice(-2)).toEqual(lines);
    const report = await checkConformance([...r.files, ...r.sourceFiles]);
    expect(report.ok ? '' : formatReport(report)).toBe('');
  });

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

  test('classification-only findings: no SEG, no measurement group; results in Qualitative Evaluations, probabilities derived', async () => {
    const r = await encodeCase('cls-only', OPTS, (c) => {
      delete c.findings.segmentation;
      c.findings.regions = [];
    });
    expect(r.out.objects.map((o) => o.kind)).toEqual(['sr']);
    expect(groups(r.root).size).toBe(0);
    expect(codeValue(one(one(r.root, 'C0034375', 'UMLS'), 'IDHSTAT', PRIVATE_SCHEME)).value).toBe('IDH-WT');
    expect(derived(r.root).filter((n) => concept(n).value === '122157').length).toBeGreaterThan(0);
    const report = await checkConformance([...r.files, ...r.sourceFiles]);
    expect(report.ok ? '' : formatReport(report)).toBe('');
  });

  test('nothing segmented: no measurement group (Slicer: no table, a warning), every volume 0 as a derived measurement', async () => {
    const r = await encodeCase('tumour-free', OPTS, (c) => {
      const lm = c.findings.segmentation!.labelmap;
      lm.data = new Uint8Array(lm.data.length);
      c.findings.regions = regionsFromLabelmap(lm, c.findings.segmentation!.segments);
      c.findings.radiomics = [];
      delete c.findings.bidimensional;
    });
    expect(groups(r.root).size).toBe(0);
    const volumes = derived(r.root).filter((n) => concept(n).value === '118565006').map((n) => numValue(n));
    expect(volumes).toHaveLength(5);
    expect(volumes.every((v) => v.value === 0 && v.unit === 'cm3')).toBe(true);
    const report = await checkConformance([...r.files, ...r.sourceFiles]);
    expect(report.ok ? '' : formatReport(report)).toBe('');
    expect(report.objects.flatMap((o) => o.issues).map((i) => i.rule)).toContain('slicer.table');
  });

  test('segmentation withheld: the tumour volume is "not attempted" with the withholding reason', async () => {
    const r = await encodeCase('withheld', OPTS, (c) => {
      delete c.findings.segmentation;
      c.findings.regions = [];
      delete c.findings.bidimensional;
      c.findings.segmentationWithheld = { missing: ['flair'], requires: [['flair']], reason: 'segmentation withheld: FLAIR missing' };
    });
    const [vol] = derivedFor(r.root, '118565006', '52988006');
    expect(notAttempted(vol!)).toBe(true);
    expect(String(kids(vol).find((k) => concept(k).value === '121106')!.TextValue)).toBe('segmentation withheld: FLAIR missing');
  });

  test('no T1ce: no Enhancing segment in the SEG, ET and TC volumes "not attempted" with the reason, no zero', async () => {
    const r = await encodeCase('no-t1ce', OPTS, (c) => {
      c.findings.missingModalities = ['t1ce'];
    });
    const seg = r.out.seg!;
    expect(seg.segments.map((s) => s.key)).toEqual(['NCR', 'ED']);
    expect([...groups(r.root).keys()].map((k) => k.split(' ')[0])).toEqual(['NCR', 'ED']);
    for (const code of ['C113842', '108369006']) {
      const [vol] = derivedFor(r.root, '118565006', code);
      expect(notAttempted(vol!)).toBe(true);
      expect(String(kids(vol).find((k) => concept(k).value === '121106')!.TextValue)).toBe('no T1ce series: enhancement cannot be assessed');
    }
    const qe = one(r.root, 'C0034375', 'UMLS');
    expect(find(qe, 'NOTASSESS', PRIVATE_SCHEME).map((n) => codeValue(n).value)).toEqual(['C113842', '108369006']);
    // The RANO measurement was on ET: not reported either.
    expect(JSON.stringify(r.root)).not.toContain('"103339001"');
    const report = await checkConformance([...r.files, ...r.sourceFiles]);
    expect(report.ok ? '' : formatReport(report)).toBe('');
  });

  test('composite segments: TC and WT are SEG segments with their own groups (no derived TC/WT volumes)', async () => {
    const r = await encodeCase('composite', { ...OPTS, compositeSegments: true });
    expect([...groups(r.root).keys()].map((k) => k.split(' ')[0])).toEqual(['NCR', 'ED', 'ET', 'TC', 'WT']);
    expect(derivedFor(r.root, '118565006', '52988006')).toHaveLength(0);
    const report = await checkConformance([...r.files, ...r.sourceFiles]);
    expect(report.ok ? '' : formatReport(report)).toBe('');
  });

  test('an empty segment gets no group (Slicer creates no segment for it); its volume 0 is a derived measurement', async () => {
    const r = await encodeCase('no-et', OPTS, (c) => {
      const lm = c.findings.segmentation!.labelmap;
      lm.data = lm.data.map((v) => (v === 3 ? 1 : v));
      c.findings.regions = regionsFromLabelmap(lm, c.findings.segmentation!.segments);
      delete c.findings.bidimensional;
    });
    expect([...groups(r.root).keys()].map((k) => k.split(' ')[0])).toEqual(['NCR', 'ED']);
    expect(numValue(derivedFor(r.root, '118565006', 'C113842')[0]!)).toEqual({ value: 0, unit: 'cm3' });
    const report = await checkConformance([...r.files, ...r.sourceFiles]);
    expect(report.ok ? '' : formatReport(report)).toBe('');
  });

  test('VASARI-style features: valid UCUM units, what the unit string said in the meaning; NaN is "not attempted"', async () => {
    const r = await encodeCase('vasari', OPTS, (c) => {
      c.findings.radiomics!.push(
        { region: 'ET', family: 'vasari', name: 'F5_proportion_enhancing', value: Number.NaN, unit: 'fraction of TC' },
        { region: 'WT', family: 'vasari', name: 'centroid_offset_from_midline', value: 12.5, unit: 'mm (+ = left)' },
        { region: 'WT', family: 'vasari', name: 'T2FLAIR_rim_minus_core_flair', value: 0.8, unit: 'normalised units' },
      );
    });
    const byMeaning = (m: string): Node => derived(r.root).find((n) => concept(n).meaning === m)!;
    expect(notAttempted(byMeaning('F5_proportion_enhancing (fraction of TC)'))).toBe(true);
    expect(numValue(byMeaning('centroid_offset_from_midline (+ = left)'))).toEqual({ value: 12.5, unit: 'mm' });
    expect(numValue(byMeaning('T2FLAIR_rim_minus_core_flair (normalised intensity)'))).toEqual({ value: 0.8, unit: '1' });
    expect(ucumUnits(r.root)).toEqual([]);
    const report = await checkConformance([...r.files, ...r.sourceFiles]);
    expect(report.ok ? '' : formatReport(report)).toBe('');
  });

  test('two heads with the same class names: private class codes whose meanings name the head (no rule clash)', async () => {
    const r = await encodeCase('two-heads', OPTS, (c) => {
      const h = c.findings.heads.find((x) => x.head === 'idh')!;
      for (const [head, title] of [['egfr', 'EGFR amplification'], ['tert', 'TERT promoter mutation']]) {
        c.findings.heads.push({ ...h, head: head!, kind: 'generic', title: title!, classes: [{ name: 'present', probability: 0.7 }, { name: 'absent', probability: 0.3 }], predicted: 'present' });
      }
    });
    const qe = one(r.root, 'C0034375', 'UMLS');
    expect(codeValue(one(qe, 'H-EGFR', PRIVATE_SCHEME))).toMatchObject({ value: 'V-EGFR-PRESENT', meaning: 'present (EGFR amplification)' });
    expect(codeValue(one(qe, 'H-TERT', PRIVATE_SCHEME)).meaning).toBe('present (TERT promoter mutation)');
    expect(r.out.preflight.filter((i) => i.severity === 'error')).toEqual([]);
  });

  test('a code meaning longer than 64 characters is refused, never cut', () => {
    expect(() => codeItem({ value: 'X', scheme: PRIVATE_SCHEME, meaning: 'x'.repeat(65) })).toThrow(/never cut/);
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
