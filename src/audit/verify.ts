/**
 * `neuro-onc-node audit verify`: checks the whole log against its hash chain and the anchors in the database.
 * Reads the database read-only, so it can run beside a running node (a record being appended at that moment may
 * show as a torn last line; run it again).
 */
import { createReadStream, existsSync } from 'node:fs';
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

export async function verifyLog(dataDir: string, maxProblems = 20): Promise<VerifyReport & { path: string }> {
  const path = auditLogPath(dataDir);
  if (!existsSync(path)) throw new AuditLogMissing(`no audit log at ${path} (is node.dataDir right?)`);
  const anchors = anchorsOf(storeLayout(dataDir).database);
  const v = new ChainVerifier(maxProblems);
  const lines = createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity });
  for await (const line of lines) v.push(line);
  return { path, ...v.finish(anchors) };
}
