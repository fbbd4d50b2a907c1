/**
 * Pre-delivery check inside encodeResults: clean on good output (several geometries and options), errors when an
 * object is broken or does not match the Findings.
 */
import { readP10 } from '../../src/dicom/p10';
import { encodeResults, preflight } from '../../src/encoders';
import { writePart10 } from '../../src/dicom/part10-writer';
import { AXIAL, obliqueCosines, syntheticCase } from '../../src/testing/synthetic-findings';
import type { EncoderOptions } from '../../src/encoders/options';

const OPTS: EncoderOptions = { node: { name: 'preflight', version: '0.1.0' }, now: new Date('2026-05-01T00:00:00'), pdf: { enabled: false } };
const GRID = { columns: 15, rows: 13, slices: 9, spacing: [1, 1, 2] as [number, number, number], ...AXIAL, origin: [0, 0, 0] as [number, number, number] };

test.each([
  ['axial', GRID, {}],
  ['oblique, composite segments', { ...GRID, ...obliqueCosines(25) }, { compositeSegments: true }],
  ['descending slices, all frames kept', { ...GRID, descending: true }, { omitEmptyFrames: false }],
])('%s: no preflight issue', async (_name, grid, extra) => {
  const c = syntheticCase({ grid, key: `pf-${_name}` });
  const out = await encodeResults(c.findings, c.header, { ...OPTS, ...extra });
  expect(out.preflight.filter((i) => i.severity === 'error')).toEqual([]);
});

test('a SEG whose frames no longer match the display series is flagged', async () => {
  const c = syntheticCase({ grid: GRID, key: 'pf-bad' });
  const out = await encodeResults(c.findings, c.header, OPTS);
  const seg = out.objects.find((o) => o.kind === 'seg')!;
  const ds = readP10(seg.bytes).dataset;
  const shared = (ds.SharedFunctionalGroupsSequence as Array<Record<string, Array<Record<string, unknown>>>>)[0]!;
  shared.PixelMeasuresSequence![0]!.PixelSpacing = [2, 2];
  const issues = preflight([{ fileName: 'seg.dcm', bytes: writePart10(ds) }, ...out.objects.filter((o) => o.kind !== 'seg')], c.findings);
  expect(issues.filter((i) => i.severity === 'error').map((i) => i.rule)).toEqual(expect.arrayContaining(['seg.geometry', 'sr.volume']));
});

test('preflight can be switched off', async () => {
  const c = syntheticCase({ grid: GRID, key: 'pf-off' });
  expect((await encodeResults(c.findings, c.header, { ...OPTS, preflight: false })).preflight).toEqual([]);
});
