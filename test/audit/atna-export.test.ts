/**
 * IHE ATNA export against a real syslog daemon (Debian's rsyslog on loopback, its own configuration): a node whose
 * audit record repository is down keeps its records in the outbox, and sends all of them, in order and once, when
 * rsyslog comes up (TLS, RFC 5425 framing); a restarted node sends to a UDP repository. Every message received is
 * checked against the DICOM audit message schema (PS3.15 A.5.1, conformance/audit) with jing, and none carries
 * the patient's name or ID.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { multipartContentType, multipartRelated, syntheticMrStudy } from '../../src/testing/synthetic-mr';
import { auditLogPath, type AuditRecord } from '../../src/audit';
import { atnaMessages } from '../../src/audit/atna';
import { verifyLog } from '../../src/audit/verify';
import { makeSelfSignedCert } from '../helpers/auth-proxy';
import { runTool } from '../helpers/dcmtk';
import { freePort, waitFor } from '../helpers/ports';
import { startRsyslog, type Rsyslog } from '../helpers/rsyslog';
import { startTestNode, type TestNode } from '../web/node-fixture';

const SCHEMA = join(__dirname, '../../conformance/audit/dicom-audit-message.rnc');
const PATIENT = 'AUDITTEST^PATIENT';
const PATIENT_ID = 'PID-4711';

const dir = mkdtempSync(join(tmpdir(), 'audit-atna-'));
const cert = makeSelfSignedCert();
let rsyslog: Rsyslog | undefined;
let node: TestNode | undefined;

afterAll(async () => {
  await node?.close();
  await rsyslog?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** jing's verdict on each message; '' when all are valid. */
function invalid(messages: string[], tag: string): string {
  const d = join(dir, `xml-${tag}`);
  mkdirSync(d, { recursive: true });
  const files = messages.map((m, i) => {
    const f = join(d, `m${String(i).padStart(4, '0')}.xml`);
    writeFileSync(f, m);
    return f;
  });
  try {
    execFileSync('jing', ['-c', SCHEMA, ...files], { encoding: 'utf8' });
    return '';
  } catch (e) {
    return String((e as { stdout?: string }).stdout ?? e);
  }
}

const eventIds = (msgs: string[]): string[] => msgs.map((m) => /<EventID csd-code="([^"]+)"/.exec(m)?.[1] ?? '?');

describe('audit export to a real syslog daemon (IHE ATNA)', () => {
  const dataDir = join(dir, 'node');
  let udpPort: number;
  let tlsPort: number;
  const study = syntheticMrStudy({ seed: 'audit-atna', series: 1, slicesPerSeries: 3, patientName: PATIENT, patientId: PATIENT_ID });
  const studyUid = study[0]!.studyInstanceUid;

  it('keeps records while the repository is down and sends them all over TLS when it is up; each validates', async () => {
    udpPort = await freePort();
    tlsPort = await freePort();
    node = await startTestNode(
      {
        node: { name: 'audit-node' },
        study: { quietPeriodSeconds: 1 },
        dimse: { enabled: true, port: 0, aeTitle: 'NEURO_ONC' },
        audit: { export: { transport: 'tls', host: '127.0.0.1', port: tlsPort, tls: { caFile: cert.certFile }, initialBackoffSeconds: 0.2, maxBackoffSeconds: 0.5 } },
      },
      { backoffMs: () => 10 },
      dataDir,
    );
    // A STOW-RS receipt, then the same instances again by C-STORE (duplicates) from a named AE.
    const boundary = 'audit-test-boundary';
    const r = await fetch(`${node.dicomwebUrl}/studies`, { method: 'POST', headers: { 'Content-Type': multipartContentType(boundary), Accept: 'application/dicom+json' }, body: multipartRelated(study.map((i) => i.bytes), boundary) });
    expect(r.status).toBe(200);
    const files = study.map((inst, i) => {
      const f = join(dir, `i${i}.dcm`);
      writeFileSync(f, inst.bytes);
      return f;
    });
    const sent = await runTool('storescu', ['-aet', 'MODALITY1', '-aec', 'NEURO_ONC', '127.0.0.1', String(node.dimse!.port), ...files]);
    expect(sent.code).toBe(0);
    const [job] = node.jobs.list({ studyUid: studyUid });
    await node.jobs.waitFor(job!.id, ['done'], 60_000);
    // Results looked at: WADO-RS metadata, and the job's result page (the pass-through stages here leave nothing for
    // it to show, so its status does not matter: a page of an existing job is audited before it is built).
    expect((await fetch(`${node.dicomwebUrl}/studies/${studyUid}/metadata`)).status).toBe(200);
    await (await fetch(`${node.httpUrl}/ui/jobs/${job!.id}`)).arrayBuffer();
    // A QIDO-RS search by patient name: audited as a Query with the attribute's name, not the name searched for.
    expect((await fetch(`${node.dicomwebUrl}/studies?PatientName=AUDITTEST*`)).status).toBe(200);
    node.audit.flush(); // end the access and C-STORE bursts now
    await waitFor(async () => node!.auditExporter!.backlog >= 10, 10_000, 'records waiting in the outbox');
    const waiting = node.auditExporter!.backlog;

    rsyslog = startRsyslog({ dir, udpPort, tlsPort, ...cert });
    await waitFor(async () => node!.auditExporter!.backlog === 0, 30_000, 'the outbox to drain into rsyslog');
    await node.auditExporter!.idle();
    const log = await verifyLog(dataDir);
    expect(log.ok).toBe(true);

    // Every record sent exactly once and in order: compare with the trail itself.
    const expected = log.records; // records in the log, each >= 1 message
    await waitFor(async () => rsyslog!.received('tls').length >= expected, 10_000, 'rsyslog to write what it received');
    const msgs = rsyslog.received('tls');
    expect(waiting).toBeGreaterThanOrEqual(10);
    // As many messages as the records in the log make (some make two), none lost, none twice.
    const records = readFileSync(auditLogPath(dataDir), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as AuditRecord);
    const ctx = { sourceId: 'audit-node', aeTitle: 'NEURO_ONC', hostname: 'h', pid: 1 };
    expect(msgs).toHaveLength(records.reduce((n, rec) => n + atnaMessages(rec, ctx).length, 0));
    const ids = eventIds(msgs);
    expect(ids[0]).toBe('110100'); // application start first
    expect(ids).toEqual(expect.arrayContaining(['110100', '110104', '110102', '110103', '110112', 'JOB']));
    const query = msgs.find((m) => m.includes('csd-code="110112"'))!;
    expect(Buffer.from(/<ParticipantObjectQuery>([^<]+)</.exec(query)![1]!, 'base64').toString()).toBe('study: PatientName');
    expect(new Set(msgs).size).toBe(msgs.length);
    expect(invalid(msgs, 'tls')).toBe('');
    // C-STORE receipt names the calling AE; the STOW one the node as destination. No PHI anywhere.
    expect(msgs.some((m) => m.includes('UserID="MODALITY1"') && m.includes('110104'))).toBe(true);
    for (const m of msgs) {
      expect(m).not.toContain('AUDITTEST');
      expect(m).not.toContain(PATIENT_ID);
    }
  }, 120_000);

  it('a restarted node sends to a UDP repository from where it starts; messages validate', async () => {
    await node!.close();
    const tlsBefore = rsyslog!.received('tls').length;
    node = await startTestNode({ node: { name: 'audit-node' }, audit: { export: { transport: 'udp', host: '127.0.0.1', port: udpPort } } }, {}, dataDir);
    expect((await fetch(`${node.dicomwebUrl}/studies/${studyUid}/series/${study[0]!.seriesInstanceUid}/instances/${study[0]!.sopInstanceUid}`, { headers: { Accept: 'multipart/related; type="application/dicom"' } })).status).toBe(200);
    node.audit.flush();
    await node.close();
    node = undefined;
    await waitFor(async () => rsyslog!.received('udp').length >= 4, 10_000, 'UDP messages');
    const msgs = rsyslog!.received('udp');
    // start; the configuration changed since the last start (the export settings): a Security Alert; the WADO-RS
    // retrieval (Instances Transferred); stop.
    expect(eventIds(msgs)).toEqual(['110100', '110113', '110104', '110100']);
    expect(msgs[1]).toContain('originalText="Software Configuration"');
    expect(msgs[2]).toContain(studyUid);
    expect(invalid(msgs, 'udp')).toBe('');
    // The TLS repository got the previous node's stop record before it closed.
    expect(eventIds(rsyslog!.received('tls').slice(tlsBefore - 1))).toContain('110100');
    expect((await verifyLog(dataDir)).ok).toBe(true);
  }, 60_000);
});
