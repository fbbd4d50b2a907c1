/**
 * A head's meaning comes from the kind its manifest declares, not from its id: a model whose heads are called
 * idh_status, chromosome_arms, cns_grade and tumour_type gets the same SR codes and patient wording as one whose
 * heads are called idh, codeletion_1p19q, grade and histology. The chain runs from the manifest through
 * summariseHead to the encoders (no model run).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HeadResult } from '../../src/ai/findings';
import { summariseHead } from '../../src/ai/inference';
import { parseManifest, type ModelManifest } from '../../src/ai/manifest';
import { readP10 } from '../../src/dicom/p10';
import { encodeResults } from '../../src/encoders';
import { PRIVATE_SCHEME } from '../../src/encoders/codes';
import { patientNarrative } from '../../src/encoders/narrative/templates';
import type { EncoderOptions } from '../../src/encoders/options';
import { AXIAL, syntheticCase, type GridSpec } from '../../src/testing/synthetic-findings';
import { codeValue, concept, derived, kids, modifier, numValue, one, type Node } from './helpers/sr-tree';

const GRID: GridSpec = { columns: 20, rows: 18, slices: 10, spacing: [1, 1, 2.5], ...AXIAL, origin: [-10, -9, 0] };
const OPTS: EncoderOptions = { node: { name: 'kinds-test', version: '0.1.0' }, now: new Date('2026-02-03T04:05:06'), pdf: { enabled: false }, keyImages: { enabled: false } };
const RENAMED: Record<string, string> = { idh: 'idh_status', codeletion_1p19q: 'chromosome_arms', grade: 'cns_grade', histology: 'tumour_type' };

/** The tiny glioma model's manifest with its heads renamed (kinds unchanged). */
function renamedManifest(): ModelManifest {
  const raw = JSON.parse(readFileSync(join(__dirname, '../fixtures/models/tiny-glioma/manifest.json'), 'utf8')) as { outputs: { heads: { id: string }[] } };
  for (const h of raw.outputs.heads) h.id = RENAMED[h.id] ?? h.id;
  return parseManifest(raw, 'renamed heads');
}

/** Head results as the engine makes them from the manifest, with the synthetic case's probabilities. */
function headsFrom(m: ModelManifest, template: HeadResult[]): HeadResult[] {
  return m.outputs.heads.map((spec) => {
    const like = template.find((t) => t.kind === spec.kind)!;
    return summariseHead(spec, [spec.classes.map((c) => like.classes.find((x) => x.name === c.name)!.probability)]);
  });
}

async function srRoot(heads: HeadResult[], rename: Record<string, string>): Promise<Node> {
  const c = syntheticCase({ grid: GRID, key: 'head-kinds' });
  c.findings.heads = heads;
  c.findings.modalityImportance = c.findings.modalityImportance?.map((mi) => ({
    ...mi,
    headDeltas: Object.fromEntries(Object.entries(mi.headDeltas).map(([k, v]) => [rename[k] ?? k, v])),
  }));
  const out = await encodeResults(c.findings, c.header, OPTS);
  return readP10(out.objects.find((o) => o.kind === 'sr')!.bytes).dataset as Node;
}

describe('head kind reaches the encoders', () => {
  const base = syntheticCase({ grid: GRID, key: 'head-kinds' }).findings.heads;
  const manifest = renamedManifest();
  const heads = headsFrom(manifest, base);
  let renamedRoot: Node;
  beforeAll(async () => {
    renamedRoot = await srRoot(heads, RENAMED);
  });

  it('carries the manifest kind on each head result', () => {
    expect(heads.map((h) => [h.head, h.kind])).toEqual([
      ['idh_status', 'idh'],
      ['chromosome_arms', 'codeletion_1p19q'],
      ['cns_grade', 'who_grade'],
      ['tumour_type', 'histology'],
    ]);
  });

  it('codes the classification results by kind, whatever the head is called', () => {
    const root = renamedRoot;
    const qe = one(root, 'C0034375', 'UMLS');
    expect(concept(one(qe, 'IDHSTAT', PRIVATE_SCHEME)).meaning).toBe('IDH mutation status (model prediction)');
    expect(codeValue(one(qe, 'IDHSTAT', PRIVATE_SCHEME))).toMatchObject({ value: 'IDH-WT', meaning: 'IDH-wildtype' });
    expect(codeValue(one(qe, '1P19QSTAT', PRIVATE_SCHEME)).value).toBe('1P19Q-INTACT');
    expect(codeValue(one(qe, 'CNSGRADE', PRIVATE_SCHEME))).toMatchObject({ value: 'C62397', scheme: 'NCIt' });
    expect(one(qe, '116677004', 'SCT')).toBeDefined();
    const probabilities = derived(root).filter((n) => concept(n).value === '122157');
    const idh = (cls: string): Node | undefined => probabilities.find((n) => modifier(n, 'IDHSTAT') === cls);
    expect(numValue(idh('IDH-WT')!).value).toBe(0.83);
    expect(numValue(idh('IDH-MUT')!).value).toBe(0.17);
    // Modality importance names the task by the same concept.
    const deltas = derived(root).filter((n) => concept(n).value === 'MIDELTA');
    expect(deltas.filter((n) => modifier(n, 'TASK') === 'IDHSTAT')).toHaveLength(2);
  });

  it('codes a renamed model exactly as the original one', async () => {
    const original = headsFrom(parseManifest(JSON.parse(readFileSync(join(__dirname, '../fixtures/models/tiny-glioma/manifest.json'), 'utf8')), 'original'), base);
    const codesOf = (root: Node): string[] => kids(one(root, 'C0034375', 'UMLS')).filter((n) => n.ValueType === 'CODE').map((n) => `${concept(n).value}=${codeValue(n).value}`);
    expect(codesOf(renamedRoot)).toEqual(codesOf(await srRoot(original, {})));
  });

  it('words the renamed heads for the patient', () => {
    const f = { ...syntheticCase({ grid: GRID, key: 'head-kinds' }).findings, heads };
    const text = patientNarrative(f);
    expect(text).toContain('- A genetic change in the tumour cells that doctors use to tell types of brain tumour apart. Best guess: this change is probably not there.');
    expect(text).toContain('Best guess: these pieces are probably not missing.');
    expect(text).toContain('Best guess: a fast-growing tumour (grade 4).');
    expect(text).not.toContain('other feature');
  });
});
