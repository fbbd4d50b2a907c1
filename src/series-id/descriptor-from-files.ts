/**
 * The disk edge of series identification: finds files under folders and reads their headers only
 * (readP10 headerOnly stops before Pixel Data). Files that are not DICOM are reported, never fatal.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { DicomParseError, readP10, str, type NaturalDataset } from '../dicom/p10';
import type { SeriesDescriptor } from './series-descriptor';
import { seriesDescriptorsFromDatasets } from './descriptor-from-datasets';

export interface SkippedFile {
  path: string;
  /** Why it was skipped: "not-dicom: ...", "truncated: ...", "no SeriesInstanceUID ...", "unreadable: ...". */
  reason: string;
}

export interface ListedFiles {
  files: string[];
  /** Inputs that do not exist or cannot be read. */
  missing: SkippedFile[];
}

/** Files given directly plus every file under given folders (recursively), sorted within each folder. */
export async function listFiles(inputs: readonly string[]): Promise<ListedFiles> {
  const files: string[] = [];
  const missing: SkippedFile[] = [];
  async function walk(path: string): Promise<void> {
    let entries;
    try {
      entries = await readdir(path, { withFileTypes: true });
    } catch (e) {
      missing.push({ path, reason: `unreadable folder: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` });
      return;
    }
    entries.sort((a, b) => a.name.localeCompare(b.name));
    for (const entry of entries) {
      const p = join(path, entry.name);
      if (entry.isDirectory()) await walk(p);
      else if (entry.isFile()) files.push(p);
    }
  }
  for (const input of inputs) {
    try {
      const s = await stat(input);
      if (s.isDirectory()) await walk(input);
      else files.push(input);
    } catch (e) {
      missing.push({ path: input, reason: `no such file or folder (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})` });
    }
  }
  return { files, missing };
}

export interface FileDescriptors {
  descriptors: SeriesDescriptor[];
  /** Files that were not usable DICOM instances. */
  skipped: SkippedFile[];
  /** Instances read. */
  instances: number;
}

type HeaderRead = { ok: true; dataset: NaturalDataset } | { ok: false; skipped: SkippedFile };

async function readHeader(path: string): Promise<HeaderRead> {
  const skip = (reason: string): HeaderRead => ({ ok: false, skipped: { path, reason } });
  let buf: Buffer;
  try {
    buf = await readFile(path);
  } catch (e) {
    return skip(`unreadable: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  try {
    const { dataset } = readP10(buf, { headerOnly: true });
    if (!str(dataset, 'SeriesInstanceUID').trim()) return skip('no SeriesInstanceUID (a DICOMDIR or not an image instance)');
    return { ok: true, dataset };
  } catch (e) {
    if (e instanceof DicomParseError) return skip(`${e.reason}: ${e.message}`);
    return skip(`invalid: ${(e as Error).message}`);
  }
}

/** Reads the headers of `paths` (a few at a time) and builds one SeriesDescriptor per series. */
export async function seriesDescriptorsFromFiles(paths: readonly string[], concurrency = 8): Promise<FileDescriptors> {
  const datasets: NaturalDataset[] = [];
  const skipped: SkippedFile[] = [];
  let next = 0;
  async function worker(): Promise<void> {
    while (next < paths.length) {
      const path = paths[next++]!;
      const r = await readHeader(path);
      if (r.ok) datasets.push(r.dataset);
      else skipped.push(r.skipped);
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, paths.length)) }, worker));
  skipped.sort((a, b) => a.path.localeCompare(b.path));
  return { descriptors: seriesDescriptorsFromDatasets(datasets), skipped, instances: datasets.length };
}
