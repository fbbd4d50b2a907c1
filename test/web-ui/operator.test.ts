/**
 * Operator conveniences (what an imaging team needs to run the node): dashboard search by state, date and accession
 * (accession for the operate scope only) with paging, a confirmation before Re-run (real Chromium), ISO 8601 times in
 * the API, `GET /` to the dashboard, and CLI errors that name the cause: a bad --port, a config file's line and
 * column, ECONNREFUSED instead of "fetch failed".
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { parseConfig } from '../../src/config/load';
import { startNode, type NodeHandle } from '../../src/node';
import { synthesiseStudy } from '../../src/synth/study';
import { dashboardData } from '../../src/web/ui/dashboard-data';
import { freePort, waitFor } from '../helpers/ports';
import { runCli } from '../helpers/run-cli';
import { stow } from '../helpers/stow';

const OP = 'operator-secret-0123456789abcdef';
const VIEWER = 'viewer-secret-0123456789abcdef';
const hashSecret = (s: string): string => createHash('sha256').update(s).digest('hex');
const auth = (secret: string): Record<string, string> => ({ Authorization: `Bearer ${secret}` });

describe('operator conveniences', () => {
  let node: NodeHandle;
  const studies: Array<{ uid: string; accession: string }> = [];

  beforeAll(async () => {
    node = await startNode(
      parseConfig({
        node: { dataDir: mkdtempSync(join(tmpdir(), 'operator-')) },
        http: {
          port: 0,
          auth: {
            users: [
              { name: 'op', secretSha256: hashSecret(OP), scopes: ['store', 'read', 'operate'] },
              { name: 'viewer', secretSha256: hashSecret(VIEWER), scopes: ['read'] },
            ],
          },
        },
        dimse: { enabled: false },
        study: { quietPeriodSeconds: 1 },
      }),
      { backoffMs: () => 100 },
    );
    for (const seed of ['op-a', 'op-b', 'op-c']) {
      const s = await synthesiseStudy({ tumor: 'none', seed, vendor: 'ge', size: 'small', distractors: 'none', transferSyntax: 'explicit', drop: ['t1', 't2', 'flair'] });
      const r = await fetchStow(node, s.files.map((f) => f.buffer));
      expect(r.every((x) => x === 200)).toBe(true);
      studies.push({ uid: s.study.studyInstanceUid, accession: s.study.accessionNumber });
    }
    // No stage handlers: every job passes through to done.
    await waitFor(async () => node.jobs.list({ state: 'done' }).length === 3, 60_000, 'three done jobs');
  }, 180_000);

  afterAll(async () => {
    await node?.close();
  });

  async function fetchStow(n: NodeHandle, parts: Buffer[]): Promise<number[]> {
    // The helper posts without credentials; this node requires them, so go through a tiny authenticating fetch.
    const orig = globalThis.fetch;
    globalThis.fetch = ((url: string, init: RequestInit = {}) => orig(url, { ...init, headers: { ...(init.headers as Record<string, string>), ...auth(OP) } })) as typeof fetch;
    try {
      return await stow(n.dicomwebUrl, parts);
    } finally {
      globalThis.fetch = orig;
    }
  }

  const json = async (path: string, secret = OP): Promise<{ status: number; body: Record<string, unknown> }> => {
    const r = await fetch(`${node.httpUrl}${path}`, { headers: auth(secret) });
    return { status: r.status, body: (await r.json()) as Record<string, unknown> };
  };

  it('GET / opens the dashboard', async () => {
    const r = await fetch(`${node.httpUrl}/`, { headers: auth(VIEWER), redirect: 'manual' });
    expect(r.status).toBe(302);
    expect(r.headers.get('location')).toBe('/ui');
  });

  it('the API gives times as ISO 8601', async () => {
    const { body } = await json('/api/jobs');
    const job = (body.jobs as Array<Record<string, unknown>>)[0]!;
    expect(job.createdAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    expect(job.finishedAt).toMatch(/Z$/);
    const detail = await json(`/api/jobs/${String(job.id)}`);
    expect((detail.body.events as Array<{ at: unknown }>)[0]!.at).toMatch(/Z$/);
    const study = await json(`/api/studies/${studies[0]!.uid}`);
    expect(study.body.firstArrivalAt).toMatch(/Z$/);
  });

  it('searches by accession (operators only), state and date, and pages', async () => {
    const one = await json(`/ui/dashboard.json?accession=${encodeURIComponent(studies[1]!.accession)}`);
    expect(one.status).toBe(200);
    expect((one.body.studies as Array<{ studyInstanceUid: string }>).map((s) => s.studyInstanceUid)).toEqual([studies[1]!.uid]);
    expect((one.body.jobs as Array<{ studyInstanceUid: string }>).map((j) => j.studyInstanceUid)).toEqual([studies[1]!.uid]);
    // The counters stay the node's totals.
    expect((one.body.counts as { done: number }).done).toBe(3);

    const viewer = await json(`/ui/dashboard.json?accession=${encodeURIComponent(studies[1]!.accession)}`, VIEWER);
    expect(viewer.status).toBe(403);
    expect(viewer.body.error).toMatch(/operate scope/);
    const viewerPage = await (await fetch(`${node.httpUrl}/ui`, { headers: auth(VIEWER) })).text();
    expect(viewerPage).not.toContain('name="accession"');
    const opPage = await (await fetch(`${node.httpUrl}/ui`, { headers: auth(OP) })).text();
    expect(opPage).toContain('name="accession"');
    // The patient page is off by default: the dashboard offers the results, not a patient version.
    expect(opPage).toMatch(/href="\/ui\/jobs\/\d+">Results</);
    expect(opPage).not.toContain('Patient version');
    expect(one.body.patientPage).toBe(false);

    expect(((await json('/ui/dashboard.json?state=failed')).body.jobs as unknown[]).length).toBe(0);
    expect(((await json('/ui/dashboard.json?state=done')).body.jobs as unknown[]).length).toBe(3);
    const today = new Date().toISOString().slice(0, 10);
    expect(((await json(`/ui/dashboard.json?from=${today}&to=${today}`)).body.studies as unknown[]).length).toBe(3);
    expect(((await json('/ui/dashboard.json?to=2000-01-01')).body.studies as unknown[]).length).toBe(0);
    const bad = await json('/ui/dashboard.json?from=2026-13-45');
    expect(bad.status).toBe(400);
    expect(bad.body.error).toBe('from must be a date as YYYY-MM-DD');
    expect((await json('/ui/dashboard.json?state=bogus')).status).toBe(400);

    // Paging, with a page of one row: page 2 holds the second-newest job, and the page count follows.
    const src = { jobs: node.jobs, studies: node.studies, store: node.store, node: { name: 'n', version: 'v' }, limit: 1 };
    const p1 = dashboardData(src, Date.now(), { page: 1 });
    const p2 = dashboardData(src, Date.now(), { page: 2 });
    expect(p1.page).toMatchObject({ number: 1, size: 1, jobs: 3, studies: 3, pages: 3 });
    expect(p1.jobs).toHaveLength(1);
    expect(p2.jobs[0]!.id).toBeLessThan(p1.jobs[0]!.id);
    expect(dashboardData(src, Date.now(), { page: 4 }).jobs).toHaveLength(0);
  });

  it('Re-run asks first: dismissing changes nothing, accepting re-runs the job (Chromium)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'operator-chromium-'));
    const ctx: BrowserContext = await chromium.launchPersistentContext(dir, {
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      extraHTTPHeaders: auth(OP),
    });
    try {
      const page = ctx.pages()[0] ?? (await ctx.newPage());
      const job = node.jobs.list({ state: 'done' })[0]!;
      const before = node.jobs.jobs.events(job.id).length;
      await page.goto(`${node.httpUrl}/ui`);
      const dialogs: string[] = [];
      page.once('dialog', (d) => (dialogs.push(d.message()), void d.dismiss()));
      await page.click(`tr[data-job-id="${job.id}"] button[data-action="retry"]`);
      await waitFor(async () => dialogs.length === 1, 10_000, 'the confirmation');
      expect(dialogs[0]).toContain(`Re-run job ${job.id} from the first stage?`);
      await new Promise((r) => setTimeout(r, 500));
      expect(node.jobs.jobs.events(job.id).length).toBe(before); // nothing happened
      page.once('dialog', (d) => void d.accept());
      await page.click(`tr[data-job-id="${job.id}"] button[data-action="retry"]`);
      await waitFor(async () => node.jobs.jobs.events(job.id).some((e) => e.note?.startsWith('retry requested')), 10_000, 'the re-run');
    } finally {
      await ctx.close();
    }
  }, 120_000);

  it('the CLI names the problem: a bad port, a config line and column, an unreachable node', async () => {
    const port = await runCli(['serve', '--port', 'abc']);
    expect(port.code).toBe(2);
    expect(port.stderr).toContain('port must be a number from 0 to 65535, not "abc"');

    const dir = mkdtempSync(join(tmpdir(), 'operator-config-'));
    const yaml = join(dir, 'node.yaml');
    writeFileSync(yaml, 'http:\n  port: 8080\ndimse:\n  aeTitle: THIS-AE-TITLE-IS-TOO-LONG\n');
    const cfg = await runCli(['-c', yaml, 'config']);
    expect(cfg.code).toBe(2);
    expect(cfg.stderr).toContain(`dimse.aeTitle (${yaml}:4:12)`);
    const broken = join(dir, 'broken.json');
    writeFileSync(broken, '{\n  "http": {"port": 80,}\n}\n');
    const syntax = await runCli(['-c', broken, 'config']);
    expect(syntax.code).toBe(2);
    expect(syntax.stderr).toContain(`config file ${broken}:2:23 is not valid JSON`); // the "}" after the trailing comma

    const closed = await freePort();
    const jobs = await runCli(['jobs', '--url', `http://127.0.0.1:${closed}`]);
    expect(jobs.code).toBe(2);
    expect(jobs.stderr).toContain(`cannot reach the node at http://127.0.0.1:${closed}/api/jobs`);
    expect(jobs.stderr).toContain('ECONNREFUSED');
    expect(jobs.stderr).not.toContain('fetch failed');
  }, 120_000);
});
