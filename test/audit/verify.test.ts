/**
 * `neuro-onc-node audit verify` on a real trail (real SQLite anchors): intact passes; one byte changed, a record
 * removed, two records swapped, the end cut off and a full rewrite with recomputed hashes each fail, naming the
 * record and line. The trail's own start-up check records a tamper-detected event.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditTrail, auditLogPath } from '../../src/audit';
import { recordLine, seal } from '../../src/audit/chain';
import type { AuditEvent, AuditRecord } from '../../src/audit';
import { verifyLog } from '../../src/audit/verify';
import { createLogger } from '../../src/log/logger';
import { openDatabase } from '../../src/store/database';
import { storeLayout } from '../../src/store/paths';
import { runCli } from '../helpers/run-cli';

const STUDY = '1.2.826.0.1.3680043.8.498.1';
const logger = createLogger('audit-test');
const dirs: string[] = [];

afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function events(n: number): AuditEvent[] {
  return Array.from({ length: n }, (_, i): AuditEvent => ({ type: 'job-transition', jobId: 1, studyInstanceUid: STUDY, from: i ? `s${i - 1}` : null, to: `s${i}` }));
}

/** A data folder with a trail of `n` records, anchored every 4. */
function trailWith(n: number): { dataDir: string; path: string; lines: () => string[]; write: (l: string[]) => void } {
  const dataDir = mkdtempSync(join(tmpdir(), 'audit-verify-'));
  dirs.push(dataDir);
  const db = openDatabase(storeLayout(dataDir).database);
  const trail = AuditTrail.open({ dataDir, db, logger, anchorEvery: 4 });
  for (const e of events(n)) trail.record(e);
  trail.close();
  db.close();
  const path = auditLogPath(dataDir);
  return {
    dataDir,
    path,
    lines: () => readFileSync(path, 'utf8').split('\n').filter(Boolean),
    write: (l) => writeFileSync(path, l.map((x) => x + '\n').join('')),
  };
}

describe('audit verify', () => {
  it('passes an untouched log (CLI, exit 0)', async () => {
    const t = trailWith(10);
    const r = await runCli(['audit', 'verify', '--data-dir', t.dataDir]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/audit log intact: 10 record\(s\), last #10 [0-9a-f]{64}, 3 anchor\(s\) match/);
  });

  it('fails on one byte changed and names the record and line (CLI, exit 1)', async () => {
    const t = trailWith(10);
    const text = readFileSync(t.path);
    const lines = t.lines();
    // Change one digit of the study UID in record 5 (line 5): still valid JSON, different content.
    const lineStart = lines.slice(0, 4).reduce((a, l) => a + Buffer.byteLength(l) + 1, 0);
    const at = text.indexOf(Buffer.from(STUDY), lineStart) + STUDY.length - 1;
    text[at] = text[at] === 0x31 ? 0x32 : 0x31;
    writeFileSync(t.path, text);
    const r = await runCli(['audit', 'verify', '--data-dir', t.dataDir]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('audit log NOT intact');
    expect(r.stdout).toContain('edited: record 5 (line 5) was changed: its content does not match its hash');
  });

  it('fails when a record is removed, saying which', async () => {
    const t = trailWith(10);
    t.write(t.lines().filter((_, i) => i !== 6)); // record 7
    const r = await verifyLog(t.dataDir);
    expect(r.ok).toBe(false);
    expect(r.problems[0]).toMatchObject({ kind: 'missing', seq: 7, line: 7 });
    expect(r.problems[0]!.message).toBe('line 7 holds record 8 where record 7 belongs: record 7 is missing (removed, or moved further down)');
  });

  it('fails when two records are swapped, saying where', async () => {
    const t = trailWith(10);
    const l = t.lines();
    [l[2], l[3]] = [l[3]!, l[2]!]; // records 3 and 4
    t.write(l);
    const r = await verifyLog(t.dataDir);
    expect(r.ok).toBe(false);
    expect(r.problems.map((p) => [p.kind, p.seq, p.line])).toEqual(expect.arrayContaining([['missing', 3, 3], ['reordered', 3, 4]]));
  });

  it('fails when the end is cut off (the anchors remember it)', async () => {
    const t = trailWith(10);
    t.write(t.lines().slice(0, 6));
    const r = await verifyLog(t.dataDir);
    expect(r.ok).toBe(false);
    expect(r.problems.map((p) => p.message)).toEqual(expect.arrayContaining([expect.stringMatching(/anchored record 8 .* but the log ends at record 6: records were removed from the end/)]));
  });

  it('fails when the log is rewritten with every hash recomputed (anchor mismatch)', async () => {
    const t = trailWith(10);
    const recs = t.lines().map((x) => JSON.parse(x) as AuditRecord);
    // A forger drops record 2 and re-chains the rest so the file is self-consistent.
    let head: { seq: number; hash: string } | undefined;
    const forged = recs.filter((r) => r.seq !== 2).map((r) => {
      const s = seal(head, r.event, new Date(r.at));
      head = s;
      return recordLine(s).trimEnd();
    });
    t.write(forged);
    const r = await verifyLog(t.dataDir);
    expect(r.ok).toBe(false);
    expect(r.problems[0]).toMatchObject({ kind: 'anchor-mismatch', seq: 4 });
  });

  it('records a tamper-detected event when the node opens a changed log', () => {
    const t = trailWith(8);
    const l = t.lines();
    l[7] = l[7]!.replace('"s7"', '"s9"'); // the last anchored record
    t.write(l);
    const db = openDatabase(storeLayout(t.dataDir).database);
    const trail = AuditTrail.open({ dataDir: t.dataDir, db, logger: createLogger('audit-test'), anchorEvery: 4 });
    trail.close();
    db.close();
    const last = JSON.parse(t.lines().at(-1)!) as AuditRecord;
    expect(last.event).toMatchObject({ type: 'tamper-detected', seq: 9, problem: expect.stringContaining('record 8') });
    expect(trail.openProblems).toHaveLength(1);
  });
});
