/**
 * Offline processing: the whole pipeline on files, no network. DICOM folder -> identification -> volumes ->
 * models -> SEG, SR, key images, PDF written to a folder (plus a readable report and a findings summary).
 * Used by `neuro-onc-node process` and by the demo's summary.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config } from '../config/schema';
import type { ModelRegistry } from '../ai/registry';
import { DeviceQueue } from '../ai/runtime';
import { summariseFindings } from '../ai/summary';
import type { Findings } from '../ai/findings';
import { groupFiles } from '../ai/run-study';
import { readP10 } from '../dicom/p10';
import { studyHeaderFrom } from '../dicom/study-header';
import { encodeResults, narrativeFor } from '../encoders';
import type { Logger } from '../log/logger';
import { nodeVersion } from '../version';
import { analysePrepared } from './analyse';
import { identify, prepareCase, volumeBuilder, type Identification, type StudySeriesFiles } from './prepare';

export interface OfflineModelResult {
  model: string;
  findings?: Findings;
  files: string[];
  error?: { reason: string; message: string };
}

export interface OfflineStudyResult {
  studyInstanceUid: string;
  outDir: string;
  identification: Identification;
  models: OfflineModelResult[];
}

export interface OfflineOptions {
  models?: string[];
  keyImages?: boolean;
  pdf?: boolean;
  log?: Logger;
}

export async function processFolder(paths: string[], outRoot: string, registry: ModelRegistry, cfg: Config, opts: OfflineOptions = {}): Promise<{ studies: OfflineStudyResult[]; skipped: string[] }> {
  const { studies, skipped } = await groupFiles(paths);
  const queue = new DeviceQueue(cfg.models.concurrencyPerDevice);
  const results: OfflineStudyResult[] = [];
  for (const s of studies) {
    const study: StudySeriesFiles = { studyInstanceUid: s.studyInstanceUid, studyDescription: s.studyDescription, reasonForStudy: s.reasonForStudy, series: Object.fromEntries(s.series) };
    const identification = await identify(study, registry, cfg, opts.models);
    const build = volumeBuilder(study, identification.classification);
    const outDir = join(outRoot, s.studyInstanceUid);
    const models: OfflineModelResult[] = [];
    for (const name of identification.routed) {
      const model = registry.get(name)!;
      try {
        const prepared = await prepareCase(model, identification.classification, build);
        const findings = await analysePrepared(model, s.studyInstanceUid, prepared, cfg, { queue, ...(opts.log ? { log: opts.log } : {}) });
        const headerFile = study.series[findings.referenceSeries.seriesInstanceUid]![0]!;
        const header = studyHeaderFrom(readP10(await readFile(headerFile), { headerOnly: true }).dataset);
        const narrative = await narrativeFor(findings, cfg.pipeline.llm);
        const encoded = await encodeResults(findings, header, {
          node: { name: cfg.node.name, version: nodeVersion() },
          keyImages: { enabled: opts.keyImages ?? true },
          pdf: { enabled: opts.pdf ?? true },
          narrative,
        });
        const dir = join(outDir, name);
        await mkdir(dir, { recursive: true });
        const files: string[] = [];
        for (const o of encoded.objects) {
          const p = join(dir, o.fileName);
          await writeFile(p, o.bytes);
          files.push(p);
        }
        const report = join(dir, 'report.txt');
        await writeFile(report, `${narrative.clinician}\n\n---- Plain-language version ----\n\n${narrative.patient}\n`);
        const summary = join(dir, 'findings.json');
        await writeFile(summary, JSON.stringify({ ...summariseFindings(findings), preflight: encoded.preflight, notes: encoded.notes }, null, 2));
        files.push(report, summary);
        const errors = encoded.preflight.filter((i) => i.severity === 'error');
        models.push({ model: name, findings, files, ...(errors.length ? { error: { reason: 'preflight-failed', message: errors.map((e) => e.message).join('; ') } } : {}) });
      } catch (e) {
        const err = e as Error & { reason?: string };
        models.push({ model: name, files: [], error: { reason: err.reason ?? err.name, message: err.message } });
        opts.log?.warn('model did not run', { model: name, reason: err.reason ?? err.name, error: err.message });
      }
    }
    results.push({ studyInstanceUid: s.studyInstanceUid, outDir, identification, models });
  }
  return { studies: results, skipped };
}
