/** @jest-environment ./test/ai/ort-environment.js */
/**
 * The audit hooks on a real node with the real pipeline (tiny ONNX model, onnxruntime-node): a study received
 * over STOW-RS by an authenticated user, processed, delivered to a real DCMTK storescp and refused by a second
 * destination nobody listens on, looked at over WADO-RS, asked for with a wrong secret, then deleted by an
 * operator. The trail holds each of these once, with who did it, the model's name, version and sha256 and each
 * destination's outcome, no patient name or ID, and `audit verify` passes.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { auditLogPath, type AuditEvent, type AuditRecord } from '../../src/audit';
import { verifyLog } from '../../src/audit/verify';
import { parseConfig } from '../../src/config/load';
import { startPipelineNode, type PipelineNode } from '../../src/pipeline-node';
import { synthesiseStudy } from '../../src/synth/study';
import { newSecret } from '../../src/web/access-control';
import { startTool } from '../helpers/dcmtk';
import { freePort, waitFor } from '../helpers/ports';
import { multipartRelated } from '../helpers/stow';

const dir = mkdtempSync(join(tmpdir(), 'audit-hooks-'));
let node: PipelineNode | undefined;
let storescp: ChildProcess | undefined;

afterAll(async () => {
  await node?.close();
  storescp?.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
});

function events(): AuditEvent[] {
  return readFileSync(auditLogPath(join(dir, 'data')), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => (JSON.parse(l) as AuditRecord).event);
}

describe('audit hooks on a real node', () => {
  it('records receipt, transitions, model run, deliveries, access, refused credentials and deletion', async () => {
    const reader = newSecret();
    const pacsPort = await freePort();
    mkdirSync(join(dir, 'received'));
    storescp = startTool('storescp', ['-aet', 'PACS', '-od', join(dir, 'received'), String(pacsPort)]);
    const closedPort = await freePort();
    node = await startPipelineNode(
      parseConfig({
        node: { dataDir: join(dir, 'data'), name: 'audit-hooks-node' },
        http: { host: '127.0.0.1', port: 0, auth: { users: [{ name: 'dr-reader', secretSha256: reader.secretSha256, scopes: ['read', 'store', 'operate'] }] } },
        dimse: { enabled: false },
        study: { quietPeriodSeconds: 1 },
        models: { dir: 'test/fixtures/models', routing: [{ model: 'tiny-glioma', whenRoles: ['flair'] }], modalityImportance: false },
        destinations: [
          { name: 'pacs', type: 'dimse', host: '127.0.0.1', port: pacsPort, aeTitle: 'PACS' },
          { name: 'offline', type: 'dimse', host: '127.0.0.1', port: closedPort, aeTitle: 'NOBODY' },
        ],
        delivery: { to: ['pacs', 'offline'], maxAttempts: 1, initialBackoffSeconds: 0.1 },
        pipeline: { maxAttempts: 1 },
      }),
    );
    const auth = { Authorization: `Bearer ${reader.secret}` };
    const study = await synthesiseStudy({ tumor: 'gbm', seed: 'audit-hooks', vendor: 'siemens', size: 'small', distractors: 'none', transferSyntax: 'explicit' });
    const uid = study.study.studyInstanceUid;
    const { body, contentType } = multipartRelated(study.files.map((f) => f.buffer));
    const stowed = await fetch(`${node.dicomwebUrl}/studies`, { method: 'POST', headers: { ...auth, 'Content-Type': contentType, Accept: 'application/dicom+json' }, body });
    expect(stowed.status).toBe(200);
    await waitFor(async () => node!.jobs.list({ studyUid: uid }).some((j) => j.state === 'failed' || j.state === 'done'), 300_000, 'the job to end');
    const job = node.jobs.list({ studyUid: uid })[0]!;
    expect(job.state).toBe('failed'); // "offline" dead-lettered

    expect((await fetch(`${node.dicomwebUrl}/studies/${uid}/metadata`, { headers: auth })).status).toBe(200);
    expect((await fetch(`${node.dicomwebUrl}/studies/${uid}/metadata`, { headers: { Authorization: 'Bearer not-the-secret' } })).status).toBe(401);
    expect((await fetch(`${node.httpUrl}/api/studies/${uid}`, { method: 'DELETE', headers: auth })).status).toBe(200);
    await node.close();
    node = undefined;

    const ev = events();
    const of = <T extends AuditEvent['type']>(t: T): Array<Extract<AuditEvent, { type: T }>> => ev.filter((e): e is Extract<AuditEvent, { type: T }> => e.type === t);
    expect(of('receipt')).toEqual([expect.objectContaining({ channel: 'stow', actor: expect.objectContaining({ user: 'dr-reader', address: expect.any(String) }), studyInstanceUid: uid, stored: study.files.length, duplicates: 0, rejected: {} })]);
    const path = of('job-transition').filter((e) => e.jobId === job.id).map((e) => `${e.from}>${e.to}`);
    expect(path).toEqual(['received>ready', 'ready>identifying', 'identifying>preprocessing', 'preprocessing>inferring', 'inferring>encoding', 'encoding>delivering', 'delivering>failed']);
    const manifest = JSON.parse(readFileSync('test/fixtures/models/tiny-glioma/manifest.json', 'utf8')) as { version: string; model: { sha256: string } };
    expect(of('model-run')).toEqual([expect.objectContaining({ jobId: job.id, studyInstanceUid: uid, model: 'tiny-glioma', version: manifest.version, sha256: manifest.model.sha256 })]);
    expect(of('delivery').map((d) => [d.destination, d.status]).sort()).toEqual([['offline', 'failed'], ['pacs', 'delivered']]);
    expect(of('delivery').find((d) => d.destination === 'pacs')!.confirmed).toBeGreaterThan(0);
    expect(of('access')).toEqual([expect.objectContaining({ channel: 'wado', actor: expect.objectContaining({ user: 'dr-reader' }), studyInstanceUid: uid, requests: 1, instances: study.files.length })]);
    expect(of('authentication')).toEqual([expect.objectContaining({ outcome: 'refused' })]);
    expect(of('deletion')).toEqual([expect.objectContaining({ reason: 'operator', studyInstanceUid: uid, instances: study.files.length, actor: expect.objectContaining({ user: 'dr-reader' }) })]);
    expect(of('application').map((a) => a.action)).toEqual(['start', 'stop']);

    const text = readFileSync(auditLogPath(join(dir, 'data')), 'utf8');
    for (const phi of [study.patient.name, study.patient.id, study.patient.birthDate]) expect(text).not.toContain(phi);
    expect((await verifyLog(join(dir, 'data'))).ok).toBe(true);
  }, 360_000);
});
