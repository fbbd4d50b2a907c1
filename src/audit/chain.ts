/**
 * The hash chain: pure functions, no I/O. Record n's hash is sha256 over the canonical serialisation of
 * {seq, at, prev, event}, where prev is record n-1's hash. Changing, removing, inserting or reordering any record
 * breaks the chain at that record; rewriting every later hash too is caught by the anchors (heads copied into
 * SQLite as the log grows).
 */
import { createHash } from 'node:crypto';
import type { AuditEvent, AuditRecord } from './events';

export const GENESIS = '0'.repeat(64);

/**
 * JSON with object keys sorted at every level and no whitespace: the same value always gives the same bytes,
 * whatever order its properties were built in. undefined properties are left out, as JSON.stringify does.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isFinite(value)) return 'null';
    return JSON.stringify(value) ?? 'null';
  }
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

export function recordHash(r: Omit<AuditRecord, 'hash'>): string {
  return createHash('sha256').update(canonicalJson({ seq: r.seq, at: r.at, prev: r.prev, event: r.event })).digest('hex');
}

/** The next record after `head` (undefined for the first record of a log). */
export function seal(head: { seq: number; hash: string } | undefined, event: AuditEvent, at: Date): AuditRecord {
  const body = { seq: (head?.seq ?? 0) + 1, at: at.toISOString(), prev: head?.hash ?? GENESIS, event };
  return { ...body, hash: recordHash(body) };
}

/** A record as one log line (canonical, so the line itself is what the hash covers, plus the hash). */
export function recordLine(r: AuditRecord): string {
  return canonicalJson(r) + '\n';
}

/** A chain head copied into the database: record `seq` had hash `hash` and the log was `offset` bytes long. */
export interface Anchor {
  seq: number;
  hash: string;
  offset: number;
  at: string;
}

export interface ChainProblem {
  /** 1-based line of the log file where the problem shows (0: the problem is about the file as a whole). */
  line: number;
  /** Record number concerned (the expected one where a record is missing). */
  seq: number;
  kind: 'unreadable' | 'edited' | 'missing' | 'reordered' | 'inserted' | 'broken-link' | 'anchor-mismatch' | 'truncated';
  message: string;
}

export interface VerifyReport {
  ok: boolean;
  records: number;
  /** Last good record's seq and hash. */
  head?: { seq: number; hash: string };
  anchorsChecked: number;
  problems: ChainProblem[];
}

function parseRecord(line: string): AuditRecord | string {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch (e) {
    return `not valid JSON (${(e as Error).message})`;
  }
  const r = v as Partial<AuditRecord>;
  if (!r || typeof r !== 'object' || !Number.isInteger(r.seq) || typeof r.at !== 'string' || typeof r.prev !== 'string' || typeof r.hash !== 'string' || !r.event || typeof r.event !== 'object') {
    return 'not an audit record (needs seq, at, prev, event, hash)';
  }
  return r as AuditRecord;
}

/**
 * Checks a log line by line (file order) against itself, then against the anchors. Says for each break which line
 * and record, and what: a record whose content no longer matches its hash (edited), a gap in the numbers
 * (removed), a number out of order (reordered), a link to the previous record that does not match (removed or
 * rewritten), an anchored head that the log no longer has (rewritten or cut off). Lists at most `maxProblems`.
 */
export class ChainVerifier {
  private readonly problems: ChainProblem[] = [];
  private readonly bySeq = new Map<number, { hash: string; line: number }>();
  private expected = 1;
  private prevHash = GENESIS;
  private records = 0;
  private head?: { seq: number; hash: string };
  private lineNo = 0;

  constructor(private readonly maxProblems = 20) {}

  private add(p: ChainProblem): void {
    if (this.problems.length < this.maxProblems) this.problems.push(p);
  }

  push(raw: string): void {
    const lineNo = ++this.lineNo;
    if (raw === '') return; // a trailing newline
    const r = parseRecord(raw);
    if (typeof r === 'string') {
      this.add({ line: lineNo, seq: this.expected, kind: 'unreadable', message: `line ${lineNo}: ${r}; expected record ${this.expected} here` });
      this.expected++;
      this.prevHash = '';
      return;
    }
    const expected = this.expected;
    this.records++;
    const selfOk = recordHash(r) === r.hash;
    if (!selfOk) this.add({ line: lineNo, seq: r.seq, kind: 'edited', message: `record ${r.seq} (line ${lineNo}) was changed: its content does not match its hash` });
    const seen = this.bySeq.has(r.seq);
    if (r.seq > expected) {
      const gap = r.seq - expected === 1 ? `record ${expected} is missing` : `records ${expected}-${r.seq - 1} are missing`;
      this.add({ line: lineNo, seq: expected, kind: 'missing', message: `line ${lineNo} holds record ${r.seq} where record ${expected} belongs: ${gap} (removed, or moved further down)` });
    } else if (r.seq < expected) {
      this.add({ line: lineNo, seq: r.seq, kind: seen ? 'inserted' : 'reordered', message: seen ? `line ${lineNo} holds a second copy of record ${r.seq}` : `line ${lineNo} holds record ${r.seq} after record ${expected - 1}: records out of order` });
    } else if (this.prevHash && r.prev !== this.prevHash) {
      this.add({ line: lineNo, seq: r.seq, kind: 'broken-link', message: `record ${r.seq} (line ${lineNo}) does not follow the record before it: its link to record ${r.seq - 1} does not match (a record before it was removed, replaced or rewritten)` });
    }
    if (!seen) this.bySeq.set(r.seq, { hash: r.hash, line: lineNo });
    if (this.problems.length === 0) this.head = { seq: r.seq, hash: r.hash };
    this.expected = Math.max(expected, r.seq + 1);
    this.prevHash = r.hash;
  }

  finish(anchors: readonly Anchor[] = []): VerifyReport {
    const last = this.expected - 1;
    let anchorsChecked = 0;
    for (const a of anchors) {
      anchorsChecked++;
      const found = this.bySeq.get(a.seq);
      if (!found) {
        this.add({ line: 0, seq: a.seq, kind: 'truncated', message: a.seq > last ? `the database anchored record ${a.seq} (on ${a.at}) but the log ends at record ${last}: records were removed from the end` : `the database anchored record ${a.seq} (on ${a.at}) but the log has no such record` });
      } else if (found.hash !== a.hash) {
        this.add({ line: found.line, seq: a.seq, kind: 'anchor-mismatch', message: `record ${a.seq} (line ${found.line}) differs from the copy of its hash anchored in the database on ${a.at}: the log up to there was rewritten` });
      }
    }
    return { ok: this.problems.length === 0, records: this.records, ...(this.head ? { head: this.head } : {}), anchorsChecked, problems: this.problems };
  }
}

/** verifyChain over lines held in memory (tests, small logs). */
export function verifyChain(lines: readonly string[], anchors: readonly Anchor[] = [], maxProblems = 20): VerifyReport {
  const v = new ChainVerifier(maxProblems);
  for (const l of lines) v.push(l);
  return v.finish(anchors);
}
