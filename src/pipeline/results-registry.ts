/**
 * Which result objects the node produced for a study, per generation (<dataDir>/results/<StudyInstanceUID>.json).
 * A re-run after a late series finds the earlier SRs here and references them as predecessor documents.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isValidUid } from '../dicom/uids';
import type { ObjectReference } from '../encoders';
import { SopClass } from '../dicom/constants';

interface ResultEntry {
  generation: number;
  model: string;
  kind: string;
  studyInstanceUid: string;
  seriesInstanceUid: string;
  sopClassUid: string;
  sopInstanceUid: string;
}

function fileFor(dataDir: string, studyUid: string): string {
  if (!isValidUid(studyUid)) throw new Error(`invalid StudyInstanceUID ${JSON.stringify(studyUid)}`);
  return join(dataDir, 'results', `${studyUid}.json`);
}

/** The study's entries (every generation); [] when none. */
export async function loadResults(dataDir: string, studyUid: string): Promise<ResultEntry[]> {
  try {
    return JSON.parse(await readFile(fileFor(dataDir, studyUid), 'utf8')) as ResultEntry[];
  } catch {
    return [];
  }
}

export async function recordResults(dataDir: string, studyUid: string, generation: number, objects: Array<Omit<ResultEntry, 'generation'>>): Promise<void> {
  const entries = (await loadResults(dataDir, studyUid)).filter((e) => e.generation !== generation);
  entries.push(...objects.map((o) => ({ generation, model: o.model, kind: o.kind, studyInstanceUid: o.studyInstanceUid, seriesInstanceUid: o.seriesInstanceUid, sopClassUid: o.sopClassUid, sopInstanceUid: o.sopInstanceUid })));
  const path = fileFor(dataDir, studyUid);
  await mkdir(join(dataDir, 'results'), { recursive: true });
  await writeFile(`${path}.tmp`, JSON.stringify(entries, null, 1));
  await rename(`${path}.tmp`, path);
}

/** SRs of the latest earlier generation (the documents this run supersedes). */
export async function predecessorsFor(dataDir: string, studyUid: string, generation: number): Promise<ObjectReference[]> {
  const earlier = (await loadResults(dataDir, studyUid)).filter((e) => e.generation < generation && (e.sopClassUid === SopClass.ComprehensiveSR || e.sopClassUid === SopClass.EnhancedSR));
  if (!earlier.length) return [];
  const latest = Math.max(...earlier.map((e) => e.generation));
  return earlier
    .filter((e) => e.generation === latest)
    .map((e) => ({ studyInstanceUid: e.studyInstanceUid, seriesInstanceUid: e.seriesInstanceUid, sopClassUid: e.sopClassUid, sopInstanceUid: e.sopInstanceUid }));
}
