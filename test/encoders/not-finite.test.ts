/** A NaN that reaches the SR encoder is refused with an error naming the measurement, not an anonymous DS error. */
import { encodeResults, EncoderInputError } from '../../src/encoders';
import { AXIAL, syntheticCase } from '../../src/encoders/testing/synthetic-findings';

test('a non-finite measurement: EncoderInputError not-finite naming it', async () => {
  const c = syntheticCase({ grid: { columns: 16, rows: 16, slices: 8, spacing: [1, 1, 2], ...AXIAL, origin: [0, 0, 0] }, key: 'nan' });
  c.findings.radiomics = [{ region: 'WT', family: 'vasari', name: 'F14_proportion_oedema', value: NaN, unit: '1' }];
  const err = await encodeResults(c.findings, c.header, { node: { name: 'nan-test', version: '0.1.0' }, pdf: { enabled: false } }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(EncoderInputError);
  expect((err as EncoderInputError).reason).toBe('not-finite');
  expect((err as Error).message).toMatch(/F14_proportion_oedema.*NaN/);
});
