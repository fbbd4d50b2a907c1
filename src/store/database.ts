/**
 * The node's SQLite database (better-sqlite3): one file, WAL mode, synchronous=NORMAL.
 *
 * Why NORMAL and not FULL: in WAL mode NORMAL is still atomic and durable across a process crash (kill -9); only
 * an OS crash or power loss can roll back the last transactions. For instances that is covered elsewhere: a file
 * is fsynced and its directory entry fsynced before it is acknowledged, and after any unclean stop the store
 * re-indexes files the index lacks (recovery.ts). Job transitions rolled back by a power loss just re-run a
 * stage. FULL would fsync the WAL on every commit (about 5 ms here, on the event loop).
 * The store, the study tracker and the job machine each own their tables and create them through `migrate`.
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

export type Db = Database.Database;

export function openDatabase(path: string): Db {
  mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = ON');
  db.exec('CREATE TABLE IF NOT EXISTS schema_versions (component TEXT PRIMARY KEY, version INTEGER NOT NULL)');
  return db;
}

/**
 * Applies a component's migrations in order. `steps[i]` brings the schema from version i to i+1; versions
 * already applied are skipped, so adding a step later upgrades existing databases.
 */
export function migrate(db: Db, component: string, steps: string[]): void {
  const row = db.prepare('SELECT version FROM schema_versions WHERE component = ?').get(component) as { version: number } | undefined;
  const current = row?.version ?? 0;
  if (current > steps.length) {
    throw new Error(`database ${component} schema is version ${current}, newer than this program (${steps.length}); refusing to run`);
  }
  db.transaction(() => {
    for (let v = current; v < steps.length; v++) db.exec(steps[v]!);
    db.prepare('INSERT INTO schema_versions (component, version) VALUES (?, ?) ON CONFLICT(component) DO UPDATE SET version = excluded.version').run(component, steps.length);
  })();
}

/** A WHERE clause from optional conditions, each [sql, ...values]; falsy ones are left out. */
export function whereOf(conditions: ReadonlyArray<readonly [string, ...unknown[]] | false | '' | undefined>): { where: string; args: unknown[] } {
  const given = conditions.filter((c): c is readonly [string, ...unknown[]] => !!c);
  return { where: given.length ? `WHERE ${given.map((c) => c[0]).join(' AND ')}` : '', args: given.flatMap((c) => c.slice(1)) };
}
