/**
 * The reader rules (src/encoders/conformance/reader-rules.ts: how 3D Slicer/dcmqi and OHIF read a TID 1500 SR) on
 * what we emit, and on SRs broken on purpose the ways real SRs have been found broken: each must be caught by its rule.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readP10, type NaturalDataset } from '../../src/dicom/p10';
import { encodeResults } from '../../src/encoders';
import { checkReaderRules } from '../../src/encoders/conformance/reader-rules';
import type { CheckContext } from '../../src/encoders/conformance/structural-checks';
import type { EncoderOptions } from '../../src/encoders/options';
import { AXIAL, syntheticCase, type GridSpec } from '../../src/testing/synthetic-findings';
import { writeCase } from '../encoders/helpers/case-files';

type Item = Record<string, unknown>;
const GRID: GridSpec = { columns: 20, rows: 18, slices: 10, spacing: [1, 1, 2.5], ...AXIAL, origin: [-10, -9, 0] };
const OPTS: EncoderOptions = { node: { name: 'rules-test', version: '0.1.0' }, now: new Date('2026-02-03T04:05:06'), pdf: { enabled: false }, keyImages: { enabled: false } };
let dir: string;
beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'reader-rules-'))));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function encoded(key: string, opts: EncoderOptions = OPTS, mutate?: (c: ReturnType<typeof syntheticCase>) => void): Promise<{ sr: NaturalDataset; ctx: CheckContext }> {
  const c = syntheticCase({ grid: GRID, key });
  mutate?.(c);
  await writeCase(c, join(dir, key));
  const out = await encodeResults(c.findings, c.header, opts);
  const byUid = new Map<string, NaturalDataset>();
  for (const o of out.objects) byUid.set(o.sopInstanceUid, readP10(o.bytes).dataset);
  return { sr: byUid.get(out.objects.find((o) => o.kind === 'sr')!.sopInstanceUid)!, ctx: { byUid, sourcesProvided: false } };
}

const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;
/** The array itself (not a copy), so that tests can break it in place. */
const seq = (v: unknown): Item[] => (Array.isArray(v) ? (v as Item[]) : v == null ? [] : [v as Item]);
const conceptOf = (i: Item): string => String(seq(i.ConceptNameCodeSequence)[0]?.CodeValue ?? '');
const measurementGroups = (sr: Item): Item[] => seq(seq(sr.ContentSequence).find((c) => conceptOf(c) === '126010')!.ContentSequence);
const errors = (sr: NaturalDataset, ctx: CheckContext): string[] => checkReaderRules(sr, ctx).filter((i) => i.severity === 'error').map((i) => i.rule);

describe('reader rules', () => {
  let base: { sr: NaturalDataset; ctx: CheckContext };
  beforeAll(async () => {
    base = await encoded('base');
  });
  const broken = (fn: (sr: Item) => void): NaturalDataset => {
    const sr = clone(base.sr) as Item;
    fn(sr);
    return sr;
  };

  test('our SRs pass: full, no T1ce, composite segments', async () => {
    expect(checkReaderRules(base.sr, base.ctx)).toEqual([]);
    const noT1ce = await encoded('no-t1ce', OPTS, (c) => void (c.findings.missingModalities = ['t1ce']));
    expect(checkReaderRules(noT1ce.sr, noT1ce.ctx)).toEqual([]);
    const composite = await encoded('composite', { ...OPTS, compositeSegments: true });
    expect(checkReaderRules(composite.sr, composite.ctx)).toEqual([]);
  });

  test('the old layout fails: a RANO group first, a WT group referencing three segments', () => {
    const sr = broken((s) => {
      const groups = measurementGroups(s);
      const et = clone(groups[2]!);
      groups.unshift(et); // an extra group first: Slicer would put its values on segment 1
      const wt = clone(groups[1]!);
      const ref = seq(wt.ContentSequence).find((k) => conceptOf(k) === '121191')!;
      seq(ref.ReferencedSOPSequence)[0]!.ReferencedSegmentNumber = [1, 2, 3];
      groups.push(wt);
    });
    const e = errors(sr, base.ctx);
    expect(e).toContain('slicer.group-per-segment');
    expect(e).toContain('dcmqi.one-segment');
  });

  test('groups out of segment order fail', () => {
    const sr = broken((s) => measurementGroups(s).reverse());
    expect(errors(sr, base.ctx)).toEqual(['slicer.group-per-segment']);
  });

  test('a group with other measurements than the first fails (Slicer fills its table by position)', () => {
    const sr = broken((s) => {
      const g = measurementGroups(s)[1]!;
      const items = seq(g.ContentSequence);
      items.splice(items.findIndex((k) => k.ValueType === 'NUM'), 1);
    });
    expect(errors(sr, base.ctx)).toEqual(['slicer.columns']);
  });

  test('missing tracking UID, Image Region SCOORD, template 1501, no SEG in evidence: each caught', () => {
    const noUid = broken((s) => {
      const items = seq(measurementGroups(s)[0]!.ContentSequence);
      items.splice(items.findIndex((k) => conceptOf(k) === '112040'), 1);
    });
    expect(errors(noUid, base.ctx)).toEqual(expect.arrayContaining(['slicer.tracking', 'ohif.tracking-uid']));
    const planar = broken((s) => {
      const items = seq(measurementGroups(s)[0]!.ContentSequence);
      items.push({ RelationshipType: 'CONTAINS', ValueType: 'SCOORD', ConceptNameCodeSequence: [{ CodeValue: '111030', CodingSchemeDesignator: 'DCM', CodeMeaning: 'Image Region' }], GraphicType: 'POINT', GraphicData: [1, 1] });
    });
    expect(errors(planar, base.ctx)).toEqual(['slicer.no-planar-roi']);
    const template = broken((s) => void (seq(s.ContentTemplateSequence)[0]!.TemplateIdentifier = '1501'));
    expect(errors(template, base.ctx)).toEqual(['slicer.recognised']);
    const noSeg = broken((s) => {
      for (const st of seq(s.CurrentRequestedProcedureEvidenceSequence)) {
        st.ReferencedSeriesSequence = seq(st.ReferencedSeriesSequence).filter((se) => seq(se.ReferencedSOPSequence)[0]!.ReferencedSOPClassUID !== '1.2.840.10008.5.1.4.1.1.66.4');
      }
    });
    expect(errors(noSeg, base.ctx)).toEqual(['slicer.seg-evidence']);
  });

  test('a result coded twice, two codes for one meaning, a cut meaning: each caught', () => {
    const qe = (s: Item): Item[] => seq(seq(s.ContentSequence).find((c) => conceptOf(c) === 'C0034375')!.ContentSequence);
    const twice = broken((s) => {
      const idh = qe(s).find((k) => conceptOf(k) === 'IDHSTAT')!;
      seq(measurementGroups(s)[0]!.ContentSequence).push(clone(idh));
    });
    expect(errors(twice, base.ctx)).toEqual(['code.result-once']);
    const sameMeaning = broken((s) => {
      qe(s).push({ RelationshipType: 'CONTAINS', ValueType: 'CODE', ConceptNameCodeSequence: [{ CodeValue: 'M-IDH', CodingSchemeDesignator: '99NEUROONC', CodeMeaning: 'IDH status (model prediction)' }], ConceptCodeSequence: [{ CodeValue: 'V-IDH-WILDTYPE', CodingSchemeDesignator: '99NEUROONC', CodeMeaning: 'IDH wildtype' }] });
    });
    expect(errors(sameMeaning, base.ctx)).toEqual(['code.one-per-meaning']);
    const cut = broken((s) => {
      qe(s).push({ RelationshipType: 'CONTAINS', ValueType: 'CODE', ConceptNameCodeSequence: [{ CodeValue: 'X', CodingSchemeDesignator: '99NEUROONC', CodeMeaning: 'Something long that was cut...' }], ConceptCodeSequence: [{ CodeValue: 'Y', CodingSchemeDesignator: '99NEUROONC', CodeMeaning: 'Y' }] });
    });
    expect(errors(cut, base.ctx)).toEqual(['code.meaning-cut']);
  });
});
