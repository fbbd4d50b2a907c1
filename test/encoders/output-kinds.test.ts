/** The output-kind registry: the kinds, their order, series numbers and SOP classes stay what delivery and checks expect. */
import { SopClass } from '../../src/dicom/constants';
import { kindOf } from '../../src/encoders/conformance/check-objects';
import { OUTPUT_KINDS } from '../../src/encoders/output-kinds';
import { outputUids } from '../../src/encoders/uid-scheme';
import { AXIAL, syntheticCase } from '../../src/testing/synthetic-findings';

describe('output kinds', () => {
  it('are registered in delivery order with their default series numbers', () => {
    expect(OUTPUT_KINDS.map((k) => [k.kind, k.seriesNumber])).toEqual([
      ['seg', 9001],
      ['sr', 9002],
      ['sc', 9003],
      ['pdf', 9004],
      ['review-sr', 9005],
    ]);
  });

  it('name each object by its SOP class; anything else is a source', () => {
    expect(kindOf(SopClass.Segmentation)).toBe('seg');
    for (const sr of [SopClass.ComprehensiveSR, SopClass.BasicTextSR, SopClass.EnhancedSR, SopClass.Comprehensive3DSR]) expect(kindOf(sr)).toBe('sr');
    expect(kindOf(SopClass.SecondaryCapture)).toBe('sc');
    expect(kindOf(`${SopClass.SecondaryCapture}.4`)).toBe('sc');
    expect(kindOf(SopClass.EncapsulatedPDF)).toBe('pdf');
    expect(kindOf(SopClass.MRImage)).toBe('source');
  });

  it('give each derived series its UID and number (options.seriesNumbers overrides the default)', () => {
    const { findings } = syntheticCase({ grid: { columns: 8, rows: 8, slices: 4, spacing: [1, 1, 2], ...AXIAL, origin: [0, 0, 0] }, key: 'kinds' });
    const node = { name: 'n', version: '1' };
    const u = outputUids(findings, { node, seriesNumbers: { sr: 42 } });
    expect(u.seriesNumbers).toEqual({ seg: 9001, sr: 42, sc: 9003, pdf: 9004, 'review-sr': 9005 });
    expect(new Set(Object.values(u.series)).size).toBe(5);
    expect(Object.keys(u.series)).toEqual(['seg', 'sr', 'sc', 'pdf', 'review-sr']);
  });
});
