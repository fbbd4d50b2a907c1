/**
 * SR Image Library (TID 1600): each input series' group carries the TID 1602/1604 descriptors a reader needs to place
 * its images (modality, study date/time, frame of reference, matrix, pixel spacing, slice thickness and spacing,
 * orientation) and each single-frame entry its Image Position (Patient); the SR stays valid (dciodvfy, dsrdump).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkConformance } from '../../conformance/check';
import { readP10 } from '../../src/dicom/p10';
import { encodeResults } from '../../src/encoders';
import { obliqueCosines, syntheticCase } from '../../src/testing/synthetic-findings';
import { codeValue, concept, find, kids, numValue, one, type Node } from './helpers/sr-tree';

test('Image Library groups carry TID 1602/1604 descriptors and entries their positions; the SR passes dciodvfy and dsrdump', async () => {
  const c = syntheticCase({ grid: { columns: 19, rows: 17, slices: 9, spacing: [0.9, 0.8, 2.5], ...obliqueCosines(10), origin: [-9, -11, -15] }, key: 'image-library' });
  c.findings.referenceSeries.sliceThickness = 2;
  c.findings.inputs[0]!.geometry!.sliceThickness = 2;
  const out = await encodeResults(c.findings, c.header, { node: { name: 'lib-test', version: '0.1.0' }, now: new Date('2026-03-01T10:00:00'), keyImages: { enabled: false }, pdf: { enabled: false } });
  const sr = out.objects.find((o) => o.kind === 'sr')!;
  const root = readP10(sr.bytes).dataset;
  const library = one(root, '111028', 'DCM');
  const groups = find(library, '126200', 'DCM');
  expect(groups).toHaveLength(c.findings.inputs.length);
  const ref = c.findings.referenceSeries;
  for (const [g, input] of groups.map((g, i) => [g, c.findings.inputs[i]!] as const)) {
    expect(codeValue(one(g, '121139', 'DCM')).value).toBe('MR');
    expect(String(one(g, '111060', 'DCM').Date)).toBe(c.header.StudyDate);
    expect(String(one(g, '111061', 'DCM').Time)).toBe(c.header.StudyTime);
    expect(String(one(g, '112227', 'DCM').UID)).toBe(ref.frameOfReferenceUid);
    expect(numValue(one(g, '110910', 'DCM'))).toEqual({ value: ref.dims[1], unit: '{pixels}' });
    expect(numValue(one(g, '110911', 'DCM'))).toEqual({ value: ref.dims[0], unit: '{pixels}' });
    expect(numValue(one(g, '111026', 'DCM'))).toEqual({ value: 0.9, unit: 'mm' }); // horizontal = column spacing
    expect(numValue(one(g, '111066', 'DCM'))).toEqual({ value: 0.8, unit: 'mm' });
    expect(numValue(one(g, '112226', 'DCM'))).toEqual({ value: 2.5, unit: 'mm' });
    if (input === c.findings.inputs[0]) expect(numValue(one(g, '112225', 'DCM')).value).toBe(2);
    const iop = ['110904', '110905', '110906', '110907', '110908', '110909'].map((code) => numValue(one(g, code, 'DCM')).value);
    iop.forEach((v, i) => expect(v).toBeCloseTo(ref.imageOrientationPatient[i]!, 6));
    const entries = kids(g).filter((k) => k.ValueType === 'IMAGE');
    expect(entries).toHaveLength(input.sopInstanceUids.length);
    for (const e of entries) {
      const uid = String((e.ReferencedSOPSequence as Node[])[0]!.ReferencedSOPInstanceUID);
      const k = ref.sources.findIndex((s) => s.sopInstanceUid === uid);
      const src = k >= 0 ? ref.sources[k]! : undefined;
      const ipp = ['110901', '110902', '110903'].map((code) => numValue(one(e, code, 'DCM')).value);
      if (src) ipp.forEach((v, i) => expect(v).toBeCloseTo(src.imagePositionPatient[i]!, 5));
      expect(kids(e).every((d) => d.RelationshipType === 'HAS ACQ CONTEXT' && concept(d).scheme === 'DCM')).toBe(true);
    }
  }
  const dir = mkdtempSync(join(tmpdir(), 'image-library-'));
  try {
    const files = out.objects.map((o) => join(dir, o.fileName));
    out.objects.forEach((o, i) => writeFileSync(files[i]!, o.bytes));
    const r = await checkConformance(files);
    const issues = r.objects.flatMap((o) => o.issues).filter((i) => !/99NEUROONC|IBSI|not in the checked set/.test(i.message));
    expect(issues).toEqual([]);
    expect(r.errors).toBe(0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
