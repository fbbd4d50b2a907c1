/**
 * Where the store keeps files. Instances are UID-addressed: objects/<StudyUID>/<SeriesUID>/<SOPInstanceUID>.dcm.
 * Every UID is checked with isValidUid (digits and dots, no empty or leading-zero components, <= 64 chars)
 * before it becomes part of a path, so no UID can climb out of the store ("..", "/", NUL are impossible).
 */
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { isValidUid } from '../dicom/uids';

export class UnsafeUidError extends Error {
  constructor(what: string, uid: unknown) {
    super(`${what} is not a valid DICOM UID (${JSON.stringify(String(uid).slice(0, 80))}); refusing to use it in a path`);
    this.name = 'UnsafeUidError';
  }
}

export interface StoreLayout {
  /** <dataDir>/store */
  root: string;
  /** <root>/objects */
  objects: string;
  /** <root>/tmp: partial uploads; emptied at start-up (same file system as objects, so rename is atomic) */
  tmp: string;
  /** <root>/quarantine: files found at start-up that could not be indexed */
  quarantine: string;
  /** <root>/trash: study folders being deleted (renamed here first, so a deletion is atomic); emptied at start-up */
  trash: string;
  /** <dataDir>/index.sqlite */
  database: string;
  /** <root>/CLEAN: present only between a clean close() and the next open() */
  cleanMarker: string;
}

export function storeLayout(dataDir: string): StoreLayout {
  const root = resolve(dataDir, 'store');
  return {
    root,
    objects: join(root, 'objects'),
    tmp: join(root, 'tmp'),
    quarantine: join(root, 'quarantine'),
    trash: join(root, 'trash'),
    database: resolve(dataDir, 'index.sqlite'),
    cleanMarker: join(root, 'CLEAN'),
  };
}

function checked(what: string, uid: string): string {
  if (!isValidUid(uid)) throw new UnsafeUidError(what, uid);
  return uid;
}

/** objects/<study> */
export function studyDir(layout: StoreLayout, studyUid: string): string {
  return join(layout.objects, checked('Study Instance UID', studyUid));
}

/** objects/<study>/<series> */
export function seriesDir(layout: StoreLayout, studyUid: string, seriesUid: string): string {
  return join(layout.objects, checked('Study Instance UID', studyUid), checked('Series Instance UID', seriesUid));
}

/** objects/<study>/<series>/<sop>.dcm */
export function instancePath(layout: StoreLayout, studyUid: string, seriesUid: string, sopUid: string): string {
  return join(seriesDir(layout, studyUid, seriesUid), `${checked('SOP Instance UID', sopUid)}.dcm`);
}

/** A fresh temp file name in tmp/ (not created). */
export function tempPath(layout: StoreLayout, hint = 'part'): string {
  return join(layout.tmp, `${hint}-${process.pid}-${Date.now().toString(36)}-${randomBytes(6).toString('hex')}.tmp`);
}

/** Parses objects/<study>/<series>/<sop>.dcm back into UIDs (undefined when the name is not ours). */
export function uidsFromRelativePath(rel: string[]): { studyUid: string; seriesUid: string; sopUid: string } | undefined {
  if (rel.length !== 3) return undefined;
  const [studyUid, seriesUid, file] = rel as [string, string, string];
  if (!file.endsWith('.dcm')) return undefined;
  const sopUid = file.slice(0, -4);
  if (!isValidUid(studyUid) || !isValidUid(seriesUid) || !isValidUid(sopUid)) return undefined;
  return { studyUid, seriesUid, sopUid };
}
