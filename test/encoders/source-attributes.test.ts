/**
 * What the derived objects copy from the source: the Patient Study module (age, size, weight) in every object, and
 * the source's SliceThickness as written in the SEG (not the slice step measured from positions, whose float noise
 * turned 1 into 0.99999999574219).
 */
import { readP10 } from '../../src/dicom/p10';
import { encodeResults } from '../../src/encoders';
import { obliqueCosines, syntheticCase } from '../../src/testing/synthetic-findings';

const OPTS = { node: { name: 'attr-test', version: '0.1.0' }, now: new Date('2026-03-01T10:00:00') };

/** The raw DS text of an attribute in a Part 10 buffer: the writer's bytes, not a parser's number. */
function dsText(bytes: Buffer, group: number, element: number): string[] {
  const tag = Buffer.from([group & 0xff, group >> 8, element & 0xff, element >> 8, 0x44, 0x53]); // (gggg,eeee) DS
  const out: string[] = [];
  for (let i = bytes.indexOf(tag); i >= 0; i = bytes.indexOf(tag, i + 1)) out.push(bytes.subarray(i + 8, i + 8 + bytes.readUInt16LE(i + 6)).toString('latin1').trim());
  return out;
}

test('Patient Study module (PatientAge, PatientSize, PatientWeight) is copied into SEG, SR, SC and PDF', async () => {
  const c = syntheticCase({ grid: { columns: 16, rows: 16, slices: 8, spacing: [1, 1, 2], rowCosine: [1, 0, 0], columnCosine: [0, 1, 0], origin: [0, 0, 0] }, key: 'patient-study' });
  const header = { ...c.header, PatientAge: '047Y', PatientSize: '1.82', PatientWeight: '72.5' };
  const out = await encodeResults(c.findings, header, OPTS);
  expect(out.objects.map((o) => o.kind).sort()).toEqual(['pdf', 'sc', 'sc', 'sc', 'seg', 'sr']);
  for (const o of out.objects) {
    const ds = readP10(o.bytes).dataset;
    expect([ds.PatientAge, String(ds.PatientSize), String(ds.PatientWeight)]).toEqual(['047Y', '1.82', '72.5']);
  }
  // Absent in the source: absent in the outputs (Type 3).
  const plain = await encodeResults(c.findings, c.header, OPTS);
  expect(readP10(plain.objects[0]!.bytes).dataset.PatientAge).toBeUndefined();
});

test('SEG SliceThickness is the source value as written; SpacingBetweenSlices is the measured step without float noise', async () => {
  // Oblique 1 mm slices: the step measured from the slice positions is 1 +- 1e-14, not 1.
  const c = syntheticCase({ grid: { columns: 17, rows: 19, slices: 12, spacing: [0.9, 0.9, 1], ...obliqueCosines(17), origin: [-7.3, 11.1, -3.7] }, key: 'thickness' });
  const noisy = await encodeResults(c.findings, c.header, OPTS);
  const seg = noisy.objects.find((o) => o.kind === 'seg')!.bytes;
  expect(dsText(seg, 0x0018, 0x0050)).toEqual(['1']);
  expect(dsText(seg, 0x0018, 0x0088)).toEqual(['1']);
  // The source says 1.5 mm thick (slices overlap or gap): the SEG says so too, not the 1 mm step.
  c.findings.referenceSeries.sliceThickness = 1.5;
  const thick = (await encodeResults(c.findings, c.header, OPTS)).objects.find((o) => o.kind === 'seg')!.bytes;
  expect(dsText(thick, 0x0018, 0x0050)).toEqual(['1.5']);
  expect(dsText(thick, 0x0018, 0x0088)).toEqual(['1']);
});
