/**
 * Start-up recovery. Always: create the folders, delete everything in tmp/ (uploads that never finished), and
 * finish study deletions a stop interrupted (trash/<StudyUID>.<time>: index rows dropped, folder removed).
 * After an unclean stop (no CLEAN marker: crash, kill -9, power loss) also reconcile files and index:
 *   - a file at its UID path but not indexed was renamed into place after its fsync, but the process died before
 *     the index commit; it was never acknowledged, it is complete, so it is validated again and indexed;
 *   - an indexed instance whose file is missing or has the wrong size cannot happen with fsync ordering unless
 *     the disk lost data; it is removed from the index and reported loudly;
 *   - anything else under objects/ (a file that fails validation, a stray name) goes to quarantine/.
 */
import { existsSync, promises as fsp } from 'node:fs';
import { join, relative } from 'node:path';
import type { Logger } from '../log/logger';
import { fsyncDir } from './durable-fs';
import { uidsFromRelativePath } from './paths';
import { isValidUid } from '../dicom/uids';
import type { InstanceStore } from './store';

export interface RecoveryReport {
  /** The previous run closed the store cleanly (no reconciliation was needed). */
  clean: boolean;
  tempFilesRemoved: number;
  /** Complete files found on disk without an index row, now indexed. */
  indexedFromDisk: number;
  /** Index rows whose file was missing or damaged, now removed. */
  missingFiles: number;
  quarantined: number;
}

async function listDir(dir: string): Promise<import('node:fs').Dirent[]> {
  try {
    return await fsp.readdir(dir, { withFileTypes: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
}

async function quarantine(store: InstanceStore, path: string, why: string, log: Logger): Promise<void> {
  const target = join(store.layout.quarantine, `${Date.now()}-${relative(store.layout.objects, path).replace(/[/\\]/g, '_')}`);
  await fsp.rename(path, target);
  log.error('file moved to quarantine', { file: relative(store.layout.root, path), quarantinedAs: relative(store.layout.root, target), why });
}

export async function recoverStore(store: InstanceStore, log: Logger): Promise<RecoveryReport> {
  const L = store.layout;
  for (const d of [L.root, L.objects, L.tmp, L.quarantine, L.trash]) await fsp.mkdir(d, { recursive: true });
  const clean = existsSync(L.cleanMarker);
  if (clean) {
    await fsp.rm(L.cleanMarker, { force: true });
    await fsyncDir(L.root);
  }
  const report: RecoveryReport = { clean, tempFilesRemoved: 0, indexedFromDisk: 0, missingFiles: 0, quarantined: 0 };
  for (const e of await listDir(L.tmp)) {
    await fsp.rm(join(L.tmp, e.name), { recursive: true, force: true });
    report.tempFilesRemoved++;
  }
  if (report.tempFilesRemoved) await fsyncDir(L.tmp);
  for (const e of await listDir(L.trash)) {
    const studyUid = /^(.+)\.\d+$/.exec(e.name)?.[1];
    if (studyUid && isValidUid(studyUid)) {
      const removed = store.index.removeStudy(studyUid);
      log.info('finished deleting a study interrupted by the last stop', { studyInstanceUid: studyUid, ...removed });
    }
    await fsp.rm(join(L.trash, e.name), { recursive: true, force: true });
  }
  if (clean) return report;

  const indexed = new Map<string, { sopUid: string; size: number }>();
  for (const f of store.index.allFiles()) indexed.set(f.relPath, { sopUid: f.sopUid, size: f.size });
  const seen = new Set<string>();
  for (const study of await listDir(L.objects)) {
    const studyDir = join(L.objects, study.name);
    if (!study.isDirectory()) {
      await quarantine(store, studyDir, 'not a study folder', log);
      report.quarantined++;
      continue;
    }
    for (const series of await listDir(studyDir)) {
      const seriesPath = join(studyDir, series.name);
      if (!series.isDirectory()) {
        await quarantine(store, seriesPath, 'not a series folder', log);
        report.quarantined++;
        continue;
      }
      for (const file of await listDir(seriesPath)) {
        const path = join(seriesPath, file.name);
        const rel = relative(L.objects, path);
        if (!file.isFile() || !uidsFromRelativePath([study.name, series.name, file.name])) {
          await quarantine(store, path, 'unexpected name in the store', log);
          report.quarantined++;
          continue;
        }
        const known = indexed.get(rel);
        if (known) {
          seen.add(rel);
          const size = (await fsp.stat(path)).size;
          if (size !== known.size) {
            store.index.removeInstance(known.sopUid);
            report.missingFiles++;
            log.error('indexed instance has the wrong size on disk; removed from the index', { sopInstanceUid: known.sopUid, expected: known.size, actual: size });
            await quarantine(store, path, 'size differs from the index', log);
            report.quarantined++;
          }
          continue;
        }
        const mtime = (await fsp.stat(path)).mtimeMs;
        const outcome = await store.indexExistingFile(path, Math.round(mtime));
        if (outcome.status === 'stored' || outcome.status === 'duplicate') {
          report.indexedFromDisk++;
          seen.add(rel);
        } else {
          await quarantine(store, path, outcome.message ?? String(outcome.reason), log);
          report.quarantined++;
        }
      }
    }
  }
  for (const [rel, f] of indexed) {
    if (seen.has(rel)) continue;
    store.index.removeInstance(f.sopUid);
    report.missingFiles++;
    log.error('indexed instance file is missing; removed from the index', { sopInstanceUid: f.sopUid, file: rel });
  }
  if (report.indexedFromDisk || report.missingFiles || report.quarantined) {
    log.warn('store recovered after an unclean stop', { ...report });
  }
  return report;
}
