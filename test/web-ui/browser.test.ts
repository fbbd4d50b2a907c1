/** @jest-environment ./test/ai/ort-environment.js */
/**
 * The web interface in a real browser (Debian Chromium driven by playwright-core) against a real node: one
 * synthetic study is STOWed to a pipeline node running the tiny test model; the destination PACS (a real
 * Orthanc) sits behind a proxy that refuses with 401 until it is "fixed".
 *
 *   dashboard: the study is receiving, with its counts  -> Mark complete -> the job runs
 *   delivery refused (401) -> job failed, error shown   -> proxy fixed, Retry -> job done, objects in Orthanc
 *   result page: volumes, diagnosis and provenance match the job's Findings; key image; downloads are DICOM
 *   patient page: research banner, no identifiers, no jargon, no bare percentages
 *   only the result page shows the synthetic patient's name, ID and accession (never the birth date); no CSP violation
 *
 * Screenshots of every page go to the test's temp folder (printed at the end).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { parseConfig } from '../../src/config/load';
import { readFindings } from '../../src/pipeline/stage-outputs';
import type { InferOutput } from '../../src/pipeline/stages';
import { startPipelineNode, type PipelineNode } from '../../src/pipeline-node';
import { synthesiseStudy, type SynthStudy } from '../../src/synth/study';
import { startOrthanc, type OrthancPeer } from '../helpers/orthanc';
import { waitFor } from '../helpers/ports';
import { stow } from '../helpers/stow';
import { startGate, type Gate } from './gate';
import { certaintyOf } from '../../src/web/ui/patient-page';

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

describe('web interface in Chromium against a real node', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'web-ui-'));
  const shots = join(tmp, 'screenshots');
  mkdirSync(shots);
  let pacs: OrthancPeer;
  let gate: Gate;
  let node: PipelineNode;
  let study: SynthStudy;
  let studyUid: string;
  let ctx: BrowserContext;
  let page: Page;
  let jobId: number;
  /** Every HTML/JSON body the browser received from /ui, for the PHI check. */
  const bodies: Array<{ url: string; text: string }> = [];
  const consoleProblems: string[] = [];

  beforeAll(async () => {
    pacs = await startOrthanc();
    gate = await startGate(pacs.dicomWebUrl);
    const config = parseConfig({
      node: { name: 'ui-test-node', dataDir: join(tmp, 'data') },
      http: { port: 0, pages: { patientPage: true } },
      dimse: { enabled: false },
      // Long quiet period: the study stays "receiving" until the operator marks it complete in the dashboard.
      study: { quietPeriodSeconds: 3600 },
      // The tiny glioma contract plus a survival head fed the patient's age from the header.
      models: { dir: 'test/fixtures/models', routing: [{ model: 'tiny-glioma-survival', whenRoles: ['flair'] }], modalityImportance: false },
      destinations: [{ name: 'pacs', type: 'dicomweb', url: gate.url }],
      delivery: { to: ['pacs'], initialBackoffSeconds: 0.1, secondaryCapture: true, encapsulatedPdf: true },
    });
    node = await startPipelineNode(config);
    study = await synthesiseStudy({ tumor: 'gbm', seed: 'web-ui-1', vendor: 'siemens', size: 'small', distractors: 'random' });
    studyUid = study.study.studyInstanceUid;
    expect((await stow(node.dicomwebUrl, study.files.map((f) => f.buffer))).every((s) => s === 200)).toBe(true);

    ctx = await chromium.launchPersistentContext(join(tmp, 'chromium-profile'), {
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: CHROMIUM_ARGS,
      acceptDownloads: true,
      viewport: { width: 1360, height: 900 },
    });
    page = ctx.pages()[0] ?? (await ctx.newPage());
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') consoleProblems.push(`${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => consoleProblems.push(`pageerror: ${e.message}`));
    page.on('response', async (r) => {
      const type = r.headers()['content-type'] ?? '';
      if (r.url().includes('/ui') && /html|json/.test(type)) bodies.push({ url: r.url(), text: await r.text().catch(() => '') });
    });
  });

  afterAll(async () => {
    await ctx?.close();
    await node?.close();
    await gate?.close();
    await pacs?.stop();
    console.log(`web-ui screenshots: ${shots}`);
    if (process.env.KEEP_WEB_UI_TMP !== '1') rmSync(join(tmp, 'data'), { recursive: true, force: true });
  });

  /** Waits until the dashboard (redrawn by its polling script, no reload) shows the job in `state`. */
  const dashboardShows = (state: string, timeout: number): Promise<void> => page.locator(`tr[data-job-id="${jobId}"] [data-state="${state}"]`).waitFor({ timeout });

  it('dashboard: the study is receiving with its series/instance counts; Mark complete starts its job', async () => {
    const res = await page.goto(`${node.httpUrl}/ui`);
    expect(res!.status()).toBe(200);
    const csp = res!.headers()['content-security-policy'];
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');

    const row = page.locator(`tr[data-study-uid="${studyUid}"]`);
    await expect(row.locator('[data-state]').getAttribute('data-state')).resolves.toBe('receiving');
    const cells = await row.locator('td.num').allTextContents();
    expect(cells.map(Number)).toEqual([study.series.length, study.files.length]);
    await page.screenshot({ path: join(shots, '1-dashboard-receiving.png'), fullPage: true });

    await row.getByRole('button', { name: 'Mark complete' }).click();
    // The page polls: the study turns ready and a job row appears without a reload.
    await page.locator(`tr[data-study-uid="${studyUid}"] [data-state="ready"]`).waitFor({ timeout: 20_000 });
    const jobRow = page.locator('tr[data-job-id]').first();
    await jobRow.waitFor();
    jobId = Number(await jobRow.getAttribute('data-job-id'));
    expect(node.jobs.get(jobId)!.studyInstanceUid).toBe(studyUid);
    expect(node.studies.get(studyUid)!.readyReason).toBe('api');
  });

  it('a delivery refused with 401 fails the job, the dashboard shows the error, and Retry delivers once the destination is fixed', async () => {
    await waitFor(async () => ['failed', 'done'].includes(node.jobs.get(jobId)!.state), 240_000, 'the job to finish');
    expect(node.jobs.get(jobId)!.state).toBe('failed');
    await dashboardShows('failed', 15_000);
    const row = page.locator(`tr[data-job-id="${jobId}"]`);
    const error = await row.locator('[data-error]').textContent();
    expect(error).toMatch(/^delivering: delivery dead-lettered: pacs after 1 attempt\(s\): .*401/);
    expect(await row.locator('[data-stage="inferring"]').getAttribute('data-status')).toBe('done');
    expect(await row.locator('[data-stage="delivering"]').getAttribute('data-status')).toBe('failed');
    expect(gate.refused()).toBeGreaterThan(0);
    await page.screenshot({ path: join(shots, '2-dashboard-failed.png'), fullPage: true });

    gate.open();
    await row.getByRole('button', { name: 'Retry' }).click();
    await dashboardShows('done', 60_000);
    expect(await page.locator('#status').textContent()).toMatch(/Retry of job \d+: accepted/);
    expect(await row.locator('[data-error]').count()).toBe(0);
    expect(await row.locator('[data-status="done"]').count()).toBe(5);
    expect(await row.locator('button[data-action="retry"]').textContent()).toBe('Re-run');
    const series = await pacs.rest<Array<{ MainDicomTags: { Modality: string } }>>('GET', '/series?expand');
    expect(series.map((s) => s.MainDicomTags.Modality).sort()).toEqual(expect.arrayContaining(['SEG', 'SR', 'OT', 'DOC']));
    await page.screenshot({ path: join(shots, '3-dashboard-done.png'), fullPage: true });
  });

  it('result page: volumes, diagnosis, heads and provenance match the Findings; key image; delivery status', async () => {
    const infer = (await node.jobs.readOutput(jobId, 'inferring'))!.output as InferOutput;
    const findings = await readFindings(join(node.jobs.jobDir(jobId), 'work'), infer.models[0]!.artifact);

    await page.locator(`tr[data-job-id="${jobId}"] a`, { hasText: 'Results' }).click();
    await page.waitForURL(`**/ui/jobs/${jobId}`);
    await expect(page.locator('#research-banner').textContent()).resolves.toMatch(/RESEARCH USE ONLY.*synthetic data/);

    for (const r of findings.regions) {
      await expect(page.locator(`tr[data-region="${r.key}"] [data-volume-ml]`).getAttribute('data-volume-ml')).resolves.toBe(r.volumeMl.toFixed(1));
    }
    expect(findings.regions.find((r) => r.key === 'WT')!.volumeMl).toBeGreaterThan(0);
    expect(findings.diagnosis).toBeDefined();
    await expect(page.locator('[data-diagnosis]').textContent()).resolves.toBe(findings.diagnosis!.integrated.label);
    for (const h of findings.heads) {
      const text = await page.locator(`tr[data-head="${h.head}"]`).textContent();
      expect(text).toContain(h.title);
      expect(text).toContain(h.indeterminate ? 'indeterminate' : h.predicted);
    }
    const prov = await page.locator('[data-provenance]').textContent();
    expect(prov).toContain(findings.model.sha256);
    expect(prov).toContain(findings.model.version);
    expect(prov).toContain(findings.model.executionProvider);
    const missing = await page.locator('[data-missing]').first().textContent();
    if (findings.missingModalities.length) expect(missing).not.toBe('none');
    else expect(missing).toBe('none');
    const narrative = await page.locator('[data-narrative]').textContent();
    expect(narrative).toMatch(/^AUTOMATED ANALYSIS - RESEARCH USE ONLY/);
    // Survival: the age came from the STOWed header (PatientAge); the page shows the figures and the statement.
    const sv = findings.survival![0]!;
    expect(sv.status).toBe('reported');
    expect(sv.ageYears).toBe(study.patient.age);
    const box = page.locator('[data-survival="survival"][data-status="reported"]');
    for (const t of sv.timePoints) await expect(box.locator(`tr[data-months="${t.months}"]`).count()).resolves.toBe(1);
    await expect(box.locator('[data-risk-group]').textContent()).resolves.toBe(sv.riskGroup!.name);
    await expect(box.locator('[data-survival-statement]').textContent()).resolves.toContain('not a prediction for this patient');
    expect(narrative).toContain('Overall survival (synthetic outcomes, population statistics, not a prediction for this patient): survival at 1 year');
    expect(await page.locator('tr[data-series-role="flair"]').count()).toBeGreaterThan(0);
    await expect(page.locator('tr[data-destination="pacs"] [data-delivery-status]').getAttribute('data-delivery-status')).resolves.toBe('delivered');

    // The key image rendered (a real PNG the browser decoded) with the overlay on the largest-area slice.
    const img = page.locator('img.keyimage');
    await page.waitForFunction('(() => { const i = document.querySelector("img.keyimage"); return !!i && i.complete && i.naturalWidth > 0; })()');
    const png = await (await page.request.get(new URL((await img.getAttribute('src'))!, node.httpUrl).toString())).body();
    expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    await page.screenshot({ path: join(shots, '4-result.png'), fullPage: true });
  });

  it('result file links download the real DICOM objects the encoding stage wrote, and nothing else', async () => {
    const links = page.locator('a.download');
    const n = await links.count();
    expect(n).toBe(6); // SEG, SR, 3 key images, PDF
    const kinds: string[] = [];
    for (let i = 0; i < n; i++) {
      const [download] = await Promise.all([page.waitForEvent('download'), links.nth(i).click()]);
      const bytes = readFileSync((await download.path()));
      expect(bytes.subarray(128, 132).toString('latin1')).toBe('DICM');
      kinds.push(/-(seg|sr|sc|pdf)-/.exec(download.suggestedFilename())?.[1] ?? download.suggestedFilename());
      const sop = (await links.nth(i).getAttribute('href'))!.split('/').pop()!;
      expect(bytes.includes(Buffer.from(sop, 'latin1'))).toBe(true);
    }
    expect(kinds.sort()).toEqual(['pdf', 'sc', 'sc', 'sc', 'seg', 'sr']);

    const base = `${node.httpUrl}/ui/jobs/${jobId}/files`;
    const status = async (url: string): Promise<number> => (await fetch(url)).status;
    expect(await status(`${base}/..%2F..%2F..%2Fjob.json`)).toBe(400);
    expect(await status(`${base}/${studyUid}`)).toBe(404); // a valid UID, but not one of this job's objects
    const sop = (await links.first().getAttribute('href'))!.split('/').pop()!;
    expect(await status(`${node.httpUrl}/ui/jobs/${jobId + 1}/files/${sop}`)).toBe(404);
    expect(await status(`${node.httpUrl}/ui/jobs/0/files/${sop}`)).toBe(400);
  });

  it('patient page: research banner, plain words, no identifiers, no jargon, no bare percentages', async () => {
    await page.goto(`${node.httpUrl}/ui/jobs/${jobId}/patient`);
    const banner = await page.locator('#research-banner').textContent();
    expect(banner).toMatch(/For research only/);
    expect(banner).toMatch(/computer-made pictures/);
    const text = await page.locator('body').innerText();
    expect(text).toMatch(/not a diagnosis/i);
    expect(text).toMatch(/millilitres?/);
    // One plain-language paragraph per head: a guess with its chance in words, or "could not decide".
    const infer = (await node.jobs.readOutput(jobId, 'inferring'))!.output as InferOutput;
    const findings = await readFindings(join(node.jobs.jobDir(jobId), 'work'), infer.models[0]!.artifact);
    expect(await page.locator('[data-guess]').count()).toBe(findings.heads.length);
    const decided = findings.heads.filter((h) => !h.indeterminate).length;
    expect(text.match(/a chance of (about|more than|less than) \d+ in 10/g) ?? []).toHaveLength(decided);
    expect(text.match(/could not decide/g) ?? []).toHaveLength(findings.heads.length - decided);
    expect(await page.locator('[data-overall]').textContent()).toBe(certaintyOf(findings).words);
    // The site did not enable http.pages.patientSurvival: no survival figures for the patient.
    expect(await page.locator('[data-survival]').count()).toBe(0);
    expect(text).not.toMatch(/surviv|alive/i);
    expect(text).not.toMatch(/\d+(\.\d+){3,}/); // no UIDs
    expect(text).not.toMatch(/\d\s*%/);
    for (const jargon of ['IDH', '1p/19q', 'WHO', 'wildtype', 'codeleted', 'NOS', 'FLAIR', 'T1', 'entropy', 'sha256', 'voxel', 'segmentation', 'probability', 'DICOM', 'SOP', 'tiny-glioma', 'mL']) {
      expect(text).not.toContain(jargon);
    }
    await page.screenshot({ path: join(shots, '5-patient.png'), fullPage: true });
  });

  it('only the result page shows patient name, ID and accession (it needs them: wrong-patient risk); no page shows the birth date; no CSP violations or script errors', async () => {
    await page.goto(`${node.httpUrl}/ui`);
    await page.goto(`${node.httpUrl}/ui/dashboard.json`);
    expect(bodies.length).toBeGreaterThanOrEqual(5);
    const p = study.patient;
    const forbidden = [p.name, p.name.replace('^', ' '), p.id, p.birthDate, study.study.accessionNumber].filter((s) => s.length >= 4);
    expect(forbidden.length).toBe(5);
    const resultPage = new RegExp(`/ui/jobs/${jobId}$`);
    expect(bodies.some((b) => resultPage.test(b.url) && b.text.includes(p.id))).toBe(true);
    for (const b of bodies) {
      const allowed = resultPage.test(b.url) ? [p.name, p.id, study.study.accessionNumber] : [];
      for (const f of forbidden) if (!allowed.includes(f)) expect({ url: b.url, contains: b.text.includes(f) ? f : null }).toEqual({ url: b.url, contains: null });
    }
    expect(consoleProblems).toEqual([]);
  });

  it('http.ui false: the node serves no /ui pages', async () => {
    const { startNode } = await import('../../src/node');
    const plain = await startNode(parseConfig({ node: { dataDir: join(tmp, 'no-ui') }, http: { port: 0, ui: false }, dimse: { enabled: false } }), { runJobs: false });
    try {
      expect((await fetch(`${plain.httpUrl}/ui`)).status).toBe(404);
      expect((await fetch(`${plain.httpUrl}/healthz`)).status).toBe(200);
    } finally {
      await plain.close();
    }
  });
});
