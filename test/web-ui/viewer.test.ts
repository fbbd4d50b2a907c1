/** @jest-environment ./test/ai/ort-environment.js */
/**
 * The clinician result page and the patient page in a real browser (Debian Chromium driven by playwright-core)
 * against a real pipeline node running the tiny test model on one small synthetic study (modality importance on,
 * no destinations):
 *
 *   result page: patient name, ID, accession and study date at the top (absent on the dashboard); Open in OHIF;
 *     NCR/ED/ET bar; importance heatmap with head titles; the slice viewer draws, scrolls (wheel, keys, slider),
 *     switches planes, changes window/level (preset and drag) and shows the bidimensional measurement
 *   phone (390 × 844): neither page is wider than the screen
 *   patient page: one certainty wording everywhere, the picture, off by default (http.pages.patientPage)
 *
 * Screenshots go to /tmp/web-ui-viewer-shots (printed at the end).
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import type { Findings } from '../../src/ai/findings';
import { parseConfig } from '../../src/config/load';
import { readFindings } from '../../src/pipeline/stage-outputs';
import type { InferOutput } from '../../src/pipeline/stages';
import { startPipelineNode, type PipelineNode } from '../../src/pipeline-node';
import { synthesiseStudy, type SynthStudy } from '../../src/synth/study';
import { certaintyOf } from '../../src/web/ui/patient-page';
import { patientContextOf } from '../../src/web/ui/result-page';
import { patientAxes } from '../../src/web/ui/viewer-data';
import { waitFor } from '../helpers/ports';
import { stow } from '../helpers/stow';

const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const OHIF = 'https://ohif.example.org/viewer?StudyInstanceUIDs={studyInstanceUid}';
const SURENESS = /\b(fairly sure|somewhat sure|only moderately sure|not very sure|unsure)\b/g;

describe('result page viewer and patient page in Chromium against a real node', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'web-ui-viewer-'));
  const shots = '/tmp/web-ui-viewer-shots';
  mkdirSync(shots, { recursive: true });
  let node: PipelineNode;
  let study: SynthStudy;
  let ctx: BrowserContext;
  let page: Page;
  let jobId: number;
  let findings: Findings;
  const consoleProblems: string[] = [];

  beforeAll(async () => {
    const config = parseConfig({
      node: { name: 'viewer-test-node', dataDir: join(tmp, 'data') },
      http: { port: 0, pages: { ohifUrl: OHIF, patientPage: true } },
      dimse: { enabled: false },
      study: { quietPeriodSeconds: 1 },
      models: { dir: 'test/fixtures/models', routing: [{ model: 'tiny-glioma', whenRoles: ['flair'] }], modalityImportance: true },
    });
    node = await startPipelineNode(config);
    study = await synthesiseStudy({ tumor: 'gbm', seed: 'web-ui-viewer', vendor: 'ge', size: 'small', distractors: 'none' });
    expect((await stow(node.dicomwebUrl, study.files.map((f) => f.buffer))).every((s) => s === 200)).toBe(true);
    await waitFor(async () => node.jobs.list({ studyUid: study.study.studyInstanceUid }).some((j) => j.state === 'done' || j.state === 'failed'), 240_000, 'the job to finish');
    const job = node.jobs.list({ studyUid: study.study.studyInstanceUid })[0]!;
    expect(job.state).toBe('done');
    jobId = job.id;
    const infer = (await node.jobs.readOutput(jobId, 'inferring'))!.output as InferOutput;
    findings = await readFindings(join(node.jobs.jobDir(jobId), 'work'), infer.models[0]!.artifact);

    ctx = await chromium.launchPersistentContext(join(tmp, 'chromium-profile'), { executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS, viewport: { width: 1360, height: 900 } });
    page = ctx.pages()[0] ?? (await ctx.newPage());
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') consoleProblems.push(`${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => consoleProblems.push(`pageerror: ${e.message}`));
  }, 300_000);

  afterAll(async () => {
    await ctx?.close();
    await node?.close();
    console.log(`web-ui viewer screenshots: ${shots}`);
    rmSync(tmp, { recursive: true, force: true });
  });

  /** A hash and the count of non-black pixels of the viewer canvas. */
  const canvasState = (): Promise<{ hash: number; lit: number; width: number; height: number }> =>
    page.evaluate(`(() => {
      // Read a copy: repeated read-backs of the viewer's own canvas make Chromium warn on the console.
      const v = document.querySelector('canvas[data-view]');
      const c = document.createElement('canvas');
      c.width = v.width;
      c.height = v.height;
      const x = c.getContext('2d');
      x.drawImage(v, 0, 0);
      const d = x.getImageData(0, 0, c.width, c.height).data;
      let hash = 0;
      let lit = 0;
      for (let i = 0; i < d.length; i += 4) {
        hash = (hash * 31 + d[i] + 7 * d[i + 1] + 13 * d[i + 2]) | 0;
        if (d[i] + d[i + 1] + d[i + 2] > 30) lit++;
      }
      return { hash, lit, width: c.width, height: c.height };
    })()`);
  const renders = async (): Promise<number> => Number(await page.locator('canvas[data-view]').getAttribute('data-renders'));
  const nextRender = async (before: number): Promise<void> => {
    await waitFor(async () => (await renders()) > before, 15_000, 'the viewer to redraw');
  };

  it('result page: the patient at the top, Open in OHIF, the volume bar and the importance heatmap with head titles', async () => {
    const res = await page.goto(`${node.httpUrl}/ui/jobs/${jobId}`);
    expect(res!.status()).toBe(200);
    const p = patientContextOf({ patientName: study.patient.name, patientId: study.patient.id, accessionNumber: study.study.accessionNumber, studyDate: node.store.getStudy(study.study.studyInstanceUid)!.studyDate });
    await expect(page.locator('[data-patient-name]').textContent()).resolves.toBe(p.name);
    await expect(page.locator('[data-patient-id]').textContent()).resolves.toBe(study.patient.id);
    await expect(page.locator('[data-accession]').textContent()).resolves.toBe(study.study.accessionNumber);
    await expect(page.locator('[data-study-date]').textContent()).resolves.toMatch(/^\d{4}-\d{2}-\d{2}$/);
    await expect(page.locator('a[data-ohif]').getAttribute('href')).resolves.toBe(OHIF.replace('{studyInstanceUid}', study.study.studyInstanceUid));
    await expect(page.locator('a[data-ohif]').textContent()).resolves.toBe('Open in OHIF');
    expect(await page.locator('[data-volume-bar] [data-stack]').count()).toBeGreaterThan(0);
    expect(findings.modalityImportance?.length).toBeGreaterThan(0);
    const heat = (await page.locator('[data-heatmap] thead').textContent())!;
    expect(heat).toContain('1p/19q codeletion');
    expect(heat).toContain('IDH mutation status');
    expect(heat).not.toContain('codeletion_1p19q');
  });

  it('the viewer draws the display series with the overlay, scrolls, switches planes and changes window/level', async () => {
    const canvas = page.locator('canvas[data-view]');
    // Polled from here: page.waitForFunction would eval() a string inside the page, which the CSP forbids.
    await waitFor(async () => (await renders()) > 0, 30_000, 'the viewer to draw');
    const first = await canvasState();
    expect(first.lit).toBeGreaterThan(first.width * first.height * 0.1);
    // It opens on the plane the series was acquired in, where the bidimensional measurement lies.
    const native = ['sagittal', 'coronal', 'axial'][[0, 1, 2].find((p) => patientAxes(findings.referenceSeries.affine)[p]!.axis === 2)!];
    expect(await canvas.getAttribute('data-plane')).toBe(native);
    if (findings.bidimensional) expect(await canvas.getAttribute('data-bidimensional')).toBe('shown');
    await page.screenshot({ path: join(shots, 'result-desktop.png'), fullPage: true });
    await canvas.screenshot({ path: join(shots, `viewer-${native}-measurement.png`) });

    // Wheel: one slice further, different pixels.
    const slice0 = Number(await canvas.getAttribute('data-slice'));
    let n = await renders();
    await canvas.hover();
    await page.mouse.wheel(0, 120);
    await nextRender(n);
    expect(Number(await canvas.getAttribute('data-slice'))).toBe(slice0 + 1);
    expect((await canvasState()).hash).not.toBe(first.hash);
    // Keys.
    n = await renders();
    await canvas.focus();
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    await waitFor(async () => (await renders()) >= n + 2, 15_000, 'the viewer to redraw twice');
    expect(Number(await canvas.getAttribute('data-slice'))).toBe(slice0 - 1);
    // Slider.
    n = await renders();
    await page.locator('input[data-slice]').fill('0');
    await nextRender(n);
    expect(await canvas.getAttribute('data-slice')).toBe('0');

    // Planes: each one draws something different, with its own letters.
    const hashes = new Set<number>();
    for (const plane of ['coronal', 'sagittal', 'axial']) {
      n = await renders();
      await page.locator(`button[data-plane="${plane}"]`).click();
      await nextRender(n);
      expect(await canvas.getAttribute('data-plane')).toBe(plane);
      await expect(page.locator(`button[data-plane="${plane}"]`).getAttribute('aria-pressed')).resolves.toBe('true');
      const s = await canvasState();
      expect(s.lit).toBeGreaterThan(s.width * s.height * 0.05);
      hashes.add(s.hash);
      await canvas.screenshot({ path: join(shots, `viewer-${plane}.png`) });
    }
    expect(hashes.size).toBe(3);
    await expect(page.locator('[data-viewer-status]').textContent()).resolves.toMatch(/^Axial slice \d+ of \d+ · window 256, level 128/);

    // Window/level: a preset, then a drag.
    const before = await canvasState();
    n = await renders();
    await page.locator('select[data-wl]').selectOption({ label: 'High contrast' });
    await nextRender(n);
    const preset = await canvasState();
    expect(preset.hash).not.toBe(before.hash);
    const box = (await canvas.boundingBox())!;
    n = await renders();
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width / 2 - 60, box.y + box.height / 2 + 40, { steps: 4 });
    await page.mouse.up();
    await nextRender(n);
    expect((await canvasState()).hash).not.toBe(preset.hash);
    await expect(page.locator('[data-viewer-status]').textContent()).resolves.not.toContain('window 110, level 150');
    expect(consoleProblems).toEqual([]);
  });

  it('the viewer data is bounded and needs the job to exist', async () => {
    const r = await fetch(`${node.httpUrl}/ui/jobs/${jobId}/viewer-data?model=tiny-glioma`);
    expect(r.status).toBe(200);
    const buf = Buffer.from(await r.arrayBuffer());
    const [c, rows, s] = findings.referenceSeries.dims;
    expect(buf.length).toBeLessThan(2 * c * rows * s + 4096);
    expect((await fetch(`${node.httpUrl}/ui/jobs/${jobId}/viewer-data?model=nope`)).status).toBe(404);
    expect((await fetch(`${node.httpUrl}/ui/jobs/${jobId + 100}/viewer-data`)).status).toBe(404);
  });

  it('phone size (390 × 844): the result and patient pages are no wider than the screen', async () => {
    const phone = await ctx.newPage();
    try {
      await phone.setViewportSize({ width: 390, height: 844 });
      for (const [path, shot] of [[`/ui/jobs/${jobId}`, 'result-phone.png'], [`/ui/jobs/${jobId}/patient`, 'patient-phone.png']] as const) {
        await phone.goto(`${node.httpUrl}${path}`);
        await phone.waitForLoadState('networkidle');
        await phone.screenshot({ path: join(shots, shot), fullPage: true });
        // Nothing sticks out of the screen, except inside a table that scrolls sideways within its panel.
        const widths = await phone.evaluate<{ scroll: number; client: number; wide: string[]; cutTables: number }>(`(() => {
          const w = document.documentElement.clientWidth;
          const inScroller = (e) => { for (let p = e.parentElement; p; p = p.parentElement) if (getComputedStyle(p).overflowX === 'auto') return true; return false; };
          return {
            scroll: document.documentElement.scrollWidth,
            client: w,
            wide: [...document.querySelectorAll('body *')].filter((e) => e.getBoundingClientRect().right > w + 0.5 && !inScroller(e))
              .map((e) => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right)).slice(0, 8),
            cutTables: [...document.querySelectorAll('table')].filter((t) => t.scrollWidth > t.clientWidth + 1 && getComputedStyle(t).overflowX !== 'auto').length,
          };
        })()`);
        expect({ path, ...widths }).toEqual({ path, scroll: widths.client, client: 390, wide: [], cutTables: 0 });
      }
    } finally {
      await phone.close();
    }
  });

  it('patient page: one certainty wording, the research caveat with each guess, a picture, no identifiers', async () => {
    await page.goto(`${node.httpUrl}/ui/jobs/${jobId}/patient`);
    const text = await page.locator('body').innerText();
    const sure = certaintyOf(findings);
    expect(await page.locator('[data-overall]').textContent()).toBe(sure.words);
    expect(new Set(text.match(SURENESS))).toEqual(new Set([sure.words]));
    const decided = findings.heads.filter((h) => !h.indeterminate).length;
    expect(text.match(/best guess of this research program, which learned only from computer-made pictures and does not give a diagnosis/g) ?? []).toHaveLength(decided);
    if (findings.regions.find((r) => r.key === 'WT')!.voxelCount > 0) {
      await waitFor(async () => page.evaluate<boolean>('(() => { const i = document.querySelector("[data-picture] img"); return !!i && i.complete && i.naturalWidth > 0; })()'), 15_000, 'the picture to load');
    }
    for (const f of [study.patient.name, study.patient.name.replace('^', ' '), study.patient.id, study.study.accessionNumber]) expect(text).not.toContain(f);
    await page.screenshot({ path: join(shots, 'patient-desktop.png'), fullPage: true });
  });

  it('the dashboard and its data stay anonymised', async () => {
    const html = await (await fetch(`${node.httpUrl}/ui`)).text();
    const json = await (await fetch(`${node.httpUrl}/ui/dashboard.json`)).text();
    expect(html).toContain(`/ui/jobs/${jobId}`);
    for (const body of [html, json]) for (const f of [study.patient.name, study.patient.id, study.study.accessionNumber]) expect(body).not.toContain(f);
    expect(consoleProblems).toEqual([]);
  });

  it('http.pages.patientPage off (the default): no patient page, no link to it', async () => {
    const { startNode } = await import('../../src/node');
    const plain = await startNode(parseConfig({ node: { dataDir: join(tmp, 'no-patient-page') }, http: { port: 0 }, dimse: { enabled: false } }), { runJobs: false });
    try {
      const r = await fetch(`${plain.httpUrl}/ui/jobs/1/patient`);
      expect(r.status).toBe(404);
      expect(await r.text()).toContain('The patient page is turned off on this node (setting http.pages.patientPage).');
    } finally {
      await plain.close();
    }
    // With it on (this node), the result page links to it.
    await page.goto(`${node.httpUrl}/ui/jobs/${jobId}`);
    expect(await page.locator(`a[href="/ui/jobs/${jobId}/patient"]`).count()).toBe(1);
  });
});
