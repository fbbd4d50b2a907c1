/**
 * The CPU-bound part of the preprocessing, inferring and encoding stages (volume building and resampling, model
 * runs and post-processing, radiomics, SEG/SR encoding), as functions of plain, cloneable arguments. The stage
 * handlers (stages.ts) keep what needs the store and the job; these run either in the event-loop thread or in a
 * worker thread (src/workers), with the same code, so outputs are identical either way.
 *
 * Bulky data never crosses the thread boundary: inputs are files (the study's instances, the job's artifacts),
 * outputs are artifacts and result files in the job's work folder, and only small summaries come back.
 */
import { join } from 'node:path';
import type { Config } from '../config/schema';
import type { ModelRegistry } from '../ai/registry';
import type { DeviceQueue } from '../ai/runtime';
import { clinicalInputs } from '../ai/manifest';
import { summariseFindings } from '../ai/summary';
import type { StudyAttributes } from '../dicom/study-attributes';
import type { ObjectReference } from '../encoders';
import type { Logger } from '../log/logger';
import type { StudyClassification } from '../series-id/classify';
import { analysePrepared } from './analyse';
import { writeArtifact } from './artifacts';
import { encodeAndWrite } from './encode-and-write';
import { PermanentStageError } from './errors';
import { prepareCase, studyClinical, volumeBuilder, type SelectedSeries, type StudySeriesFiles } from './prepare';
import { readFindings, readPreparedCase } from './stage-outputs';

export interface PrepareArgs {
  files: StudySeriesFiles;
  classification: SelectedSeries & Pick<StudyClassification, 'missing'>;
  models: string[];
  workDir: string;
}

export interface PrepareResult {
  models: Array<{ model: string; referenceRole: string; present: string[]; artifact: string; warnings: string[] }>;
  notRun: Array<{ model: string; reason: string; message: string }>;
}

export interface InferArgs {
  model: string;
  studyInstanceUid: string;
  workDir: string;
  /** Prepared-case artifact to read; the findings artifact is written next to it. */
  artifact: string;
}

export interface InferResult {
  model: string;
  artifact: string;
  summary: Record<string, unknown>;
  executionProvider: string;
  totalMs: number;
}

export interface EncodeArgs {
  model: string;
  workDir: string;
  /** Findings artifact. */
  artifact: string;
  header: StudyAttributes;
  predecessors: ObjectReference[];
  /** The job's creation time (ms): a re-run of the job writes byte-identical objects. */
  createdAt: number;
}

export interface EncodeResult {
  objects: Array<{ model: string; kind: string; sopClassUid: string; sopInstanceUid: string; seriesInstanceUid: string; studyInstanceUid: string; path: string }>;
  notes: string[];
  narrative: { clinician: string; patient: string; source: string; fallbackReason?: string };
}

/**
 * Where the stage work runs: in this thread or in the worker pool (same functions, same results). `signal`: the
 * pool stops waiting when the stage is aborted (shutdown, superseded), so a graceful stop does not wait for a model
 * run; work in this thread cannot be interrupted.
 */
export interface StageWork {
  prepare(args: PrepareArgs, log: Logger, signal?: AbortSignal): Promise<PrepareResult>;
  infer(args: InferArgs, log: Logger, signal?: AbortSignal): Promise<InferResult>;
  encode(args: EncodeArgs, log: Logger, signal?: AbortSignal): Promise<EncodeResult>;
}

function errorInfo(e: unknown): { reason: string; message: string } {
  const err = e as Error & { reason?: string };
  return { reason: err.reason ?? err.name ?? 'error', message: err.message ?? String(e) };
}

/** Volumes -> each routed model's grid, one prep-<model> artifact per model that can run. */
export async function prepareModels(args: PrepareArgs, registry: ModelRegistry, log: Logger, registration?: Config['registration']): Promise<PrepareResult> {
  const classification = args.classification;
  const build = volumeBuilder(args.files, classification);
  const out: PrepareResult = { models: [], notRun: [] };
  for (const name of args.models) {
    const model = registry.get(name);
    if (!model) {
      out.notRun.push({ model: name, reason: 'model-not-loaded', message: `model ${name} is no longer loaded` });
      continue;
    }
    try {
      const clinical = clinicalInputs(model.manifest).length ? await studyClinical(args.files) : undefined;
      const prepared = await prepareCase(model, classification, build, registration, clinical);
      const artifact = `prep-${name}`;
      await writeArtifact(args.workDir, artifact, prepared);
      // The registration stage's own artifact, small and readable on its own (the prep artifact holds volumes).
      if (prepared.registration) await writeArtifact(args.workDir, `registration-${name}`, prepared.registration);
      out.models.push({ model: name, referenceRole: prepared.referenceRole, present: prepared.inputs.map((i) => i.role), artifact, warnings: prepared.warnings });
    } catch (e) {
      out.notRun.push({ model: name, ...errorInfo(e) });
      log.warn('model cannot run on this study', { model: name, ...errorInfo(e) });
    }
  }
  return out;
}

/** One model on its prepared case -> findings-<model> artifact and its summary. */
export async function inferModel(args: InferArgs, registry: ModelRegistry, cfg: Config, queue: DeviceQueue | undefined, log: Logger): Promise<InferResult> {
  const model = registry.get(args.model);
  if (!model) throw new PermanentStageError(`model ${args.model} is no longer loaded`, 'model-not-loaded');
  const prepared = await readPreparedCase(args.workDir, args.artifact);
  const findings = await analysePrepared(model, args.studyInstanceUid, prepared, cfg, { ...(queue ? { queue } : {}), log });
  const artifact = `findings-${args.model}`;
  await writeArtifact(args.workDir, artifact, findings);
  return { model: args.model, artifact, summary: summariseFindings(findings), executionProvider: findings.model.executionProvider, totalMs: Math.round(findings.timings.total ?? 0) };
}

/** One model's findings -> SEG, SR (+ key images, PDF) files in <workDir>/out/<model>/. */
export async function encodeModel(args: EncodeArgs, cfg: Config): Promise<EncodeResult> {
  const findings = await readFindings(args.workDir, args.artifact);
  const { objects, encoded, narrative } = await encodeAndWrite(findings, args.header, join(args.workDir, 'out', args.model), args.model, cfg, {
    now: new Date(args.createdAt),
    predecessors: args.predecessors,
    keyImages: cfg.delivery.secondaryCapture,
    pdf: cfg.delivery.encapsulatedPdf,
    preflightErrors: 'fail',
  });
  return {
    objects,
    notes: encoded.notes,
    narrative: { clinician: narrative.clinician, patient: narrative.patient, source: narrative.source, ...(narrative.fallbackReason ? { fallbackReason: narrative.fallbackReason } : {}) },
  };
}

/** The stage work in the calling thread (pipeline.workers = 0, and inside each worker). */
export function inThreadWork(registry: ModelRegistry, cfg: Config, queue?: DeviceQueue): StageWork {
  return {
    prepare: (args, log) => prepareModels(args, registry, log, cfg.registration),
    infer: (args, log) => inferModel(args, registry, cfg, queue, log),
    encode: (args) => encodeModel(args, cfg),
  };
}
