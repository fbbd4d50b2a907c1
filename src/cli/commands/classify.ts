/**
 * `neuro-onc-node classify <folder-or-files...> [--json]`: identifies T1/T1ce/T2/FLAIR series from DICOM headers
 * (pixel data is not read). Non-DICOM files are skipped with a warning on stderr. Site overrides and thresholds come
 * from the `seriesId` config section. Exit 0 when at least one series was classified, 2 when nothing usable was found.
 */
import type { Command } from 'commander';
import { loadConfig } from '../../config/load';
import { classifyStudy, type StudyClassification } from '../../series-id/classify';
import type { SeriesDescriptor } from '../../series-id/series-descriptor';
import { listFiles, seriesDescriptorsFromFiles } from '../../series-id/descriptor-from-files';

interface ClassifyCliOptions {
  json?: boolean;
}

function warn(msg: string): void {
  process.stderr.write(`neuro-onc-node classify: ${msg}\n`);
}

/** Headers grouped by StudyInstanceUID, in first-seen order. */
function byStudy(descriptors: readonly SeriesDescriptor[]): Map<string, SeriesDescriptor[]> {
  const out = new Map<string, SeriesDescriptor[]>();
  for (const h of descriptors) {
    const key = h.studyInstanceUid ?? '';
    out.set(key, [...(out.get(key) ?? []), h]);
  }
  return out;
}

/** The JSON contract: series items carry exactly these keys. */
function jsonSeries(c: StudyClassification): object[] {
  return c.series.map((s) => ({
    seriesInstanceUid: s.seriesInstanceUid,
    seriesNumber: s.seriesNumber ?? null,
    seriesDescription: s.seriesDescription,
    role: s.role,
    confidence: s.confidence,
    reasons: s.reasons,
    selected: s.selected,
  }));
}

function cell(s: string, width: number): string {
  return s.length > width ? `${s.slice(0, width - 1)}…` : s.padEnd(width);
}

function table(c: StudyClassification, studyUid: string, multi: boolean): string {
  const lines: string[] = [];
  if (multi) lines.push(`study ${studyUid || '(no StudyInstanceUID)'}`);
  lines.push(`${cell('#', 6)} ${cell('description', 34)} ${cell('role', 6)} ${cell('conf', 5)} ${cell('sel', 3)} reason`);
  for (const s of c.series) {
    lines.push(
      `${cell(String(s.seriesNumber ?? '-'), 6)} ${cell(s.seriesDescription || '(none)', 34)} ${cell(s.role, 6)} ${cell(s.confidence.toFixed(2), 5)} ${cell(s.selected ? '*' : '', 3)} ${s.reasons[0] ?? ''}`,
    );
  }
  lines.push(c.missing.length ? `missing: ${c.missing.join(', ')}` : 'missing: none');
  return lines.join('\n');
}

export async function runClassify(paths: string[], opts: ClassifyCliOptions, configFile: string | undefined): Promise<number> {
  const cfg = loadConfig({ file: configFile });
  const { files, missing } = await listFiles(paths);
  for (const m of missing) warn(`${m.path}: ${m.reason}`);
  const { descriptors, skipped } = await seriesDescriptorsFromFiles(files);
  for (const s of skipped) warn(`skipping ${s.path}: ${s.reason}`);
  if (!descriptors.length) {
    warn(`no DICOM series found in ${paths.join(' ')} (${files.length} file(s) looked at)`);
    if (opts.json) process.stdout.write(`${JSON.stringify({ series: [], missing: [], selected: {} })}\n`);
    return 2;
  }
  const studies = byStudy(descriptors);
  const options = { overrides: cfg.seriesId.overrides, minConfidence: cfg.seriesId.minConfidence, minImages: cfg.seriesId.minImages };
  const results = [...studies.entries()].map(([uid, hs]) => ({ uid, result: classifyStudy(hs, options) }));
  if (studies.size > 1) warn(`${studies.size} studies found; each is classified on its own`);

  if (opts.json) {
    const series = results.flatMap((r) => jsonSeries(r.result));
    const doc =
      results.length === 1
        ? { series, missing: results[0]!.result.missing, selected: results[0]!.result.selected }
        : { series, studies: results.map((r) => ({ studyInstanceUid: r.uid, missing: r.result.missing, selected: r.result.selected })) };
    process.stdout.write(`${JSON.stringify(doc)}\n`);
  } else {
    process.stdout.write(`${results.map((r) => table(r.result, r.uid, results.length > 1)).join('\n\n')}\n`);
  }
  return 0;
}

export function registerClassifyCommand(program: Command): void {
  program
    .command('classify')
    .description('identify T1/T1ce/T2/FLAIR series from DICOM headers in files or folders (research use only)')
    .argument('<paths...>', 'DICOM files or folders (searched recursively)')
    .option('--json', 'print {"series":[...],"missing":[...],"selected":{...}} instead of a table')
    .action(async (paths: string[], opts: ClassifyCliOptions) => {
      const code = await runClassify(paths, opts, program.opts<{ config?: string }>().config);
      if (code !== 0) process.exitCode = code;
    });
}
