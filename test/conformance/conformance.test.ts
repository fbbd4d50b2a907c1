/**
 * The conformance check (conformance/check.ts) on everything the encoders produce, with the real validators
 * (dciodvfy, dsrdump, dcsrdump, dcentvfy), and mutation tests: objects broken on purpose must be caught, each by the
 * rule that names the problem.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { checkConformance, formatReport, type ConformanceReport } from '../../conformance/check';
import { buildProgram } from '../../src/cli/main';
import { readP10, type NaturalDataset } from '../../src/dicom/p10';
import { encodeResults } from '../../src/encoders';
import { writePart10 } from '../../src/dicom/part10-writer';
import { obliqueCosines, syntheticCase, type GridSpec } from '../../src/testing/synthetic-findings';
import { writeCase } from '../encoders/helpers/case-files';

/** Warnings we know and accept (conformance/objects.md explains each). Anything else fails the test. */
const KNOWN_WARNINGS = [
  /Unrecognized defined term <99NEUROONC> for value 1 of attribute <Coding Scheme Designator>/,
  /Unrecognized defined term <IBSI> for value 1 of attribute <Coding Scheme Designator>/,
  /Different information entities for attribute - Element=<AccessionNumber>/,
];

type Item = Record<string, unknown>;
let root: string;
let outputs: Record<string, string>;
let sources: string[];

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'conformance-'));
  const grid: GridSpec = { columns: 19, rows: 21, slices: 14, spacing: [0.9, 0.9, 2.5], ...obliqueCosines(12), origin: [-9, -11, -15] };
  const c = syntheticCase({ grid, key: 'conformance' });
  sources = (await writeCase(c, join(root, 'src'))).sourceFiles;
  const out = await encodeResults(c.findings, c.header, { node: { name: 'conformance-test', version: '0.1.0' }, now: new Date('2026-04-01T08:00:00') });
  outputs = {};
  for (const o of out.objects) {
    outputs[o.fileName] = join(root, o.fileName);
    writeFileSync(outputs[o.fileName]!, o.bytes);
  }
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

function allFiles(replace: Record<string, string> = {}, drop: string[] = []): string[] {
  return [...Object.entries(outputs).filter(([k]) => !drop.includes(k)).map(([k, v]) => replace[k] ?? v), ...sources];
}

/** Reads an output, lets `fn` break it, writes it to a new folder and returns the path. */
function mutate(name: string, tag: string, fn: (ds: NaturalDataset) => void): string {
  const ds = readP10(readFileSync(outputs[name]!)).dataset;
  fn(ds);
  const d = join(root, tag);
  mkdirSync(d, { recursive: true });
  const file = join(d, name);
  writeFileSync(file, writePart10(ds));
  return file;
}

function rules(r: ConformanceReport): string[] {
  return [...r.objects.flatMap((o) => o.issues), ...r.setIssues].filter((i) => i.severity === 'error').map((i) => i.rule);
}

function seq(v: unknown): Item[] {
  return v as Item[];
}

test('every produced object passes: dciodvfy zero errors, SR parsers, dcentvfy, structural checks', async () => {
  const report = await checkConformance(allFiles());
  expect(report.ok ? '' : formatReport(report)).toBe('');
  expect(report.objects.map((o) => o.kind).sort()).toEqual(['pdf', 'sc', 'sc', 'sc', 'seg', 'sr']);
  const unknown = [...report.objects.flatMap((o) => o.issues), ...report.setIssues].filter((i) => !KNOWN_WARNINGS.some((k) => k.test(i.message)));
  expect(unknown).toEqual([]);
});

describe('broken objects are caught by the rule that names the problem', () => {
  test('SEG: two positions share one position index', async () => {
    const bad = mutate('seg.dcm', 'dup-index', (ds) => {
      const pf = seq(ds.PerFrameFunctionalGroupsSequence);
      const fc = seq(pf[1]!.FrameContentSequence)[0]!;
      fc.DimensionIndexValues = [...(seq(pf[0]!.FrameContentSequence)[0]!.DimensionIndexValues as number[])];
    });
    expect(rules(await checkConformance(allFiles({ 'seg.dcm': bad }), { validators: false }))).toContain('seg.dimension-index-values');
  });

  test('SEG: a frame moved 1 mm off its source slice', async () => {
    const bad = mutate('seg.dcm', 'moved', (ds) => {
      const pp = seq(seq(seq(ds.PerFrameFunctionalGroupsSequence)[0]!.PlanePositionSequence))[0]!;
      const ipp = (pp.ImagePositionPatient as number[]).map(Number);
      pp.ImagePositionPatient = [ipp[0]! + 1, ipp[1], ipp[2]];
    });
    expect(rules(await checkConformance(allFiles({ 'seg.dcm': bad }), { validators: false }))).toContain('seg.geometry');
  });

  test('SEG: ReferencedSeriesSequence lists an instance the object never references', async () => {
    const bad = mutate('seg.dcm', 'extra-ref', (ds) => {
      seq(seq(ds.ReferencedSeriesSequence)[0]!.ReferencedInstanceSequence).push({ ReferencedSOPClassUID: '1.2.840.10008.5.1.4.1.1.4', ReferencedSOPInstanceUID: '1.2.3.999' });
    });
    expect(rules(await checkConformance(allFiles({ 'seg.dcm': bad }), { validators: false }))).toContain('seg.referenced-series');
  });

  test('SEG: SegmentAlgorithmName removed (dciodvfy error too)', async () => {
    const bad = mutate('seg.dcm', 'no-algo', (ds) => {
      delete seq(ds.SegmentSequence)[0]!.SegmentAlgorithmName;
    });
    const r = rules(await checkConformance([bad]));
    expect(r).toContain('seg.algorithm-name');
    expect(r).toContain('dciodvfy');
  });

  test('SR: a measurement group without Tracking UID', async () => {
    const bad = mutate('sr.dcm', 'no-tracking', (ds) => {
      const im = seq(ds.ContentSequence).find((c) => seq(c.ConceptNameCodeSequence)[0]!.CodeValue === '126010')!;
      const g = seq(im.ContentSequence)[0]!;
      g.ContentSequence = seq(g.ContentSequence).filter((c) => seq(c.ConceptNameCodeSequence)[0]!.CodeValue !== '112040');
    });
    expect(rules(await checkConformance(allFiles({ 'sr.dcm': bad }), { validators: false }))).toContain('sr.tracking-uid');
  });

  test('SR: a volume that does not match the SEG', async () => {
    const bad = mutate('sr.dcm', 'volume', (ds) => {
      const im = seq(ds.ContentSequence).find((c) => seq(c.ConceptNameCodeSequence)[0]!.CodeValue === '126010')!;
      const isVolume = (c: NaturalDataset): boolean => seq(c.ConceptNameCodeSequence)[0]!.CodeValue === '118565006';
      const g = seq(im.ContentSequence).find((x) => seq(x.ContentSequence).some(isVolume))!; // the first region group
      const vol = seq(g.ContentSequence).find(isVolume)!;
      seq(vol.MeasuredValueSequence)[0]!.NumericValue = 12.5;
    });
    expect(rules(await checkConformance(allFiles({ 'sr.dcm': bad }), { validators: false }))).toContain('sr.volume');
  });

  test('SR: the SEG is neither in the evidence nor delivered', async () => {
    const bad = mutate('sr.dcm', 'no-evidence', (ds) => {
      for (const st of seq(ds.CurrentRequestedProcedureEvidenceSequence)) {
        st.ReferencedSeriesSequence = seq(st.ReferencedSeriesSequence).filter(
          (s) => !seq(s.ReferencedSOPSequence).some((r) => r.ReferencedSOPClassUID === '1.2.840.10008.5.1.4.1.1.66.4'),
        );
      }
    });
    const r = rules(await checkConformance(allFiles({ 'sr.dcm': bad }, ['seg.dcm']), { validators: false }));
    expect(r).toContain('sr.evidence');
    expect(r).toContain('sr.referenced-segment');
  });

  test('SR filed under another patient: set check and dcentvfy', async () => {
    const bad = mutate('sr.dcm', 'patient', (ds) => {
      ds.PatientID = 'SOMEONE-ELSE';
    });
    const r = rules(await checkConformance(allFiles({ 'sr.dcm': bad })));
    expect(r).toContain('set.patient-study');
    expect(r).toContain('dcentvfy');
  });
});

test('CLI: neuro-onc-node check <folder> exits 0 when conformant and 1 otherwise', async () => {
  const good = join(root, 'cli-good');
  mkdirSync(good);
  for (const f of allFiles()) copyFileSync(f, join(good, basename(f) + (f.includes('/src/') ? '.src' : '')));
  const writes: string[] = [];
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation((s) => (writes.push(String(s)), true));
  try {
    process.exitCode = undefined;
    await buildProgram().parseAsync(['node', 'neuro-onc-node', 'check', '--no-validators', good]);
    expect(process.exitCode).toBeUndefined();
    expect(writes.join('')).toMatch(/CONFORMANT: 0 error\(s\)/);
    const badFile = mutate('seg.dcm', 'cli-bad', (ds) => {
      ds.SegmentSequence = seq(ds.SegmentSequence).map((s, i) => ({ ...s, SegmentNumber: i + 2 }));
    });
    await buildProgram().parseAsync(['node', 'neuro-onc-node', 'check', '--no-validators', badFile]);
    expect(process.exitCode).toBe(1);
    expect(writes.join('')).toMatch(/seg\.segment-numbers/);
  } finally {
    spy.mockRestore();
    process.exitCode = undefined;
  }
});

test('structural checks alone (no sources) downgrade unresolved references to warnings', async () => {
  const r = await checkConformance(Object.values(outputs), { validators: false });
  expect(r.ok).toBe(true);
  expect(r.objects.flatMap((o) => o.issues).some((i) => i.rule === 'sr.references-resolve' && i.severity === 'warning')).toBe(true);
});

test('CLI: check <output folder> skips non-DICOM files (findings.json, report.txt) and names them; a broken DICOM file still fails', async () => {
  const dir = join(root, 'cli-output-folder');
  mkdirSync(dir);
  for (const f of Object.values(outputs)) copyFileSync(f, join(dir, basename(f)));
  writeFileSync(join(dir, 'findings.json'), '{"regions": []}\n');
  writeFileSync(join(dir, 'report.txt'), 'AUTOMATED ANALYSIS - RESEARCH USE ONLY.\n');
  const writes: string[] = [];
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation((s) => (writes.push(String(s)), true));
  try {
    process.exitCode = undefined;
    await buildProgram().parseAsync(['node', 'neuro-onc-node', 'check', '--no-validators', dir]);
    expect(process.exitCode).toBeUndefined();
    expect(writes.join('')).toMatch(/skipped \(not DICOM Part 10\): findings\.json, report\.txt/);
    expect(writes.join('')).toMatch(/CONFORMANT: 0 error\(s\)/);
    // Preamble and magic, then garbage: a DICOM file that cannot be read is an error, not skipped.
    const broken = Buffer.concat([Buffer.alloc(128), Buffer.from('DICM'), Buffer.from([0x02, 0x00, 0x10, 0x00, 0x55, 0x49, 0xff, 0xff])]);
    writeFileSync(join(dir, 'broken.dcm'), broken);
    const r = await checkConformance([join(dir, 'broken.dcm'), join(dir, 'report.txt')], { validators: false });
    expect(r.skipped.map((f) => basename(f))).toEqual(['report.txt']);
    expect(rules(r)).toEqual(['read']);
  } finally {
    spy.mockRestore();
    process.exitCode = undefined;
  }
});

test('SR Tracking UIDs: the RANO lines sit in the measured lesion\'s own group (its UID); two volume groups sharing one is an error', async () => {
  const sr = readP10(readFileSync(outputs['sr.dcm']!)).dataset;
  const im = seq(sr.ContentSequence).find((c) => seq(c.ConceptNameCodeSequence)[0]!.CodeValue === '126010')!;
  const uidOf = (g: Item): string => String(seq(g.ContentSequence).find((c) => seq(c.ConceptNameCodeSequence)[0]!.CodeValue === '112040')!.UID);
  const isVolumeGroup = (g: Item): boolean => seq(g.ContentSequence).some((c) => seq(c.ConceptNameCodeSequence)[0]!.CodeValue === '121191');
  const groupsOf = seq(im.ContentSequence);
  const rano = groupsOf.find((g) => seq(g.ContentSequence).some((c) => c.ValueType === 'NUM' && seq(c.ContentSequence).some((k) => k.ValueType === 'SCOORD')))!;
  expect(isVolumeGroup(rano)).toBe(true);
  expect(new Set(groupsOf.map(uidOf)).size).toBe(groupsOf.length);
  expect(rules(await checkConformance(allFiles(), { validators: false }))).not.toContain('sr.tracking-uid');
  const bad = mutate('sr.dcm', 'shared-volume-tracking', (ds) => {
    const m = seq(ds.ContentSequence).find((c) => seq(c.ConceptNameCodeSequence)[0]!.CodeValue === '126010')!;
    const [a, b] = seq(m.ContentSequence).filter(isVolumeGroup);
    seq(b!.ContentSequence).find((c) => seq(c.ConceptNameCodeSequence)[0]!.CodeValue === '112040')!.UID = uidOf(a!);
  });
  expect(rules(await checkConformance(allFiles({ 'sr.dcm': bad }), { validators: false }))).toContain('sr.tracking-uid');
});
