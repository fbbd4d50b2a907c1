/**
 * The job pipeline: real handlers for the job state machine's stages (src/jobs), in data-flow order.
 *
 *   identifying    store -> series roles (series-id) + which models run (routing)
 *   preprocessing  selected series -> volumes -> each model's grid        artifact prep-<model>
 *   inferring      ONNX models -> Findings on the display series' grid    artifact findings-<model>
 *   encoding       Findings -> SEG, SR (+ key images, PDF)                 files out/<model>/*.dcm
 *   delivering     objects -> every destination, retries, dead letters     delivery-state.json
 *
 * Each stage's JSON output is persisted by the job machine (<dataDir>/jobs/<id>/<stage>.json); bulky
 * intermediates go to the job's work folder, so every step can be inspected and a crash resumes at the stage
 * that was running.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { Config } from '../config/schema';
import type { Destination } from '../config/sections/destinations';
import type { RoutingRuleConfig } from '../config/sections/routing';
import type { ModelRegistry } from '../ai/registry';
import type { DeviceQueue } from '../ai/runtime';
import { deadLetters, deliverAll, initialState, resetDeadLetters, type DeliveryState, type Sender } from '../delivery/deliver';
import { deliveryStateSchema } from '../delivery/delivery-state-schema';
import { defaultSenders } from '../delivery/senders';
import type { OutgoingObject } from '../delivery/types';
import { sliceSourceSchema } from '../imaging/volume-schema';
import { readP10 } from '../dicom/p10';
import { studyAttributesFrom } from '../dicom/study-attributes';
import type { StageContext, StageHandler, StagePlan } from '../jobs/types';
import type { InstanceStore } from '../store/store';
import { readArtifactJson } from './artifacts';
import { pipelineOutputSchemas, type EncodeOutput, type IdentifyOutput, type InferOutput, type PipelineOutputs, type PreprocessOutput } from './stage-outputs';
import { PermanentStageError } from './errors';
import { identify, type StudySeriesFiles } from './prepare';
import { pullMissingSeries, type PullReport } from './pull-missing';
import { recordResults, predecessorsFor } from './results-registry';
import { inThreadWork, type PrepareArgs, type StageWork } from './stage-work';

export type { DeliverOutput, EncodeOutput, IdentifyOutput, InferOutput, PreprocessOutput } from './stage-outputs';

export interface PipelineDeps {
  config: Config;
  registry: ModelRegistry;
  queue: DeviceQueue;
  /** Senders per destination type (default: the registry in src/delivery/senders.ts). Tests may wrap them. */
  senders?: Partial<Record<Destination['type'], Sender>>;
  /** Where the CPU-bound stage work runs (src/workers pool); in this thread when absent. */
  work?: StageWork;
}

/** A study's instances in the store, grouped by series (our own result objects are not inputs). */
export function studyFilesFromStore(store: InstanceStore, studyInstanceUid: string): StudySeriesFiles {
  const study = store.getStudy(studyInstanceUid);
  const series: Record<string, string[]> = {};
  for (const rec of store.listInstances({ studyInstanceUid })) (series[rec.seriesInstanceUid] ??= []).push(rec.path);
  return { studyInstanceUid, studyDescription: study?.studyDescription ?? '', reasonForStudy: '', series };
}

/** Just the display series' slice sources of a findings artifact's JSON. */
const referenceSources = z.looseObject({ referenceSeries: z.looseObject({ sources: z.array(sliceSourceSchema) }) });

/** The display series' first source instance, from the findings artifact's JSON (no voxels read). */
async function referenceSopOf(workDir: string, artifact: string): Promise<string | undefined> {
  const f = await readArtifactJson(workDir, artifact, referenceSources);
  return f.referenceSeries.sources[0]?.sopInstanceUid;
}

/** The pipeline's stages for the job machine: a handler per stage and the schemas of their outputs. */
export function pipelineStages(deps: PipelineDeps): StagePlan<PipelineOutputs> {
  const cfg = deps.config;
  const work = deps.work ?? inThreadWork(deps.registry, cfg, deps.queue);
  const senders = deps.senders ?? defaultSenders(cfg);

  const identifying: StageHandler<PipelineOutputs, 'identifying'> = async (ctx) => {
    let files = studyFilesFromStore(ctx.store, ctx.studyInstanceUid);
    // A routing rule with models runs only those (docs/routing.md); otherwise models.routing decides.
    const onlyModels = jobRule(cfg, ctx.job)?.models;
    let id = await identify(files, deps.registry, cfg, onlyModels);
    let pull: PullReport | undefined;
    if (id.classification.missing.length && cfg.dimse.pullMissingFrom) {
      pull = await pullMissingSeries(cfg, ctx.store, ctx.studyInstanceUid, ctx.logger);
      if (pull?.pulled.some((p) => p.completed > 0)) {
        // The pulled instances open a new generation that supersedes this job; identify again in case it does not.
        files = studyFilesFromStore(ctx.store, ctx.studyInstanceUid);
        id = await identify(files, deps.registry, cfg, onlyModels);
      }
    }
    const out: IdentifyOutput = {
      selected: id.classification.selected,
      missing: id.classification.missing,
      series: id.classification.series.map((s) => ({
        seriesInstanceUid: s.seriesInstanceUid,
        ...(s.seriesNumber != null ? { seriesNumber: s.seriesNumber } : {}),
        ...(s.seriesDescription ? { seriesDescription: s.seriesDescription } : {}),
        role: s.role,
        confidence: s.confidence,
        selected: s.selected,
        reasons: s.reasons,
      })),
      routed: id.routed,
      skipped: id.skipped,
      unreadable: id.unreadable,
      ...(pull ? { pull } : {}),
    };
    ctx.logger.info('series identified', { selected: out.selected, missing: out.missing, routed: out.routed });
    if (!id.routed.length) {
      throw new PermanentStageError(
        `no model applies to this study: identified ${Object.keys(out.selected).join(', ') || 'no T1/T1ce/T2/FLAIR series'}` +
          (id.skipped.length ? `; ${id.skipped.join('; ')}` : `; models loaded: ${deps.registry.names().join(', ') || 'none'}`),
        'no-model-applies',
      );
    }
    return out;
  };

  const preprocessing: StageHandler<PipelineOutputs, 'preprocessing'> = async (ctx) => {
    const files = studyFilesFromStore(ctx.store, ctx.studyInstanceUid);
    const idOut = ctx.outputs.identifying!;
    const classification: PrepareArgs['classification'] = { selected: idOut.selected, missing: idOut.missing, series: idOut.series };
    const out: PreprocessOutput = await work.prepare({ files, classification, models: idOut.routed, workDir: ctx.workDir }, ctx.logger, ctx.signal);
    if (!out.models.length) {
      throw new PermanentStageError(`no routed model can run: ${out.notRun.map((n) => `${n.model}: ${n.message}`).join('; ')}`, 'missing-modalities');
    }
    return out;
  };

  const inferring: StageHandler<PipelineOutputs, 'inferring'> = async (ctx) => {
    const out: InferOutput = { models: [], notRun: [] };
    for (const p of ctx.outputs.preprocessing!.models) {
      if (!deps.registry.get(p.model)) {
        out.notRun.push({ model: p.model, reason: 'model-not-loaded', message: `model ${p.model} is no longer loaded` });
        continue;
      }
      const r = await work.infer({ model: p.model, studyInstanceUid: ctx.studyInstanceUid, workDir: ctx.workDir, artifact: p.artifact }, ctx.logger, ctx.signal);
      out.models.push({ model: p.model, artifact: r.artifact, summary: r.summary });
      ctx.logger.info('inference done', { model: p.model, executionProvider: r.executionProvider, ms: r.totalMs });
    }
    if (!out.models.length) throw new Error(`no model produced findings: ${out.notRun.map((n) => n.message).join('; ')}`);
    return out;
  };

  const encoding: StageHandler<PipelineOutputs, 'encoding'> = async (ctx) => {
    const narratives: NonNullable<EncodeOutput['narratives']> = {};
    const out: EncodeOutput = { objects: [], notes: [], narrativeSource: 'template', narratives };
    const predecessors = await predecessorsFor(cfg.node.dataDir, ctx.studyInstanceUid, ctx.generation);
    for (const m of ctx.outputs.inferring!.models) {
      const headerSop = await referenceSopOf(ctx.workDir, m.artifact);
      if (!headerSop) throw new PermanentStageError('the display series has no source instances', 'missing-sources');
      const header = studyAttributesFrom(readP10(await ctx.store.readInstance(headerSop), { headerOnly: true }).dataset);
      const r = await work.encode({ model: m.model, workDir: ctx.workDir, artifact: m.artifact, header, predecessors, createdAt: ctx.job.createdAt }, ctx.logger, ctx.signal);
      if (r.narrative.fallbackReason) out.notes.push(`narrative: ${r.narrative.fallbackReason}`);
      else if (cfg.pipeline.llm.enabled) out.narrativeSource = 'llm';
      narratives[m.model] = { clinician: r.narrative.clinician, patient: r.narrative.patient, source: r.narrative.source };
      out.objects.push(...r.objects);
      out.notes.push(...r.notes);
    }
    await recordResults(cfg.node.dataDir, ctx.studyInstanceUid, ctx.generation, out.objects);
    return out;
  };

  const delivering: StageHandler<PipelineOutputs, 'delivering'> = async (ctx) => {
    const enc = ctx.outputs.encoding!;
    const outDir = join(ctx.workDir, 'out');
    const destinations = deliveryTargets(cfg, ctx);
    if (!destinations.length) {
      return { destinations: {}, outDir, note: `no destinations configured (delivery.to or the routing rule's destinations are empty); results are in ${outDir}` };
    }
    const objects: OutgoingObject[] = [];
    for (const o of enc.objects) {
      objects.push({ kind: o.kind as OutgoingObject['kind'], sopClassUid: o.sopClassUid, sopInstanceUid: o.sopInstanceUid, studyInstanceUid: o.studyInstanceUid, bytes: await readFile(o.path) });
    }
    const statePath = join(ctx.workDir, 'delivery-state.json');
    let state: DeliveryState | undefined;
    try {
      // A re-run (crash resume or an explicit retry) continues from what was confirmed; dead letters get a new chance.
      state = resetDeadLetters(deliveryStateSchema.parse(JSON.parse(await readFile(statePath, 'utf8'))));
    } catch {
      // None yet; or unreadable: starting over re-sends objects the peer may hold, which stores them once (same UIDs).
      state = initialState(destinations);
    }
    const final = await deliverAll({
      destinations,
      objects,
      state,
      policy: cfg.delivery,
      senders,
      signal: ctx.signal,
      persist: (s) => writeFile(statePath, JSON.stringify(s, null, 2)),
      onAttempt: (r) =>
        r.ok
          ? ctx.logger.info('delivered', { destination: r.destination, objects: r.objects.length, ms: r.durationMs })
          : ctx.logger.warn('delivery attempt failed', { destination: r.destination, error: r.error, retryable: r.retryable }),
    });
    const dead = deadLetters(final);
    if (dead.length) {
      throw new PermanentStageError(`delivery dead-lettered: ${dead.map((d) => `${d.destination} after ${d.attempts} attempt(s): ${d.error}`).join('; ')}`, 'dead-letter');
    }
    return { destinations: final.destinations, outDir };
  };

  return { handlers: { identifying, preprocessing, inferring, encoding, delivering }, outputs: pipelineOutputSchemas };
}

/** The routing rule that admitted the job (docs/routing.md), when it is still configured. */
function jobRule(cfg: Config, job: { routingRule?: string }): RoutingRuleConfig | undefined {
  return job.routingRule ? cfg.routing.rules.find((r) => r.name === job.routingRule) : undefined;
}

/**
 * The job's routing rule's destinations, else delivery.to; plus the DIMSE peer that sent the study when
 * delivery.replyToSender is on and it is configured.
 */
export function deliveryTargets(cfg: Config, ctx: Pick<StageContext, 'store' | 'studyInstanceUid'> & { job?: { routingRule?: string } }): Destination[] {
  const names = new Set(jobRule(cfg, ctx.job ?? {})?.destinations ?? cfg.delivery.to);
  if (cfg.delivery.replyToSender) {
    const senders = new Set(ctx.store.listInstances({ studyInstanceUid: ctx.studyInstanceUid }).map((r) => r.callingAeTitle).filter(Boolean));
    for (const d of cfg.destinations) if (d.type === 'dimse' && senders.has(d.aeTitle)) names.add(d.name);
  }
  return cfg.destinations.filter((d) => names.has(d.name));
}
