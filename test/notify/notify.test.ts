/** @jest-environment ./test/ai/ort-environment.js */
/**
 * Notifications from a real node (docs/notifications.md): a study whose results cannot be delivered (the PACS port
 * is closed) raises delivery-dead-letter, a study without the series its model needs raises study-incomplete, and a
 * disk below the warning level raises disk-low. They reach a local webhook receiver (signed with HMAC-SHA256,
 * retried after a 500) and a real SMTP server (Debian's python3-aiosmtpd) on loopback.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../src/config/load';
import type { NotificationEvent } from '../../src/notify/events';
import { startPipelineNode, type PipelineNode } from '../../src/pipeline-node';
import { synthesiseStudy } from '../../src/synth/study';
import { freePort, waitFor } from '../helpers/ports';
import { stow } from '../helpers/stow';

const SECRET = 'a-test-webhook-secret-0123456789';

interface Received {
  headers: Record<string, string | string[] | undefined>;
  body: string;
  status: number;
}

describe('notifications: webhook and e-mail from a real node', () => {
  let node: PipelineNode;
  let hook: Server;
  let smtp: ChildProcess;
  let mail = '';
  const received: Received[] = [];
  let failNext = 1; // the receiver answers 500 to the first delivery: the node must retry it

  beforeAll(async () => {
    const hookPort = await freePort();
    hook = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        const status = failNext-- > 0 ? 500 : 204;
        received.push({ headers: req.headers, body, status });
        res.writeHead(status).end();
      });
    });
    await new Promise<void>((r) => hook.listen(hookPort, '127.0.0.1', () => r()));

    const smtpPort = await freePort();
    // aiosmtpd's default handler prints each message it receives to stdout. Debian's python3 (not a pyenv one on PATH).
    smtp = spawn('/usr/bin/python3', ['-m', 'aiosmtpd', '-n', '-l', `127.0.0.1:${smtpPort}`], { stdio: ['ignore', 'pipe', 'pipe'] });
    smtp.stdout!.on('data', (d: Buffer) => (mail += d.toString()));
    await waitFor(async () => {
      const net = await import('node:net');
      return new Promise<boolean>((resolve) => {
        const s = net.connect(smtpPort, '127.0.0.1', () => (s.end(), resolve(true)));
        s.on('error', () => resolve(false));
      });
    }, 20_000, 'aiosmtpd to listen');

    const closedPort = await freePort(); // nothing listens here: every delivery is refused
    node = await startPipelineNode(
      parseConfig({
        node: { dataDir: mkdtempSync(join(tmpdir(), 'notify-')), name: 'notify-test-node', minFreeDiskMb: 1 },
        http: { port: 0 },
        dimse: { enabled: false },
        study: { quietPeriodSeconds: 1 },
        models: { dir: 'test/fixtures/models', routing: [{ model: 'tiny-glioma', whenRoles: ['flair'] }], modalityImportance: false },
        destinations: [{ name: 'pacs', type: 'dimse', host: '127.0.0.1', port: closedPort, aeTitle: 'PACS' }],
        delivery: { to: ['pacs'], maxAttempts: 1, initialBackoffSeconds: 0.1 },
        pipeline: { maxAttempts: 1 },
        notifications: {
          webhooks: [{ name: 'ops', url: `http://127.0.0.1:${hookPort}/hook`, secret: SECRET, initialBackoffSeconds: 0.2 }],
          email: { host: '127.0.0.1', port: smtpPort, from: 'node@example.org', to: ['pacs-admin@example.org'], events: ['delivery-dead-letter', 'study-incomplete'], initialBackoffSeconds: 0.2 },
          // Far above any real free space: the disk is "low" from the first check.
          diskWarnMb: 1_000_000_000,
        },
      }),
    );
  }, 120_000);

  afterAll(async () => {
    await node?.close();
    smtp?.kill();
    await new Promise((r) => hook?.close(r));
  });

  const events = (): NotificationEvent[] => received.filter((r) => r.status < 300).map((r) => JSON.parse(r.body) as NotificationEvent);

  it('a dead-lettered delivery is posted, signed, retried after a 500 with the same delivery id, and e-mailed', async () => {
    const study = await synthesiseStudy({ tumor: 'gbm', seed: 'notify-dead', vendor: 'siemens', size: 'small', distractors: 'none', transferSyntax: 'explicit' });
    await stow(node.dicomwebUrl, study.files.map((f) => f.buffer));
    const uid = study.study.studyInstanceUid;
    await waitFor(async () => events().some((e) => e.kind === 'delivery-dead-letter' && e.studyInstanceUid === uid), 300_000, 'the dead-letter webhook');
    const job = node.jobs.list({ studyUid: uid })[0]!;
    expect(job.state).toBe('failed');
    const ok = received.find((r) => r.status < 300 && (JSON.parse(r.body) as NotificationEvent).studyInstanceUid === uid)!;
    const e = JSON.parse(ok.body) as NotificationEvent;
    expect(e).toMatchObject({ kind: 'delivery-dead-letter', jobId: job.id, node: 'notify-test-node', reason: 'dead-letter' });
    expect(e.url).toBe(`${node.httpUrl}/ui/jobs/${job.id}`);
    expect(e.message).toMatch(/pacs/);
    expect(ok.headers['x-neuro-onc-event']).toBe('delivery-dead-letter');
    // Signature: t=<unix>,v1=HMAC-SHA256(secret, "<t>.<body>"); a receiver recomputes it.
    const sig = String(ok.headers['x-neuro-onc-signature']);
    const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(sig)!;
    expect(m).not.toBeNull();
    expect(m[2]).toBe(createHmac('sha256', SECRET).update(`${m[1]}.${ok.body}`).digest('hex'));
    expect(m[2]).not.toBe(createHmac('sha256', 'another-secret-xxxxxxxx').update(`${m[1]}.${ok.body}`).digest('hex'));
    // The receiver answered the node's first webhook with 500: the same delivery id came again and got 204.
    const first = received[0]!;
    expect(first.status).toBe(500);
    const sameDelivery = received.filter((r) => r.headers['x-neuro-onc-delivery'] === first.headers['x-neuro-onc-delivery']);
    expect(sameDelivery.map((r) => r.status)).toEqual([500, 204]);
    // No patient data leaves the node.
    expect(ok.body).not.toContain(study.patient.name);
    expect(ok.body).not.toContain(study.patient.id);

    await waitFor(async () => mail.includes(`job ${job.id}: results could not be delivered`), 60_000, 'the e-mail');
    expect(mail).toMatch(/RCPT TO|X-RcptTo: pacs-admin@example.org|To: pacs-admin@example.org/);
    expect(mail).toContain(`study instance UID: ${uid}`);
  }, 360_000);

  it('a study without the series its model needs raises study-incomplete', async () => {
    const study = await synthesiseStudy({ tumor: 'astro', seed: 'notify-incomplete', vendor: 'ge', size: 'small', distractors: 'none', transferSyntax: 'explicit', drop: ['flair'] });
    await stow(node.dicomwebUrl, study.files.map((f) => f.buffer));
    const uid = study.study.studyInstanceUid;
    await waitFor(async () => events().some((e) => e.kind === 'study-incomplete' && e.studyInstanceUid === uid), 120_000, 'the study-incomplete webhook');
    const e = events().find((x) => x.studyInstanceUid === uid)!;
    expect(e.reason).toBe('no-model-applies');
    expect(e.summary).toMatch(/lacks the series/);
    await waitFor(async () => mail.includes(`job ${e.jobId}: the study lacks the series its models need`), 60_000, 'the e-mail');
  }, 180_000);

  it('the disk warning is sent once to the webhook (not e-mailed: that channel does not take disk-low)', async () => {
    await waitFor(async () => events().some((e) => e.kind === 'disk-low'), 30_000, 'the disk-low webhook');
    const disk = events().filter((e) => e.kind === 'disk-low');
    expect(disk).toHaveLength(1);
    expect(disk[0]!.disk!.warnMb).toBe(1_000_000_000);
    expect(disk[0]!.disk!.freeMb).toBeLessThan(1_000_000_000);
    expect(mail).not.toContain('data disk low');
    // Each sent event is recorded once per channel in the outbox.
    const box = node.notifier.outbox();
    expect(box.filter((b) => b.channel === 'email' && b.state === 'sent').length).toBe(2);
    expect(box.every((b) => b.state === 'sent')).toBe(true);
  });
});
