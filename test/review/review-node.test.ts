/** @jest-environment ./test/ai/ort-environment.js */
/**
 * The review loop against real parts: a pipeline node (tiny test model) delivers SEG + SR to a real Orthanc; the
 * result is reviewed through the API; two corrected SEGs come back through Orthanc — one made by editing our
 * SEG's frames (pushed by Orthanc's DICOMweb client, STOW-RS), one written the way OHIF writes one (dcmjs'
 * Cornerstone segmentation adapter, sent by Orthanc with C-STORE) — and neither starts a job; each is recorded as
 * a correction with Dice / volume difference / HD95 and gives a VERIFIED review SR in Orthanc that passes dciodvfy
 * and dsrdump. Tissue results are entered; the drift alert fires (log, metric, webhook) when agreement drops.
 * Accept and Reject are pressed on the result page in a real Chromium (playwright-core); with UPDATE_DOCS_IMG=1 the
 * review panel's screenshot is saved as docs/img/review-panel.png.
 */
import { createServer, type Server } from 'node:http';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as dcmjs from 'dcmjs';
import { ohifStyleSeg } from './helpers/ohif-seg';
import type { Findings } from '../../src/ai/findings';
import { parseConfig } from '../../src/config/load';
import { readP10 } from '../../src/dicom/p10';
import { dciodvfy } from '../../src/encoders/conformance/validators';
import type { JobRecord } from '../../src/jobs/types';
import { readFindings } from '../../src/pipeline/stage-outputs';
import type { EncodeOutput, InferOutput } from '../../src/pipeline/stages';
import { startPipelineNode, type PipelineNode } from '../../src/pipeline-node';
import { synthesiseStudy } from '../../src/synth/study';
import { scopeFor } from '../../src/web/access-control';
import { runTool } from '../helpers/dcmtk';
import { startOrthanc, type OrthancPeer } from '../helpers/orthanc';
import { freePort, waitFor } from '../helpers/ports';
import { stow } from '../helpers/stow';

const { DicomMessage, DicomMetaDictionary } = dcmjs.data;

describe('review loop: API decisions, corrections through Orthanc, review SRs, tissue results, drift alert', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'review-node-'));
  let pacs: OrthancPeer;
  let node: PipelineNode;
  let hook: Server;
  const hooks: Array<Record<string, unknown>> = [];
  let studyUid: string;
  let job: JobRecord;
  let findings: Findings;
  let aiSegUid: string;
  let ctx: BrowserContext;
  let page: Page;
  const pageProblems: string[] = [];

  const api = async (method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> => {
    const r = await fetch(`${node.httpUrl}/api${path}`, { method, ...(body !== undefined ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) } : {}) });
    return { status: r.status, json: (await r.json()) as Record<string, unknown> };
  };
  const reviewState = async (): Promise<{ state: string; history: Array<Record<string, unknown>> }> => (await api('GET', `/results/${job.id}/review`)).json as never;
  const jobs = async (): Promise<JobRecord[]> => ((await api('GET', '/jobs')).json as { jobs: JobRecord[] }).jobs;
  /** SR instances in Orthanc whose VerificationFlag is VERIFIED, as files. */
  const verifiedSrs = async (): Promise<string[]> => {
    const ids = await pacs.rest<string[]>('GET', '/instances');
    const out: string[] = [];
    for (const id of ids) {
      const tags = await pacs.rest<Record<string, string>>('GET', `/instances/${id}/simplified-tags`);
      if (tags.Modality === 'SR' && tags.VerificationFlag === 'VERIFIED') {
        const path = join(tmp, `${id}.dcm`);
        writeFileSync(path, Buffer.from(await (await fetch(`${pacs.url}/instances/${id}/file`)).arrayBuffer()));
        out.push(path);
      }
    }
    return out;
  };
  const expectValidSr = async (file: string): Promise<string> => {
    expect((await dciodvfy(file)).filter((i) => i.severity === 'error')).toEqual([]);
    const dump = await runTool('dsrdump', ['+Pt', file]);
    expect(dump.code).toBe(0);
    return dump.stdout;
  };
  /** Uploads a Part 10 file to Orthanc; its Orthanc id. */
  const upload = async (bytes: Buffer): Promise<string> => (await pacs.rest<{ ID: string }>('POST', '/instances', new Uint8Array(bytes))).ID;

  beforeAll(async () => {
    const httpPort = await freePort();
    const dimsePort = await freePort();
    const hookPort = await freePort();
    hook = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        hooks.push(JSON.parse(body) as Record<string, unknown>);
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => hook.listen(hookPort, '127.0.0.1', resolve));
    pacs = await startOrthanc({
      dicomWebServers: { neuro: { Url: `http://127.0.0.1:${httpPort}/dicom-web/` } },
      modalities: { neuro: ['NEUROONC', '127.0.0.1', dimsePort] },
    });
    const config = parseConfig({
      node: { name: 'review-node', dataDir: join(tmp, 'data') },
      http: { port: httpPort, pages: { ohifUrl: 'http://127.0.0.1:9/viewer?StudyInstanceUIDs={studyInstanceUid}' } },
      dimse: { port: dimsePort, aeTitle: 'NEUROONC' },
      study: { quietPeriodSeconds: 1 },
      models: { dir: 'test/fixtures/models', routing: [{ model: 'tiny-glioma', whenRoles: ['flair'] }], modalityImportance: false },
      destinations: [{ name: 'pacs', type: 'dicomweb', url: pacs.dicomWebUrl }],
      delivery: { to: ['pacs'], initialBackoffSeconds: 0.1, secondaryCapture: false, encapsulatedPdf: false },
      notifications: { webhooks: [{ name: 'drift', url: `http://127.0.0.1:${hookPort}/hook`, events: ['model-drift'], initialBackoffSeconds: 0.1 }] },
      review: { organisation: 'Test University Hospital', drift: { window: 1, minAgreement: 0.75 }, agreementMinDice: 0.8 },
    });
    node = await startPipelineNode(config);
    const study = await synthesiseStudy({ tumor: 'gbm', seed: 'review-1', vendor: 'siemens', size: 'small', distractors: 'none' });
    studyUid = study.study.studyInstanceUid;
    expect((await stow(node.dicomwebUrl, study.files.map((f) => f.buffer))).every((s) => s === 200)).toBe(true);
    await waitFor(async () => (await jobs()).some((j) => j.state === 'done' || j.state === 'failed'), 300_000, 'the job to finish');
    job = (await jobs()).find((j) => j.studyInstanceUid === studyUid)!;
    expect(job.lastError).toBeUndefined();
    const infer = (await node.jobs.readOutput(job.id, 'inferring'))!.output as InferOutput;
    findings = await readFindings(join(node.jobs.jobDir(job.id), 'work'), infer.models[0]!.artifact);
    aiSegUid = ((await node.jobs.readOutput(job.id, 'encoding'))!.output as EncodeOutput).objects.find((o) => o.kind === 'seg')!.sopInstanceUid;
    await node.review.idle();
    ctx = await chromium.launchPersistentContext(join(tmp, 'chromium-profile'), {
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      viewport: { width: 1360, height: 900 },
    });
    page = ctx.pages()[0] ?? (await ctx.newPage());
    page.on('console', (m) => {
      if (m.type() === 'error') pageProblems.push(m.text());
    });
    page.on('pageerror', (e) => pageProblems.push(e.message));
  }, 400_000);

  afterAll(async () => {
    await ctx?.close();
    await node?.close();
    await pacs?.stop();
    await new Promise((r) => hook?.close(r));
    rmSync(tmp, { recursive: true, force: true });
  });

  it('a delivered result is pending; bad review requests get a 400 naming the problem; POSTs need the review scope', async () => {
    expect((await reviewState()).state).toBe('pending');
    const unknown = await api('POST', `/results/${job.id}/review`, { decision: 'accepted', signedBy: 'x' });
    expect(unknown.status).toBe(400);
    expect(String(unknown.json.error)).toMatch(/signedBy/);
    const noReason = await api('POST', `/results/${job.id}/review`, { decision: 'rejected' });
    expect(noReason.status).toBe(400);
    expect(String(noReason.json.error)).toMatch(/reasonCode/);
    expect((await api('POST', `/results/99999/review`, { decision: 'accepted' })).status).toBe(404);
    expect(scopeFor('POST', `/api/results/${job.id}/review`, '/dicom-web')).toBe('review');
    expect(scopeFor('POST', `/api/results/${job.id}/molecular`, '/dicom-web')).toBe('review');
    expect(scopeFor('GET', `/api/results/${job.id}/review`, '/dicom-web')).toBe('read');
    expect(scopeFor('POST', `/api/jobs/${job.id}/retry`, '/dicom-web')).toBe('operate');
  });

  it('Accept on the result page (Chromium): recorded, and a VERIFIED review SR superseding the AI SR reaches the PACS (dciodvfy, dsrdump)', async () => {
    await page.goto(`${node.httpUrl}/ui/jobs/${job.id}`);
    const panel = page.locator('[data-review="tiny-glioma"]');
    await expect(panel.locator('[data-review-state]').getAttribute('data-review-state')).resolves.toBe('pending');
    await expect(panel.locator('[data-review-correct]').getAttribute('href')).resolves.toContain(encodeURIComponent(studyUid));
    await panel.locator('input[name=reviewerName]').fill('Reader^Rita');
    await panel.getByRole('button', { name: 'Accept' }).click();
    await page.locator('[data-review-state="accepted"]').waitFor({ timeout: 30_000 });
    expect((await reviewState()).state).toBe('accepted');
    await node.review.idle();
    const srs = await verifiedSrs();
    expect(srs).toHaveLength(1);
    const dump = await expectValidSr(srs[0]!);
    expect(dump).toContain('Reader^Rita');
    expect(pageProblems).toEqual([]);
  });

  it("a SEG made by editing our SEG's frames, pushed by Orthanc over STOW-RS, is a correction: no new job, Dice/HD95 recorded, review SR", async () => {
    const jobsBefore = (await jobs()).length;
    const generationBefore = node.studies.get(studyUid)!.generation;
    // Our SEG as the PACS holds it; the reviewer deletes its largest segment on the upper half of its frames.
    const segId = (await pacs.rest<Array<{ ID: string; MainDicomTags: { SOPInstanceUID: string } }>>('GET', '/instances?expand')).find((i) => i.MainDicomTags.SOPInstanceUID === aiSegUid)!.ID;
    const bytes = Buffer.from(await (await fetch(`${pacs.url}/instances/${segId}/file`)).arrayBuffer());
    const msg = DicomMessage.readFile(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    const ds = DicomMetaDictionary.naturalizeDataset(msg.dict) as Record<string, unknown>;
    const frameBits = Number(ds.Rows) * Number(ds.Columns);
    const pixels = new Uint8Array((ds.PixelData as ArrayBuffer[])[0]!);
    const segmentOf = (ds.PerFrameFunctionalGroupsSequence as Array<Record<string, unknown>>).map((pf) => Number((pf.SegmentIdentificationSequence as Array<{ ReferencedSegmentNumber: number }>)[0]!.ReferencedSegmentNumber));
    const counts = new Map<number, number>();
    for (const n of segmentOf) counts.set(n, (counts.get(n) ?? 0) + 1);
    const largest = [...counts].sort((a, b) => b[1] - a[1])[0]![0];
    const frames = segmentOf.map((n, f) => (n === largest ? f : -1)).filter((f) => f >= 0);
    let erased = 0;
    for (const f of frames.slice(0, Math.ceil(frames.length / 2))) {
      for (let bit = f * frameBits; bit < (f + 1) * frameBits; bit++) {
        if (pixels[bit >> 3]! & (1 << (bit & 7))) erased++;
        pixels[bit >> 3]! &= ~(1 << (bit & 7));
      }
    }
    expect(erased).toBeGreaterThan(0);
    ds.PixelData = [pixels.buffer];
    ds.SOPInstanceUID = `${aiSegUid}.1`.slice(0, 64);
    ds.SeriesInstanceUID = `${String(ds.SeriesInstanceUID)}.1`.slice(0, 64);
    ds.Manufacturer = '3D Slicer';
    ds.SeriesDescription = 'Segmentation corrected';
    ds.ContentCreatorName = 'Editor^Eve';
    msg.dict = DicomMetaDictionary.denaturalizeDataset(ds);
    (msg.meta as Record<string, unknown>)['00020003'] = { vr: 'UI', Value: [ds.SOPInstanceUID] }; // MediaStorageSOPInstanceUID
    const edited = Buffer.from(msg.write());
    const id = await upload(edited);
    await pacs.rest('POST', '/dicom-web/servers/neuro/stow', { Resources: [id], Synchronous: true });
    await waitFor(async () => (await reviewState()).state === 'corrected', 60_000, 'the correction to be recorded');
    await node.review.idle();
    const last = (await reviewState()).history.at(-1)!;
    expect(last.correctedSegUid).toBe(ds.SOPInstanceUID);
    const agreement = last.agreement as Array<{ key: string; dice: number; volumeDifferenceMl: number; hausdorff95Mm: number | null }>;
    const wt = agreement.find((a) => a.key === 'WT')!;
    expect(wt.dice).toBeLessThan(1);
    expect(wt.volumeDifferenceMl).toBeLessThan(0);
    expect(wt.hausdorff95Mm).toBeGreaterThan(0);
    // Exactly the edited segment changed.
    expect(agreement.filter((a) => ['NCR', 'ED', 'ET'].includes(a.key) && a.dice < 1)).toHaveLength(1);
    // Stored and served, but no new job and no new generation.
    expect(node.store.getInstance(String(ds.SOPInstanceUID))).toBeDefined();
    await new Promise((r) => setTimeout(r, 2500)); // longer than the quiet period
    expect((await jobs()).length).toBe(jobsBefore);
    expect(node.studies.get(studyUid)!.generation).toBe(generationBefore);
    const srs = await verifiedSrs();
    expect(srs).toHaveLength(2);
    for (const f of srs) await expectValidSr(f);
  });

  it('a SEG written the way OHIF writes one (dcmjs Cornerstone adapter), sent by Orthanc over C-STORE, is a correction too', async () => {
    const jobsBefore = (await jobs()).length;
    const ref = findings.referenceSeries;
    const lm = findings.segmentation!.labelmap;
    const [nx, ny, nz] = lm.dims;
    const segs = findings.segmentation!.segments;
    // The reader erases the largest segment on the slice where it is largest.
    const data = new Uint8Array(lm.data);
    const plane = nx * ny;
    const count = (label: number, k?: number): number => {
      let n = 0;
      for (let v = k === undefined ? 0 : k * plane; v < (k === undefined ? data.length : (k + 1) * plane); v++) if (data[v] === label) n++;
      return n;
    };
    const edited = [...segs].sort((a, b) => count(b.labelValue) - count(a.labelValue))[0]!;
    const slice = Array.from({ length: nz }, (_, k) => k).sort((a, b) => count(edited.labelValue, b) - count(edited.labelValue, a))[0]!;
    expect(count(edited.labelValue, slice)).toBeGreaterThan(0);
    for (let v = slice * plane; v < (slice + 1) * plane; v++) if (data[v] === edited.labelValue) data[v] = 0;
    const seg = await ohifStyleSeg(await Promise.all(ref.sources.map((x) => node.store.readInstance(x.sopInstanceUid))), data, nx * ny, segs);
    const segDs = readP10(seg).dataset;
    const id = await upload(seg);
    await pacs.rest('POST', '/modalities/neuro/store', { Resources: [id], Synchronous: true });
    await waitFor(async () => (await reviewState()).history.at(-1)!.correctedSegUid === segDs.SOPInstanceUID, 60_000, 'the OHIF-style correction to be recorded');
    await node.review.idle();
    const last = (await reviewState()).history.at(-1)!;
    const agreement = last.agreement as Array<{ key: string; dice: number }>;
    for (const a of agreement.filter((x) => ['NCR', 'ED', 'ET'].includes(x.key))) {
      if (a.key === edited.key) expect(a.dice).toBeLessThan(1);
      else expect(a.dice).toBe(1);
    }
    expect((await jobs()).length).toBe(jobsBefore);
    const srs = await verifiedSrs();
    expect(srs).toHaveLength(3);
    for (const f of srs) await expectValidSr(f);
    // The result page shows the correction and its agreement figures.
    await page.goto(`${node.httpUrl}/ui/jobs/${job.id}`);
    const panel = page.locator('[data-review="tiny-glioma"]');
    await expect(panel.locator('[data-review-state]').getAttribute('data-review-state')).resolves.toBe('corrected');
    await expect(panel.locator(`[data-agreement-region="${edited.key}"] [data-dice]`).getAttribute('data-dice')).resolves.not.toBe('1.000');
    const shot = join(tmp, 'review-panel.png');
    await panel.screenshot({ path: shot });
    if (process.env.UPDATE_DOCS_IMG === '1') {
      mkdirSync('docs/img', { recursive: true });
      copyFileSync(shot, 'docs/img/review-panel.png');
    }
  });

  it('tissue results entered on the result page: integrated WHO CNS5 diagnosis and per-head agreement; unknown fields refused', async () => {
    expect((await api('POST', `/results/${job.id}/molecular`, { idh: 'wildtype', ki67: 30 })).status).toBe(400);
    expect((await api('POST', `/results/${job.id}/molecular`, {})).status).toBe(400);
    // Entered on the result page (Chromium).
    await page.goto(`${node.httpUrl}/ui/jobs/${job.id}`);
    const form = page.locator('[data-review="tiny-glioma"] [data-tissue-form]');
    for (const [name, value] of Object.entries({ idh: 'wildtype', codeletion1p19q: 'intact', grade: '4', histology: 'glioblastoma' })) await form.locator(`select[name=${name}]`).selectOption(value);
    await form.getByRole('button', { name: 'Save tissue results' }).click();
    await page.locator('[data-tissue-diagnosis]').waitFor({ timeout: 30_000 });
    expect(await page.locator('[data-tissue-diagnosis]').textContent()).toBe('Glioblastoma, IDH-wildtype, CNS WHO grade 4');
    expect(pageProblems).toEqual([]);
    const m = (await reviewState() as unknown as { molecular: { integratedDiagnosis: string; agreement: Array<{ head: string; agrees: boolean; predicted: string }> } }).molecular;
    expect(m.integratedDiagnosis).toBe('Glioblastoma, IDH-wildtype, CNS WHO grade 4');
    expect(m.agreement.map((a) => a.head).sort()).toEqual(['codeletion_1p19q', 'grade', 'histology', 'idh']);
    for (const a of m.agreement) expect(a.agrees).toBe(a.predicted === { idh: 'wildtype', codeletion_1p19q: 'intact', grade: '4', histology: 'glioblastoma' }[a.head]);
  });

  it('drift: a rejection drops agreement over the last case below 75 %: log line, metric and webhook; monitoring JSON and CSV', async () => {
    // Reject on the result page (Chromium): coded reason plus free text.
    await page.goto(`${node.httpUrl}/ui/jobs/${job.id}`);
    const panel = page.locator('[data-review="tiny-glioma"]');
    await panel.locator('select[name=reasonCode]').selectOption('segmentation-wrong');
    await panel.locator('input[name=reasonText]').fill('misses the cystic part');
    await panel.getByRole('button', { name: 'Reject' }).click();
    await page.locator('[data-review-state="rejected"]').waitFor({ timeout: 30_000 });
    const last = (await reviewState()).history.at(-1)!;
    expect(last).toMatchObject({ decision: 'rejected', reasonCode: 'segmentation-wrong', reasonText: 'misses the cystic part' });
    expect(pageProblems).toEqual([]);
    await node.review.idle();
    const metrics = await (await fetch(`${node.httpUrl}/metrics`)).text();
    expect(metrics).toMatch(/neuro_onc_review_drift_alert\{model="tiny-glioma",version="[^"]+"\} 1/);
    expect(metrics).toMatch(/neuro_onc_review_results\{model="tiny-glioma",version="[^"]+",state="rejected"\} 1/);
    // The default chain (cuda -> webgpu -> cpu) on this host: the provider the model's session actually got.
    expect(metrics).toMatch(/^neuro_onc_model_execution_provider\{model="tiny-glioma",version="[^"]+",provider="(cpu|webgpu|cuda)"\} 1$/m);
    await waitFor(async () => hooks.some((h) => h.kind === 'model-drift'), 20_000, 'the drift webhook');
    expect(String(hooks.find((h) => h.kind === 'model-drift')!.summary)).toMatch(/agreement over the last 1 reviewed cases is \d+ %, below 75 %/);
    const mon = (await api('GET', '/monitoring')).json.models as Array<{ rejected: number; drift: { alert: boolean }; heads: Array<{ head: string }> }>;
    expect(mon[0]!.rejected).toBe(1);
    expect(mon[0]!.drift.alert).toBe(true);
    expect(mon[0]!.heads.map((h) => h.head)).toContain('idh');
    const csv = await (await fetch(`${node.httpUrl}/api/monitoring.csv`)).text();
    expect(csv.split('\n')[0]).toMatch(/^model,version,delivered/);
    expect(csv).toMatch(/tiny-glioma/);
    const rejectedSr = (await verifiedSrs()).length;
    expect(rejectedSr).toBe(4);
    expect(await expectValidSr((await verifiedSrs()).at(-1)!)).toBeDefined();
    const monitoringPage = await (await fetch(`${node.httpUrl}/ui/monitoring`)).text();
    expect(monitoringPage).toContain('data-drift="alert"');
  });
});
