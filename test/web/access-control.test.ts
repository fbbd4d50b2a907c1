/**
 * Access control and HTTPS of the node's HTTP API (http.auth, http.tls; docs/security.md).
 *
 * The rules as pure functions, the configuration's refusal to serve PHI to the network without users, then a real
 * node over HTTPS (a certificate made by openssl) with three users: a PACS router that may only store, a reader,
 * an operator. Clients: Node's https, a real Orthanc pushing through its DICOMweb client with Basic credentials
 * over TLS (the "automatic routing" path), and Chromium on the web pages.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { multipartContentType, multipartRelated, syntheticMrStudy } from '../../src/testing/synthetic-mr';
import { ConfigError, parseConfig } from '../../src/config/load';
import { authenticate, newSecret, parseAuthorization, scopeFor, type AccessUser } from '../../src/web/access-control';
import { startOrthanc, type OrthancPeer } from '../helpers/orthanc';
import { runCli } from '../helpers/run-cli';
import { startTestNode, type TestNode } from './node-fixture';

const basic = (user: string, secret: string): string => 'Basic ' + Buffer.from(`${user}:${secret}`).toString('base64');

describe('access rules', () => {
  const a = newSecret();
  const b = newSecret();
  const users: AccessUser[] = [
    { name: 'router', secretSha256: a.secretSha256, scopes: ['store'] },
    { name: 'reader', secretSha256: b.secretSha256.toUpperCase(), scopes: ['read'] },
  ];

  it('needs store for STOW, read for every GET, operate for API changes; /healthz is open', () => {
    expect(scopeFor('POST', '/dicom-web/studies', '/dicom-web')).toBe('store');
    expect(scopeFor('POST', '/dicom-web/studies/1.2.3', '/dicom-web/')).toBe('store');
    expect(scopeFor('GET', '/dicom-web/studies', '/dicom-web')).toBe('read');
    expect(scopeFor('GET', '/api/jobs', '/dicom-web')).toBe('read');
    expect(scopeFor('POST', '/api/jobs/3/retry', '/dicom-web')).toBe('operate');
    expect(scopeFor('GET', '/ui/jobs/3', '/dicom-web')).toBe('read');
    expect(scopeFor('DELETE', '/dicom-webx/studies', '/dicom-web')).toBe('operate');
    expect(scopeFor('GET', '/healthz', '/dicom-web')).toBeUndefined();
  });

  it('finds the user by Bearer secret or by Basic user + password; anything else is nobody', () => {
    const bearer = (s: string) => parseAuthorization(`Bearer ${s}`) as Exclude<ReturnType<typeof parseAuthorization>, string | undefined>;
    expect(authenticate(users, bearer(a.secret))?.name).toBe('router');
    expect(authenticate(users, bearer(b.secret))?.name).toBe('reader'); // hash compared case-insensitively
    expect(authenticate(users, bearer(a.secret + 'x'))).toBeUndefined();
    const p = parseAuthorization(basic('reader', b.secret));
    expect(typeof p === 'object' && authenticate(users, p)?.name).toBe('reader');
    const wrongUser = parseAuthorization(basic('router', b.secret));
    expect(typeof wrongUser === 'object' && authenticate(users, wrongUser)).toBeUndefined();
    expect(parseAuthorization(undefined)).toBeUndefined();
    expect(parseAuthorization('Digest abc')).toMatch(/unsupported authorization scheme "Digest"/);
    expect(parseAuthorization('Basic ' + Buffer.from('nocolon').toString('base64'))).toMatch(/user:password/);
    expect(parseAuthorization('Bearer')).toMatch(/malformed/);
  });

  it('the configuration refuses a network address without users, bad hashes, and mutual TLS without a CA', () => {
    expect(() => parseConfig({ http: { host: '0.0.0.0' } })).toThrow(/http\.auth: http\.host 0\.0\.0\.0 is reachable from the network but http\.auth\.users is empty/);
    expect(parseConfig({ http: { host: '0.0.0.0', auth: { anonymous: true } } }).http.auth.anonymous).toBe(true);
    expect(parseConfig({ http: { host: '10.1.2.3', auth: { users: [users[0]!] } } }).http.auth.users).toHaveLength(1);
    expect(parseConfig({ http: { host: '127.0.0.1' } }).http.auth.users).toEqual([]);
    expect(() => parseConfig({ http: { auth: { users: [{ name: 'x', secretSha256: 'abc', scopes: ['read'] }] } } })).toThrow(/secretSha256: must be the 64-hex-digit sha256/);
    expect(() => parseConfig({ http: { auth: { users: [{ name: 'x', secretSha256: a.secretSha256, scopes: ['delete'] }] } } })).toThrow(ConfigError);
    expect(() => parseConfig({ http: { auth: { users: [users[0]!, { ...users[0]!, name: 'y' }] } } })).toThrow(/two users share a secret/);
    expect(() => parseConfig({ http: { tls: { certFile: 'c', keyFile: 'k', clientCertificates: 'require' } } })).toThrow(/needs caFile/);
  });
});

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

describe('a node over HTTPS with users', () => {
  const dir = mkdtempSync(join(tmpdir(), 'auth-'));
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  const router = newSecret();
  const reader = newSecret();
  const operator = newSecret();
  let ca: Buffer;
  let node: TestNode;
  let pacs: OrthancPeer | undefined;

  const call = (path: string, init: { method?: string; auth?: string; headers?: Record<string, string>; body?: Uint8Array } = {}): Promise<Answer> =>
    new Promise((resolve, reject) => {
      const u = new URL(node.httpUrl + path);
      const req = httpsRequest(
        { host: u.hostname, port: u.port, path: u.pathname + u.search, method: init.method ?? 'GET', ca, headers: { ...(init.auth ? { Authorization: init.auth } : {}), ...(init.headers ?? {}) } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        },
      );
      req.on('error', reject);
      req.end(init.body);
    });
  const stowBody = (seed: string) => {
    const insts = syntheticMrStudy({ seed, series: 1, slicesPerSeries: 3, rows: 16, columns: 16 });
    return { insts, body: multipartRelated(insts.map((i) => i.bytes), 'b'), headers: { 'Content-Type': multipartContentType('b'), Accept: 'application/dicom+json' } };
  };

  beforeAll(async () => {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
    ca = readFileSync(cert);
    node = await startTestNode({
      http: {
        tls: { certFile: cert, keyFile: key },
        auth: {
          users: [
            { name: 'pacs-router', secretSha256: router.secretSha256, scopes: ['store'] },
            { name: 'reading-room', secretSha256: reader.secretSha256, scopes: ['read'] },
            { name: 'operator', secretSha256: operator.secretSha256, scopes: ['read', 'operate'] },
          ],
        },
      },
    });
  });
  afterAll(async () => {
    await pacs?.stop();
    await node?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('listens on https only; /healthz answers without credentials', async () => {
    expect(node.httpUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect((await call('/healthz')).status).toBe(200);
    await expect(fetch(node.httpUrl.replace('https:', 'http:') + '/healthz')).rejects.toThrow();
  });

  it('refuses requests without or with wrong credentials (401 + Basic/Bearer challenges), storing nothing', async () => {
    const { insts, body, headers } = stowBody('auth-anon');
    const anon = await call('/dicom-web/studies', { method: 'POST', headers, body });
    expect(anon.status).toBe(401);
    expect(String(anon.headers['www-authenticate'])).toMatch(/Basic realm="neuro-onc-node".*Bearer/);
    expect(JSON.parse(anon.body).error).toMatch(/authentication required for POST \/dicom-web\/studies/);
    const wrong = await call('/dicom-web/studies', { method: 'POST', headers, body, auth: `Bearer ${router.secret}x` });
    expect(wrong.status).toBe(401);
    expect(JSON.parse(wrong.body).error).toBe('credentials not accepted');
    expect((await call('/dicom-web/studies', { auth: basic('pacs-router', reader.secret) })).status).toBe(401);
    expect((await call('/api/jobs')).status).toBe(401);
    expect((await call('/ui')).status).toBe(401);
    expect(node.store.listInstances({ studyInstanceUid: insts[0]!.studyInstanceUid })).toHaveLength(0);
  });

  it('scopes: the router stores but cannot read; the reader reads but cannot store or operate; the operator operates', async () => {
    const { insts, body, headers } = stowBody('auth-scopes');
    const study = insts[0]!.studyInstanceUid;
    const byReader = await call('/dicom-web/studies', { method: 'POST', headers, body, auth: basic('reading-room', reader.secret) });
    expect(byReader.status).toBe(403);
    expect(JSON.parse(byReader.body).error).toMatch(/user "reading-room" lacks the "store" scope/);
    expect(node.store.listInstances({ studyInstanceUid: study })).toHaveLength(0);

    const stored = await call('/dicom-web/studies', { method: 'POST', headers, body, auth: `Bearer ${router.secret}` });
    expect(stored.status).toBe(200);
    expect(node.store.listInstances({ studyInstanceUid: study })).toHaveLength(3);

    expect((await call(`/dicom-web/studies?StudyInstanceUID=${study}`, { auth: `Bearer ${router.secret}` })).status).toBe(403);
    const qido = await call(`/dicom-web/studies?StudyInstanceUID=${study}`, { auth: basic('reading-room', reader.secret) });
    expect(qido.status).toBe(200);
    expect(JSON.parse(qido.body)).toHaveLength(1);

    const readyByReader = await call(`/api/studies/${study}/ready`, { method: 'POST', auth: `Bearer ${reader.secret}` });
    expect(readyByReader.status).toBe(403);
    expect(node.studies.get(study)?.state).toBe('receiving');
    const ready = await call(`/api/studies/${study}/ready`, { method: 'POST', auth: `Bearer ${operator.secret}` });
    expect(ready.status).toBe(200);
    expect(node.studies.get(study)?.state).not.toBe('receiving');
  });

  it('refuses a state change another web site makes a browser send (CSRF), even with valid credentials', async () => {
    const { insts, body, headers } = stowBody('auth-csrf');
    const study = insts[0]!.studyInstanceUid;
    const forged = await call('/dicom-web/studies', { method: 'POST', headers: { ...headers, Origin: 'https://evil.example' }, body, auth: `Bearer ${router.secret}` });
    expect(forged.status).toBe(403);
    expect(JSON.parse(forged.body).error).toMatch(/cross-site POST refused \(Origin https:\/\/evil\.example\)/);
    const viaFetchMetadata = await call('/api/jobs/1/retry', { method: 'POST', headers: { 'Sec-Fetch-Site': 'cross-site' }, auth: `Bearer ${operator.secret}` });
    expect(viaFetchMetadata.status).toBe(403);
    expect(node.store.listInstances({ studyInstanceUid: study })).toHaveLength(0);
    // Its own origin is fine (the web pages' buttons send it).
    const own = await call('/dicom-web/studies', { method: 'POST', headers: { ...headers, Origin: node.httpUrl }, body, auth: `Bearer ${router.secret}` });
    expect(own.status).toBe(200);
  });

  it('command line: new-secret prints a secret and its entry; operator commands send NEURO_ONC_API_SECRET', async () => {
    const made = await runCli(['new-secret', 'night-shift', '--scopes', 'read,operate']);
    expect(made.code).toBe(0);
    const lines = made.stdout.split('\n');
    const secret = lines[1]!;
    const entry = JSON.parse(lines.find((l) => l.startsWith('{'))!) as { name: string; secretSha256: string; scopes: string[] };
    expect(entry).toEqual({ name: 'night-shift', secretSha256: createHash('sha256').update(secret).digest('hex'), scopes: ['read', 'operate'] });
    expect(parseConfig({ http: { auth: { users: [entry] } } }).http.auth.users[0]!.name).toBe('night-shift');
    expect((await runCli(['new-secret', 'x', '--scopes', 'read,delete'])).stderr).toMatch(/unknown scope\(s\) delete/);

    const env = { NODE_EXTRA_CA_CERTS: cert };
    const refused = await runCli(['jobs', '--url', node.httpUrl], env);
    expect(refused.code).toBe(2); // 401: bad input (README exit codes)
    expect(refused.stderr).toMatch(/401: authentication required .*\(set NEURO_ONC_API_SECRET/);
    const listed = await runCli(['jobs', '--url', node.httpUrl, '--json'], { ...env, NEURO_ONC_API_SECRET: operator.secret });
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.stdout).jobs.length).toBeGreaterThanOrEqual(1); // the study marked ready above has a job
  });

  it('Orthanc pushes over TLS with Basic credentials; with a wrong password its push fails and nothing is stored', async () => {
    pacs = await startOrthanc({
      dicomWebServers: {
        good: { Url: `${node.dicomwebUrl}/`, Username: 'pacs-router', Password: router.secret },
        bad: { Url: `${node.dicomwebUrl}/`, Username: 'pacs-router', Password: 'not-the-secret' },
      },
      extra: { HttpsCACertificates: cert, HttpsVerifyPeers: true },
    });
    const insts = syntheticMrStudy({ seed: 'auth-orthanc', series: 2, slicesPerSeries: 4, rows: 16, columns: 16 });
    let orthancStudy = '';
    for (const i of insts) orthancStudy = (await pacs.rest<{ ParentStudy: string }>('POST', '/instances', i.bytes)).ParentStudy;
    const study = insts[0]!.studyInstanceUid;
    await expect(pacs.rest('POST', '/dicom-web/servers/bad/stow', { Resources: [orthancStudy], Synchronous: true })).rejects.toThrow();
    expect(node.store.listInstances({ studyInstanceUid: study })).toHaveLength(0);
    await pacs.rest('POST', '/dicom-web/servers/good/stow', { Resources: [orthancStudy], Synchronous: true });
    expect(node.store.listInstances({ studyInstanceUid: study })).toHaveLength(insts.length);
  });

  it('the web pages ask the browser for Basic credentials and work with them', async () => {
    const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox'] });
    try {
      const anon = await browser.newContext({ ignoreHTTPSErrors: true });
      // Without credentials the Basic challenge reaches the browser, which has nothing to answer it with.
      await expect((await anon.newPage()).goto(`${node.httpUrl}/ui`)).rejects.toThrow(/ERR_INVALID_AUTH_CREDENTIALS/);
      const open = async (username: string, password: string) => {
        const ctx = await browser.newContext({ ignoreHTTPSErrors: true, httpCredentials: { username, password } });
        const page = await ctx.newPage();
        expect((await page.goto(`${node.httpUrl}/ui`))?.status()).toBe(200);
        // The dashboard's own script polls its data with the credentials the browser holds.
        const polled = await page.waitForResponse((r) => r.url().endsWith('/ui/dashboard.json'), { timeout: 30_000 });
        expect(polled.status()).toBe(200);
        return page;
      };
      // The study Orthanc pushed is still receiving (quiet period of an hour): a reader may not mark it complete.
      const asReader = await open('reading-room', reader.secret);
      const button = asReader.locator('button[data-action="ready"]').first();
      const uid = (await button.getAttribute('data-study'))!;
      await button.click();
      await asReader.locator('#status', { hasText: /lacks the "operate" scope/ }).waitFor({ timeout: 20_000 });
      expect(node.studies.get(uid)?.state).toBe('receiving');
      const asOperator = await open('operator', operator.secret);
      await asOperator.locator(`button[data-action="ready"][data-study="${uid}"]`).click();
      await asOperator.locator('#status', { hasText: /complete: accepted/ }).waitFor({ timeout: 20_000 });
      expect(node.studies.get(uid)?.state).toBe('ready');
    } finally {
      await browser.close();
    }
  });
});

describe('mutual TLS (http.tls.clientCertificates: require)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mtls-'));
  const p = (f: string): string => join(dir, f);
  const openssl = (...args: string[]): void => void execFileSync('openssl', args, { stdio: 'ignore' });
  let node: TestNode;

  beforeAll(async () => {
    const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
    openssl('req', '-x509', ...ec, '-keyout', p('ca.key'), '-out', p('ca.pem'), '-days', '2', '-subj', '/CN=site CA');
    openssl('req', '-x509', ...ec, '-keyout', p('server.key'), '-out', p('server.pem'), '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1');
    openssl('req', ...ec, '-keyout', p('client.key'), '-out', p('client.csr'), '-subj', '/CN=pacs');
    openssl('x509', '-req', '-in', p('client.csr'), '-CA', p('ca.pem'), '-CAkey', p('ca.key'), '-CAcreateserial', '-out', p('client.pem'), '-days', '2');
    node = await startTestNode({ http: { tls: { certFile: p('server.pem'), keyFile: p('server.key'), caFile: p('ca.pem'), clientCertificates: 'require' } } });
  });
  afterAll(async () => {
    await node?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  const get = (client?: { cert: Buffer; key: Buffer }): Promise<number> =>
    new Promise((resolve, reject) => {
      const u = new URL(node.httpUrl + '/healthz');
      const req = httpsRequest({ host: u.hostname, port: u.port, path: u.pathname, ca: readFileSync(p('server.pem')), ...(client ?? {}) }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });

  it('answers a client certificate signed by caFile and drops connections without one', async () => {
    expect(await get({ cert: readFileSync(p('client.pem')), key: readFileSync(p('client.key')) })).toBe(200);
    await expect(get()).rejects.toThrow(/certificate|socket hang up|ECONNRESET/i);
  });

  it('refuses to start with a key that does not belong to the certificate, naming the files', async () => {
    await expect(startTestNode({ http: { tls: { certFile: p('server.pem'), keyFile: p('client.key') } } })).rejects.toThrow(/http\.tls: .*server\.pem \/ .*client\.key are not a usable PEM certificate and matching private key/);
    await expect(startTestNode({ http: { tls: { certFile: p('missing.pem'), keyFile: p('server.key') } } })).rejects.toThrow(/http\.tls\.certFile .*missing\.pem cannot be read: ENOENT/);
  });
});
