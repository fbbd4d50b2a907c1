/**
 * Non-finite numbers never reach a writer. A radiomic feature that cannot be computed (NaN, e.g. a proportion of an
 * empty region) is reported "not attempted"; any other NaN that reaches the SR encoder is refused with an error
 * naming the measurement, not an anonymous DS error.
 */
import { encodeResults, EncoderInputError } from '../../src/encoders';
import { AXIAL, syntheticCase } from '../../src/testing/synthetic-findings';

const GRID = { columns: 16, rows: 16, slices: 8, spacing: [1, 1, 2] as [number, number, number], ...AXIAL, origin: [0, 0, 0] as [number, number, number] };
const OPTIONS = { node: { name: 'nan-test', version: '0.1.0' }, pdf: { enabled: false } };

test('a radiomic feature that is NaN: written as not attempted, the SR is still made', async () => {
  const c = syntheticCase({ grid: GRID, key: 'nan-feature' });
  c.findings.radiomics = [{ region: 'WT', family: 'vasari', name: 'F14_proportion_oedema', value: NaN, unit: '1' }];
  const out = await encodeResults(c.findings, c.header, OPTIONS);
  const sr = out.objects.find((o) => o.kind === 'sr')!;
  expect(sr).toBeDefined();
  expect(sr.bytes.includes(Buffer.from('Measurement not attempted'))).toBe(true);
  expect(out.preflight.filter((i) => i.severity === 'error')).toEqual([]);
});

test('any other non-finite measurement: EncoderInputError not-finite naming it', async () => {
  const c = syntheticCase({ grid: GRID, key: 'nan-head' });
  const head = c.findings.heads[0]!;
  head.confidence = NaN;
  const err = await encodeResults(c.findings, c.header, OPTIONS).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(EncoderInputError);
  expect((err as EncoderInputError).reason).toBe('not-finite');
  expect((err as Error).message).toMatch(/Certainty of Impression.*NaN/);
});
