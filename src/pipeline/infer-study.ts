/**
 * Offline study inference on files (the `infer` and `process` commands): group DICOM files by study and series,
 * then identification -> volumes -> each routed model -> Findings, with the same steps the job pipeline runs
 * (prepare.ts, analyse.ts). Model errors are recorded per model, not thrown.
 */
import { readFile } from 'node:fs/promises';
import type { Config } from '../config/schema';
import type { Findings } from '../ai/findings';
import { clinicalInputs } from '../ai/manifest';
import type { ModelRegistry } from '../ai/registry';
import type { DeviceQueue } from '../ai/runtime';
import { readP10, str } from '../dicom/p10';
import type { Logger } from '../log/logger';
import type { StudyClassification } from '../series-id/classify';
import { listFiles } from '../series-id/descriptor-from-files';
import { analysePrepared } from './analyse';
import { identify, prepareCase, studyClinical, volumeBuilder, type StudySeriesFiles } from './prepare';

export interface ModelOutcome {
  model: string;
  findings?: Findings;
  /** Why the model did not run (missing modalities, unsupported space, build error...). */
  error?: { reason: string; message: string };
}

export interface StudyOutcome {
  studyInstanceUid: string;
  classification: StudyClassification;
  routed: string[];
  skipped: string[];
  outcomes: ModelOutcome[];
  warnings: string[];
}

/** Groups readable DICOM files by study and series (header only); unreadable files are listed with the reason. */
export async function groupFiles(paths: readonly string[]): Promise<{ studies: StudySeriesFiles[]; skipped: string[] }> {
  const { files, missing } = await listFiles(paths);
  const skipped = missing.map((m) => `${m.path}: ${m.reason}`);
  const studies = new Map<string, StudySeriesFiles>();
  for (const f of files) {
    let ds;
    try {
      ds = readP10(await readFile(f), { headerOnly: true }).dataset;
    } catch (e) {
      skipped.push(`${f}: ${(e as Error).message}`);
      continue;
    }
    const studyUid = str(ds, 'StudyInstanceUID');
    const seriesUid = str(ds, 'SeriesInstanceUID');
    if (!seriesUid) {
      skipped.push(`${f}: no SeriesInstanceUID`);
      continue;
    }
    let s = studies.get(studyUid);
    if (!s) {
      s = {
        studyInstanceUid: studyUid,
        studyDescription: str(ds, 'StudyDescription'),
        reasonForStudy: str(ds, 'ReasonForStudy') || str(ds, 'RequestedProcedureDescription'),
        series: {},
      };
      studies.set(studyUid, s);
    }
    (s.series[seriesUid] ??= []).push(f);
  }
  return { studies: [...studies.values()], skipped };
}

export interface InferOptions {
  /** Run exactly these models instead of the routing rules. */
  models?: string[];
  tta?: boolean;
  modalityImportance?: boolean;
  queue?: DeviceQueue;
  log?: Logger;
}

/** Identification -> volumes -> every routed model, for one study. */
export async function inferStudy(study: StudySeriesFiles, registry: ModelRegistry, cfg: Config, opts: InferOptions = {}): Promise<StudyOutcome> {
  const id = await identify(study, registry, cfg, opts.models);
  const build = volumeBuilder(study, id.classification);
  const outcomes: ModelOutcome[] = [];
  const warnings = [...id.unreadable];
  for (const name of id.routed) {
    try {
      const model = registry.get(name)!;
      const clinical = clinicalInputs(model.manifest).length ? await studyClinical(study) : undefined;
      const prepared = await prepareCase(model, id.classification, build, cfg.registration, clinical);
      const findings = await analysePrepared(registry.get(name)!, study.studyInstanceUid, prepared, cfg, {
        ...(opts.tta !== undefined ? { tta: opts.tta } : {}),
        ...(opts.modalityImportance !== undefined ? { modalityImportance: opts.modalityImportance } : {}),
        ...(opts.queue ? { queue: opts.queue } : {}),
        ...(opts.log ? { log: opts.log } : {}),
      });
      outcomes.push({ model: name, findings });
    } catch (e) {
      const err = e as Error & { reason?: string };
      outcomes.push({ model: name, error: { reason: err.reason ?? err.name, message: err.message } });
      opts.log?.warn('model did not run', { model: name, reason: err.reason ?? err.name, error: err.message });
    }
  }
  return { studyInstanceUid: study.studyInstanceUid, classification: id.classification, routed: id.routed, skipped: id.skipped, outcomes, warnings };
}
