/**
 * A model trained in the BraTS convention, end to end: the committed models/glioma-brats-convention package (four
 * sequences, template space, skull-stripped, nested region outputs) runs beside the native-space glioma-mtl on the
 * same held-out synthetic studies (Philips profile and deformed anatomy: neither in training; the second study has
 * head motion between series). Studies go in by STOW-RS; both SEGs and SRs come back from a real Orthanc; each SEG is
 * decoded onto its display series and scored against the generator's ground truth. The BraTS-convention model must
 * not be more than 0.03 Dice below the native model (the model card reports the same comparison on more studies),
 * its SEG must lie on the native display series, its SR must state the template space and brain extraction, and
 * both objects must pass dciodvfy. Synthetic-data figures, not clinical performance.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkConformance } from '../../conformance/check';
import { parseConfig } from '../../src/config/load';
import { readP10, type NaturalDataset } from '../../src/dicom/p10';
import { startPipelineNode, type PipelineNode } from '../../src/pipeline-node';
import { synthesiseStudy } from '../../src/synth/study';
import { startOrthanc, type OrthancPeer } from '../helpers/orthanc';
import { segDiceOnDisplaySeries, type SegDice } from '../helpers/seg-dice';
import { waitFor } from '../helpers/ports';
import { stow } from '../helpers/stow';

const first = <T>(v: T | T[] | undefined): T | undefined => (Array.isArray(v) ? v[0] : v);
const NATIVE = 'glioma-mtl';
const BRATS = 'glioma-brats-convention';

type Scores = SegDice;

describe('BraTS-convention model end to end (STOW -> template space -> SEG/SR in Orthanc) vs the native-space model', () => {
  let pacs: OrthancPeer;
  let node: PipelineNode;
  const dataDir = mkdtempSync(join(tmpdir(), 'e2e-brats-'));

  beforeAll(async () => {
    pacs = await startOrthanc();
    node = await startPipelineNode(parseConfig({
      node: { dataDir },
      http: { port: 0 },
      dimse: { enabled: false },
      study: { quietPeriodSeconds: 60 },
      models: {
        dir: 'models', modalityImportance: false, testTimeAugmentation: false, intraOpNumThreads: 2,
        routing: [{ model: NATIVE, whenRoles: ['flair'] }, { model: BRATS, whenRoles: ['t1', 't1ce', 't2', 'flair'] }],
      },
      destinations: [{ name: 'pacs', type: 'dicomweb', url: pacs.dicomWebUrl }],
      delivery: { to: ['pacs'] },
    }));
  }, 120_000);
  afterAll(async () => {
    await node?.close();
    await pacs?.stop();
  });

  /** The SEG and SR files of a study as the PACS holds them. */
  async function objectFiles(uid: string): Promise<Buffer[]> {
    const ids = await pacs.rest<string[]>('GET', '/instances');
    const all = await Promise.all(ids.map(async (id) => Buffer.from(await (await fetch(`${pacs.url}/instances/${id}/file`)).arrayBuffer())));
    return all.filter((b) => {
      const d = readP10(b, { headerOnly: true }).dataset;
      return d.StudyInstanceUID === uid && (d.Modality === 'SEG' || d.Modality === 'SR');
    });
  }

  async function objectsOf(uid: string): Promise<NaturalDataset[]> {
    return (await objectFiles(uid)).map((b) => readP10(b).dataset);
  }

  it('both models segment the same held-out studies; the BraTS-convention model is within 0.03 Dice of the native one', async () => {
    const scores: Record<string, Scores[]> = { [NATIVE]: [], [BRATS]: [] };
    for (const [i, tumor] of [[0, 'gbm'], [1, 'astro']] as const) {
      const study = await synthesiseStudy({
        tumor, seed: `brats-compare-${i}`, vendor: 'philips', size: 'small', distractors: 'none', transferSyntax: 'explicit', multiframe: 'never',
        anatomyVariation: 4, ...(i % 2 ? { motion: { rotationDeg: 3, translationMm: 3 } } : {}),
      });
      const uid = study.study.studyInstanceUid;
      expect((await stow(node.dicomwebUrl, study.files.map((f) => f.buffer))).every((s) => s === 200)).toBe(true);
      expect((await fetch(`${node.httpUrl}/api/studies/${uid}/ready`, { method: 'POST' })).ok).toBe(true);
      await waitFor(async () => node.jobs.list({ studyUid: uid }).some((j) => j.state === 'done' || j.state === 'failed'), 600_000, 'the job');
      const job = node.jobs.list({ studyUid: uid })[0]!;
      expect(job.lastError).toBeUndefined();
      const objects = await objectsOf(uid);
      for (const model of [NATIVE, BRATS]) {
        const seg = objects.find((d) => d.Modality === 'SEG' && (first(d.SegmentSequence as NaturalDataset[]) as NaturalDataset | undefined)?.SegmentAlgorithmName === model);
        expect(seg).toBeDefined();
        const s = await segDiceOnDisplaySeries(seg!, study);
        scores[model]!.push(s);
        process.stdout.write(`${model} on brats-compare-${i}: WT ${s.wt.toFixed(3)} TC ${s.tc.toFixed(3)}\n`);
      }
      // The BraTS-convention SR says how its input was made (template space, brain extraction, registration).
      const srs = objects.filter((d) => d.Modality === 'SR');
      expect(srs).toHaveLength(2);
      const bratsSr = srs.find((d) => JSON.stringify(d).includes(BRATS));
      expect(bratsSr).toBeDefined();
      const text = JSON.stringify(bratsSr);
      expect(text).toMatch(/template space: Colin27/);
      expect(text).toMatch(/brain extraction: atlas/);
      // dciodvfy and our structural checks, per study (the set checks want one patient and study).
      const checked = (await objectFiles(uid)).map((bytes, k) => {
        const f = join(dataDir, `${i}-${k}.dcm`);
        writeFileSync(f, bytes);
        return f;
      });
      expect((await checkConformance(checked)).errors).toBe(0);
    }
    const mean = (m: string, k: keyof Scores): number => scores[m]!.reduce((a, s) => a + s[k], 0) / scores[m]!.length;
    process.stdout.write(`mean WT native ${mean(NATIVE, 'wt').toFixed(3)} brats ${mean(BRATS, 'wt').toFixed(3)}; TC native ${mean(NATIVE, 'tc').toFixed(3)} brats ${mean(BRATS, 'tc').toFixed(3)}\n`);
    expect(mean(BRATS, 'wt')).toBeGreaterThanOrEqual(mean(NATIVE, 'wt') - 0.03);
    expect(mean(BRATS, 'tc')).toBeGreaterThanOrEqual(mean(NATIVE, 'tc') - 0.03);
  }, 1_500_000);
});
