/**
 * End-to-end accuracy with the committed glioma model: synthetic studies (unseen seeds, the Philips profile the
 * model card reports as its unseen vendor) go in by STOW-RS; the SEG and SR come back from a real Orthanc; the SEG
 * is decoded onto the display series, compared with the synthetic ground truth, and must reach the model card's
 * Dice minus a margin (few cases here, so a generous one); the SR's volumes must equal the job's findings.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../src/config/load';
import { readP10, type NaturalDataset } from '../../src/dicom/p10';
import type { Findings } from '../../src/ai/findings';
import { readFindings } from '../../src/pipeline/stage-outputs';
import { startPipelineNode, type PipelineNode } from '../../src/pipeline-node';
import type { InferOutput } from '../../src/pipeline/stages';
import { synthesiseStudy } from '../../src/synth/study';
import { startOrthanc, type OrthancPeer } from '../helpers/orthanc';
import { waitFor } from '../helpers/ports';
import { gliomaCardDice } from '../helpers/model-card';
import { segDiceOnDisplaySeries } from '../helpers/seg-dice';
import { stow } from '../helpers/stow';

type Item = NaturalDataset & { ContentSequence?: Item[]; ConceptNameCodeSequence?: NaturalDataset | NaturalDataset[]; MeasuredValueSequence?: NaturalDataset | NaturalDataset[] };
const first = <T>(v: T | T[] | undefined): T | undefined => (Array.isArray(v) ? v[0] : v);

/**
 * Volume (SCT 118565006) per region from a TID 1500 SR: segment groups by tracking identifier ("NCR - ..."), the
 * derived volumes (TC, WT; empty segments) by their measured-region modifier (the SEG's segment type, TC Neoplasm,
 * WT Lesion).
 */
function srVolumes(ds: NaturalDataset, findings: Findings): Record<string, number> {
  const out: Record<string, number> = {};
  const code = (n: Item, key: 'ConceptNameCodeSequence' | 'ConceptCodeSequence'): string => String((first(n[key] as NaturalDataset | NaturalDataset[] | undefined) as NaturalDataset | undefined)?.CodeValue ?? '');
  const byType = new Map<string, string>([['108369006', 'TC'], ['52988006', 'WT'], ...(findings.segmentation?.segments ?? []).map((s) => [s.type.value, s.key] as [string, string])]);
  const walk = (items: Item[] | undefined, derived: boolean): void => {
    for (const it of items ?? []) {
      const kids = it.ContentSequence ?? [];
      const tracking = kids.find((k) => code(k, 'ConceptNameCodeSequence') === '112039');
      const vol = kids.find((k) => code(k, 'ConceptNameCodeSequence') === '118565006');
      if (tracking && vol) out[String(tracking.TextValue).split(' ')[0]!] = Number((first(vol.MeasuredValueSequence) as NaturalDataset).NumericValue);
      if (derived && code(it, 'ConceptNameCodeSequence') === '118565006' && first(it.MeasuredValueSequence)) {
        const region = kids.find((k) => code(k, 'ConceptNameCodeSequence') === 'REGION');
        if (region) out[byType.get(code(region, 'ConceptCodeSequence')) ?? '?'] = Number((first(it.MeasuredValueSequence) as NaturalDataset).NumericValue);
      }
      walk(kids, derived || code(it, 'ConceptNameCodeSequence') === '126011');
    }
  };
  walk((ds as Item).ContentSequence, false);
  return out;
}

describe('end-to-end accuracy of the committed glioma model (synthetic studies, unseen vendor)', () => {
  let pacs: OrthancPeer;
  let node: PipelineNode;
  const dataDir = mkdtempSync(join(tmpdir(), 'e2e-acc-'));

  beforeAll(async () => {
    pacs = await startOrthanc();
    node = await startPipelineNode(parseConfig({
      node: { dataDir },
      http: { port: 0 },
      dimse: { enabled: false },
      study: { quietPeriodSeconds: 60 },
      models: { dir: 'models', modalityImportance: false },
      destinations: [{ name: 'pacs', type: 'dicomweb', url: pacs.dicomWebUrl }],
      delivery: { to: ['pacs'] },
    }));
  });
  afterAll(async () => {
    await node?.close();
    await pacs?.stop();
  });

  it('Dice of the SEG read back from the PACS is close to the model card; SR volumes equal the findings', async () => {
    const card = gliomaCardDice('full');
    const scores: Array<{ wt: number; tc: number }> = [];
    for (const [tumor, seed] of [['gbm', 'acc-1'], ['astro', 'acc-2'], ['oligo', 'acc-3']] as const) {
      const study = await synthesiseStudy({ tumor, seed, vendor: 'philips', size: 'small', distractors: 'random' });
      const uid = study.study.studyInstanceUid;
      expect((await stow(node.dicomwebUrl, study.files.map((f) => f.buffer))).every((s) => s === 200)).toBe(true);
      expect((await fetch(`${node.httpUrl}/api/studies/${uid}/ready`, { method: 'POST' })).ok).toBe(true);
      await waitFor(async () => node.jobs.list({ studyUid: uid }).some((j) => j.state === 'done' || j.state === 'failed'), 300_000, 'the job');
      const job = node.jobs.list({ studyUid: uid })[0]!;
      expect(job.lastError).toBeUndefined();

      // SEG and SR as the PACS holds them.
      const inst = await pacs.rest<Array<{ ID: string; MainDicomTags: { SOPInstanceUID: string } }>>('GET', `/instances?expand`);
      const objects = await Promise.all(inst.map(async (i) => readP10(Buffer.from(await (await fetch(`${pacs.url}/instances/${i.ID}/file`)).arrayBuffer())).dataset));
      const ofStudy = objects.filter((d) => d.StudyInstanceUID === uid);
      const seg = ofStudy.find((d) => d.Modality === 'SEG')!;
      const sr = ofStudy.find((d) => d.Modality === 'SR')!;
      expect(seg).toBeDefined();
      expect(sr).toBeDefined();

      // The SEG on its display series, against the ground truth.
      scores.push(await segDiceOnDisplaySeries(seg, study));

      // SR volumes = the job's findings (what the audit record says is what the model produced).
      const inferred = JSON.parse(readFileSync(join(dataDir, 'jobs', String(job.id), 'inferring.json'), 'utf8')).output as InferOutput;
      const findings = await readFindings(join(dataDir, 'jobs', String(job.id), 'work'), inferred.models[0]!.artifact);
      const vols = srVolumes(sr, findings);
      for (const r of findings.regions) expect(vols[r.key]).toBeCloseTo(r.volumeMl, 1);
    }
    const mean = (k: 'wt' | 'tc'): number => scores.reduce((s, x) => s + x[k], 0) / scores.length;
    console.log(`end-to-end Dice over ${scores.length} studies: WT ${mean('wt').toFixed(3)} (card ${card.wt}), TC ${mean('tc').toFixed(3)} (card ${card.tc})`);
    expect(mean('wt')).toBeGreaterThanOrEqual(card.wt - 0.15);
    expect(mean('tc')).toBeGreaterThanOrEqual(card.tc - 0.2);
  }, 600_000); // three full studies through the node; generous on a loaded CI machine
});
