/**
 * Offline processing: the whole pipeline on files, no network. DICOM folder -> identification -> volumes ->
 * models -> SEG, SR, key images, PDF written to a folder (plus a readable report and a findings summary).
 * Used by `neuro-onc-node process` and by the demo's summary.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config } from '../config/schema';
import type { ModelRegistry } from '../ai/registry';
import { DeviceQueue } from '../ai/runtime';
import { summariseFindings } from '../ai/summary';
import type { Findings } from '../ai/findings';
import { groupFiles, inferStudy, type StudyOutcome } from './infer-study';
import { readP10 } from '../dicom/p10';
import { studyAttributesFrom } from '../dicom/study-attributes';
import type { Logger } from '../log/logger';
import { encodeAndWrite } from './encode-and-write';
import type { StudySeriesFiles } from './prepare';

export interface OfflineModelResult {
  model: string;
  findings?: Findings;
  files: string[];
  error?: { reason: string; message: string };
}

export interface OfflineStudyResult {
  studyInstanceUid: string;
  outDir: string;
  identification: Pick<StudyOutcome, 'classification' | 'routed' | 'skipped'>;
  models: OfflineModelResult[];
}

export interface OfflineOptions {
  models?: string[];
  keyImages?: boolean;
  pdf?: boolean;
  log?: Logger;
}

/** Encodes one model's findings and writes the objects, the report text and a findings summary into `dir`. */
async function writeResults(findings: Findings, study: StudySeriesFiles, dir: string, cfg: Config, opts: OfflineOptions): Promise<{ files: string[]; errors: string[] }> {
  const headerFile = study.series[findings.referenceSeries.seriesInstanceUid]![0]!;
  const header = studyAttributesFrom(readP10(await readFile(headerFile), { headerOnly: true }).dataset);
  // Offline results are for inspection: objects that fail the pre-delivery check are written, and the errors reported.
  const { objects, encoded, narrative, errors } = await encodeAndWrite(findings, header, dir, findings.model.name, cfg, {
    keyImages: opts.keyImages ?? true,
    pdf: opts.pdf ?? true,
    preflightErrors: 'record',
  });
  const files = objects.map((o) => o.path);
  const report = join(dir, 'report.txt');
  await writeFile(report, `${narrative.clinician}\n\n---- Plain-language version ----\n\n${narrative.patient}\n`);
  const summary = join(dir, 'findings.json');
  await writeFile(summary, JSON.stringify({ ...summariseFindings(findings), preflight: encoded.preflight, notes: encoded.notes }, null, 2));
  files.push(report, summary);
  return { files, errors: errors.map((i) => i.message) };
}

export async function processFolder(paths: string[], outRoot: string, registry: ModelRegistry, cfg: Config, opts: OfflineOptions = {}): Promise<{ studies: OfflineStudyResult[]; skipped: string[] }> {
  const { studies, skipped } = await groupFiles(paths);
  const queue = new DeviceQueue(cfg.models.concurrencyPerDevice);
  const results: OfflineStudyResult[] = [];
  for (const study of studies) {
    const outcome = await inferStudy(study, registry, cfg, { ...(opts.models ? { models: opts.models } : {}), queue, ...(opts.log ? { log: opts.log } : {}) });
    const outDir = join(outRoot, study.studyInstanceUid);
    const models: OfflineModelResult[] = [];
    for (const o of outcome.outcomes) {
      if (!o.findings) {
        models.push({ model: o.model, files: [], ...(o.error ? { error: o.error } : {}) });
        continue;
      }
      try {
        const { files, errors } = await writeResults(o.findings, study, join(outDir, o.model), cfg, opts);
        models.push({ model: o.model, findings: o.findings, files, ...(errors.length ? { error: { reason: 'preflight-failed', message: errors.join('; ') } } : {}) });
      } catch (e) {
        const err = e as Error & { reason?: string };
        models.push({ model: o.model, files: [], error: { reason: err.reason ?? err.name, message: err.message } });
      }
    }
    results.push({ studyInstanceUid: study.studyInstanceUid, outDir, identification: outcome, models });
  }
  return { studies: results, skipped };
}
