/**
 * `neuro-onc-node audit verify`: checks the whole log against its hash chain and the anchors in the database.
 * Reads the database read-only, so it can run beside a running node (a record being appended at that moment may
 * show as a torn last line; run it again).
 */
import { closeSync, createReadStream, existsSync, openSync, readSync, statSync } from 'node:fs';
import { createInterface } from 'node:readline';
import Database from 'better-sqlite3';
import { storeLayout } from '../store/paths';
import { ChainVerifier, type Anchor, type VerifyReport } from './chain';
import { auditLogPath } from './trail';

export class AuditLogMissing extends Error {}

/** Anchors from the node's database, or [] when it has none (no database yet, or a node before the audit trail). */
export function anchorsOf(databasePath: string): Anchor[] {
  if (!existsSync(databasePath)) return [];
  const db = new Database(databasePath, { readonly: true, fileMustExist: true });
  try {
    return db.prepare('SELECT seq, hash, offset, at FROM audit_anchors ORDER BY seq').all() as Anchor[];
  } catch (e) {
    if (/no such table/.test((e as Error).message)) return [];
    throw e;
  } finally {
    db.close();
  }
}

/** Whether the file's last byte is a newline (else its last line is being written, or a crash cut it off). */
function endsWithNewline(path: string, size: number): boolean {
  if (size === 0) return true;
  const fd = openSync(path, 'r');
  try {
    const b = Buffer.alloc(1);
    readSync(fd, b, 0, 1, size - 1);
    return b[0] === 0x0a;
  } finally {
    closeSync(fd);
  }
}

export async function verifyLog(dataDir: string, maxProblems = 20): Promise<VerifyReport & { path: string; incompleteLastLine: boolean }> {
  const path = auditLogPath(dataDir);
  if (!existsSync(path)) throw new AuditLogMissing(`no audit log at ${path} (is node.dataDir right?)`);
  // Anchors first: every anchor then refers to bytes already in the file when it is read.
  const anchors = anchorsOf(storeLayout(dataDir).database);
  const size = statSync(path).size;
  const complete = endsWithNewline(path, size);
  const v = new ChainVerifier(maxProblems);
  // Only the bytes present now (a running node may append meanwhile); a last line without its newline is a record
  // being written (or cut off by a crash, which the node notes at its next start): not checked, reported.
  const lines = createInterface({ input: createReadStream(path, { encoding: 'utf8', end: Math.max(0, size - 1) }), crlfDelay: Infinity });
  let pending: string | undefined;
  for await (const line of lines) {
    if (pending !== undefined) v.push(pending);
    pending = line;
  }
  if (pending !== undefined && complete) v.push(pending);
  return { path, incompleteLastLine: !complete, ...v.finish(anchors) };
}
