/**
 * Rules of the HTTP front door against a real node with users (docs/security.md, docs/dicomweb.md):
 * the scope check agrees with routing whatever the path's case, the `metrics` scope, zod-validated API bodies,
 * CORS for configured origins, RetrieveURLs that never come from the Host header, the STOW part limit with a
 * bounded response, the rate-limited rejection log and the access log.
 */
import { request } from 'node:http';
import Transport from 'winston-transport';
import { multipartContentType, multipartRelated, syntheticMrStudy } from '../../src/testing/synthetic-mr';
import type { AccessScope } from '../../src/config/sections/http';
import { rootLogger } from '../../src/log/logger';
import { logLimited } from '../../src/log/repeat-limit';
import { allows, newSecret } from '../../src/web/access-control';
import { startTestNode, type TestNode } from './node-fixture';

/** Collects the log lines written while a test runs (info and above). */
class Capture extends Transport {
  lines: Array<Record<string, unknown>> = [];
  override log(info: Record<string, unknown>, next: () => void): void {
    this.lines.push({ ...info });
    next();
  }
}

function withLogs(): { capture: Capture; stop: () => void } {
  const root = rootLogger();
  const level = root.level;
  const capture = new Capture({ level: 'info' });
  root.add(capture);
  root.level = 'info';
  return {
    capture,
    stop: () => {
      root.remove(capture);
      root.level = level;
    },
  };
}

/** A raw request (node:http lets the test set Host and read every header). */
function raw(url: string, opts: { method?: string; headers?: Record<string, string>; body?: Buffer | string }): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: opts.method ?? 'GET', headers: opts.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

const users: Record<string, { scopes: AccessScope[]; secret: string; secretSha256: string }> = {};
for (const [name, scopes] of Object.entries({ router: ['store'], reader: ['read'], operator: ['operate'], monitor: ['metrics'] } as Record<string, AccessScope[]>)) {
  users[name] = { scopes, ...newSecret() };
}
const bearer = (u: string): Record<string, string> => ({ Authorization: `Bearer ${users[u]!.secret}` });
const ORIGIN = 'https://viewer.example.org';

describe('HTTP rules of a node with users', () => {
  let node: TestNode;
  const [inst] = syntheticMrStudy({ seed: 'http-rules', series: 1, slicesPerSeries: 1, rows: 8, columns: 8 });
  const stowBody = multipartRelated([inst!.bytes], 'b0und4ry');
  beforeAll(async () => {
    node = await startTestNode({
      http: { auth: { users: Object.entries(users).map(([name, u]) => ({ name, secretSha256: u.secretSha256, scopes: u.scopes })) }, corsOrigins: [ORIGIN], maxPartsPerRequest: 1000 },
    });
  });
  afterAll(async () => node?.destroy());

  it('checks the scope of every route family in upper, lower and mixed case the way routing reads it', async () => {
    const study = inst!.studyInstanceUid;
    const families: Array<{ method: string; path: string; needs: AccessScope; body?: Buffer }> = [
      { method: 'POST', path: '/dicom-web/studies', needs: 'store', body: stowBody },
      { method: 'POST', path: `/dicom-web/studies/${study}`, needs: 'store', body: stowBody },
      { method: 'GET', path: '/dicom-web/studies', needs: 'read' },
      { method: 'GET', path: `/dicom-web/studies/${study}/metadata`, needs: 'read' },
      { method: 'GET', path: '/api/jobs', needs: 'read' },
      { method: 'POST', path: '/api/jobs/1/retry', needs: 'operate' },
      { method: 'POST', path: `/api/studies/${study}/ready`, needs: 'operate' },
      { method: 'GET', path: '/ui', needs: 'read' },
      { method: 'GET', path: '/metrics', needs: 'metrics' },
    ];
    const variants = (p: string): string[] => [p, p.toUpperCase().replace(/\/STUDIES\/[0-9.]+/, `/STUDIES/${study}`), p.replace(/[a-z]/g, (c, i: number) => (i % 2 ? c.toUpperCase() : c))];
    const wrong: string[] = [];
    for (const f of families) {
      for (const path of variants(f.path)) {
        for (const [name, u] of Object.entries(users)) {
          const allowed = allows(u.scopes, f.needs);
          const r = await raw(node.httpUrl + path, { method: f.method, headers: { ...bearer(name), ...(f.body ? { 'Content-Type': multipartContentType('b0und4ry') } : {}) }, body: f.body });
          const ok = allowed ? r.status !== 401 && r.status !== 403 && r.status !== 404 : r.status === 403;
          if (!ok) wrong.push(`${f.method} ${path} as ${name} (${u.scopes.join()}): ${r.status}`);
        }
      }
    }
    expect(wrong).toEqual([]);
  });

  it('the probe: POST /DICOM-WEB/studies with an operate-only token is refused and stores nothing', async () => {
    const [other] = syntheticMrStudy({ seed: 'http-rules-upper', series: 1, slicesPerSeries: 1, rows: 8, columns: 8 });
    const r = await raw(`${node.httpUrl}/DICOM-WEB/studies`, { method: 'POST', headers: { ...bearer('operator'), 'Content-Type': multipartContentType('b0und4ry') }, body: multipartRelated([other!.bytes], 'b0und4ry') });
    expect(r.status).toBe(403);
    expect(JSON.parse(r.body).error).toMatch(/lacks the "store" scope/);
    expect(node.store.listInstances({ studyInstanceUid: other!.studyInstanceUid })).toEqual([]);
  });

  it('/metrics needs the metrics scope (read covers it too); a metrics user reads nothing else', async () => {
    expect((await raw(`${node.httpUrl}/metrics`, { headers: bearer('monitor') })).status).toBe(200);
    expect((await raw(`${node.httpUrl}/metrics`, { headers: bearer('reader') })).status).toBe(200);
    expect((await raw(`${node.httpUrl}/metrics`, { headers: bearer('router') })).status).toBe(403);
    expect((await raw(`${node.dicomwebUrl}/studies`, { headers: bearer('monitor') })).status).toBe(403);
    expect((await raw(`${node.httpUrl}/api/jobs`, { headers: bearer('monitor') })).status).toBe(403);
  });

  it('refuses unknown or wrong fields in API bodies with 400 naming them (the probe: {"from":"bogus"} re-ran a job)', async () => {
    const post = (path: string, body: string) => raw(node.httpUrl + path, { method: 'POST', headers: { ...bearer('operator'), 'Content-Type': 'application/json' }, body });
    const unknown = await post('/api/jobs/1/retry', '{"from":"bogus"}');
    expect(unknown.status).toBe(400);
    expect(JSON.parse(unknown.body).error).toMatch(/invalid request body: .*"from"/);
    const badStage = await post('/api/jobs/1/retry', '{"fromStage":"baking"}');
    expect(badStage.status).toBe(400);
    expect(JSON.parse(badStage.body).error).toMatch(/fromStage: /);
    expect((await post(`/api/studies/${inst!.studyInstanceUid}/ready`, '{"now":true}')).status).toBe(400);
    expect((await post('/api/jobs/1/retry', '[]')).status).toBe(400);
    // No body, or an empty object, is still fine.
    expect((await post('/api/jobs/999/retry', '{}')).status).toBe(404);
  });

  it('CORS: a configured origin gets its preflight answered and may read; other origins get no CORS headers', async () => {
    const pre = await raw(`${node.dicomwebUrl}/studies`, { method: 'OPTIONS', headers: { Origin: ORIGIN, 'Access-Control-Request-Method': 'GET', 'Access-Control-Request-Headers': 'authorization' } });
    expect(pre.status).toBe(204);
    expect(pre.headers['access-control-allow-origin']).toBe(ORIGIN);
    expect(pre.headers['access-control-allow-headers']).toBe('authorization');
    const get = await raw(`${node.dicomwebUrl}/studies`, { headers: { Origin: ORIGIN, ...bearer('reader') } });
    expect(get.status).toBe(200);
    expect(get.headers['access-control-allow-origin']).toBe(ORIGIN);
    expect(get.headers.vary).toMatch(/Origin/);
    const foreign = await raw(`${node.dicomwebUrl}/studies`, { method: 'OPTIONS', headers: { Origin: 'https://evil.example', 'Access-Control-Request-Method': 'GET' } });
    expect(foreign.status).toBe(401);
    expect(foreign.headers['access-control-allow-origin']).toBeUndefined();
    // A state change from the configured origin is not refused as cross-site; from another origin it is.
    const stowFromViewer = await raw(`${node.dicomwebUrl}/studies`, { method: 'POST', headers: { Origin: ORIGIN, 'Sec-Fetch-Site': 'cross-site', ...bearer('router'), 'Content-Type': multipartContentType('b0und4ry') }, body: stowBody });
    expect(stowFromViewer.status).toBe(200);
    const stowFromElsewhere = await raw(`${node.dicomwebUrl}/studies`, { method: 'POST', headers: { Origin: 'https://evil.example', ...bearer('router'), 'Content-Type': multipartContentType('b0und4ry') }, body: stowBody });
    expect(stowFromElsewhere.status).toBe(403);
  });

  it('RetrieveURLs point at the node, not at the Host header a client sent', async () => {
    const r = await raw(`${node.dicomwebUrl}/studies`, { method: 'POST', headers: { Host: 'evil.example.org', ...bearer('router'), 'Content-Type': multipartContentType('b0und4ry') }, body: stowBody });
    expect(r.status).toBe(200);
    expect(r.body).not.toContain('evil.example.org');
    expect(JSON.parse(r.body)['00081190'].Value[0]).toBe(`${node.dicomwebUrl}/studies/${inst!.studyInstanceUid}`);
    const q = await raw(`${node.dicomwebUrl}/studies`, { headers: { Host: 'evil.example.org', ...bearer('reader') } });
    expect(q.body).not.toContain('evil.example.org');
  });

  it('cuts a STOW with more parts than http.maxPartsPerRequest off with 413 and a short answer (the probe: 500,000 empty parts)', async () => {
    const part = '--b0und4ry\r\nContent-Type: application/dicom\r\n\r\n\r\n';
    const body = Buffer.from(part.repeat(500_000) + '--b0und4ry--\r\n', 'latin1'); // ~23 MB
    const t0 = Date.now();
    const heap0 = process.memoryUsage().heapUsed;
    const r = await raw(`${node.dicomwebUrl}/studies`, { method: 'POST', headers: { ...bearer('router'), 'Content-Type': multipartContentType('b0und4ry') }, body });
    const ms = Date.now() - t0;
    expect(r.status).toBe(413);
    expect(r.headers.connection).toBe('close');
    expect(r.body).toMatch(/more than http\.maxPartsPerRequest \(1000\) parts/);
    expect(r.body.length).toBeLessThan(64 * 1024);
    // Generous bounds: the probe's run took 43 s and 1 GB; a limited one takes a fraction of a second.
    expect(ms).toBeLessThan(15_000);
    expect(process.memoryUsage().heapUsed - heap0).toBeLessThan(200 * 1024 * 1024);
  });

  it('lists at most 100 failed parts one by one and summarises the rest; rejection log lines are rate-limited', async () => {
    const logs = withLogs();
    try {
      const garbage = Array.from({ length: 900 }, (_, i) => Buffer.from(`not dicom ${i}`));
      const r = await raw(`${node.dicomwebUrl}/studies`, { method: 'POST', headers: { ...bearer('router'), 'Content-Type': multipartContentType('b0und4ry') }, body: multipartRelated(garbage, 'b0und4ry') });
      expect(r.status).toBe(409);
      const json = JSON.parse(r.body) as Record<string, { Value: Array<Record<string, { Value: unknown[] }>> }>;
      const items = [...(json['00081198']?.Value ?? []), ...(json['0008119A']?.Value ?? [])];
      expect(items).toHaveLength(101);
      expect(String(items[100]!['00091001']!.Value[0])).toBe('800 more failed part(s) not listed one by one: 800 not-dicom');
      expect(r.body.length).toBeLessThan(64 * 1024);
      const rejected = logs.capture.lines.filter((l) => l.message === 'instance rejected');
      expect(rejected.length).toBeLessThanOrEqual(20);
      const summary = logs.capture.lines.find((l) => l.message === 'STOW-RS request');
      expect(summary).toMatchObject({ status: 409, failed: 900, rejected: { 'not-dicom': 900 }, user: 'router' });
    } finally {
      logs.stop();
    }
  });

  it('writes one access-log line per request: method, path, status, user, study, bytes, time; never the query', async () => {
    const logs = withLogs();
    try {
      await raw(`${node.dicomwebUrl}/studies/${inst!.studyInstanceUid}/series?PatientName=DOE^JANE`, { headers: bearer('reader') });
      await raw(`${node.dicomwebUrl}/studies/${inst!.studyInstanceUid}`, { method: 'POST', headers: { ...bearer('router'), 'Content-Type': multipartContentType('b0und4ry') }, body: stowBody });
      await new Promise((r) => setTimeout(r, 50));
      const [get, post] = logs.capture.lines.filter((l) => l.message === 'request');
      expect(get).toMatchObject({ level: 'info', method: 'GET', path: `/dicom-web/studies/${inst!.studyInstanceUid}/series`, status: 200, user: 'reader', study: inst!.studyInstanceUid, bytesIn: 0 });
      expect(get!.bytesOut).toBeGreaterThan(0);
      expect(typeof get!.ms).toBe('number');
      expect(post).toMatchObject({ method: 'POST', status: 200, user: 'router', study: inst!.studyInstanceUid, bytesIn: stowBody.length });
      expect(JSON.stringify(logs.capture.lines)).not.toMatch(/DOE|JANE/);
    } finally {
      logs.stop();
    }
  });
});

describe('repeat-limited log lines', () => {
  it('writes the first lines of a burst, then one summary of the rest when the window ends', async () => {
    const logs = withLogs();
    try {
      const log = rootLogger().child({ component: 'test' });
      for (let i = 0; i < 50; i++) logLimited(log, 'info', 'same thing again', { i }, { burst: 5, windowMs: 200 });
      await new Promise((r) => setTimeout(r, 400));
      const lines = logs.capture.lines.filter((l) => String(l.message).startsWith('same thing again'));
      expect(lines.map((l) => l.message)).toEqual([...Array(5).fill('same thing again'), 'same thing again (repeats not logged)']);
      expect(lines[5]).toMatchObject({ suppressed: 45 });
    } finally {
      logs.stop();
    }
  });
});

describe('RetrieveURLs behind a proxy', () => {
  it('start with http.publicBaseUrl when it is set', async () => {
    const node = await startTestNode({ http: { publicBaseUrl: 'https://ai-node.hospital.example/' } });
    try {
      const [i] = syntheticMrStudy({ seed: 'public-base', series: 1, slicesPerSeries: 1, rows: 8, columns: 8 });
      const r = await raw(`${node.dicomwebUrl}/studies`, { method: 'POST', headers: { 'Content-Type': multipartContentType('b0und4ry') }, body: multipartRelated([i!.bytes], 'b0und4ry') });
      expect(JSON.parse(r.body)['00081190'].Value[0]).toBe(`https://ai-node.hospital.example/dicom-web/studies/${i!.studyInstanceUid}`);
    } finally {
      await node.destroy();
    }
  });
});
