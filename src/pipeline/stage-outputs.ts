/**
 * What each pipeline stage hands to the next, as schemas: the stage outputs the job machine persists
 * (<job>/<stage>.json) and the artifacts in the job's work folder (prep-<model>, findings-<model>). Everything read
 * back from disk is parsed with these, so a damaged file, or one written by another version of the node, fails
 * the job with the file and the field that is wrong, and a job can be resumed safely by another process.
 *
 * Loose objects: fields a schema does not name pass through unchanged (a newer writer may add some).
 */
import { join } from 'node:path';
import { z } from 'zod';
import { findingsSchema, inputSeriesSchema } from '../ai/findings-schema';
import type { Findings } from '../ai/findings';
import type { DeliveryState } from '../delivery/deliver';
import { destinationStateSchema } from '../delivery/delivery-state-schema';
import { seriesVolumeSchema, vec3Schema, volumeWarningSchema } from '../imaging/volume-schema';
import type { ModelGridCase } from '../imaging/to-model-grid';
import type { JobMachine, StoredOutput } from '../jobs/machine';
import { parseStored } from '../jobs/stored-data';
import { isPassThrough, type Stage, type StageOutputSchemas } from '../jobs/types';
import { registrationReportSchema } from '../registration/report';
import { MODEL_ROLES, type ModelRole, type SeriesRole } from '../series-id/roles';
import type { PullReport } from './pull-missing';
import { readArtifact } from './artifacts';
import type { PreparedCase } from './prepare';

const role = z.enum(MODEL_ROLES);
/** A routed model that cannot run on this study, with the reason. */
export interface NotRun {
  model: string;
  reason: string;
  message: string;
}
const notRun: z.ZodType<NotRun> = z.looseObject({ model: z.string(), reason: z.string(), message: z.string() });

export interface IdentifyOutput {
  selected: Partial<Record<ModelRole, string>>;
  missing: ModelRole[];
  series: Array<{ seriesInstanceUid: string; seriesNumber?: number; seriesDescription?: string; role: SeriesRole; confidence: number; selected: boolean; reasons: string[] }>;
  routed: string[];
  skipped: string[];
  unreadable: string[];
  /** Series pulled from the PACS because a role was missing (dimse.pullMissingFrom). */
  pull?: PullReport;
}

export const identifyOutputSchema: z.ZodType<IdentifyOutput> = z.looseObject({
  selected: z.partialRecord(role, z.string()),
  missing: z.array(role),
  series: z.array(
    z.looseObject({
      seriesInstanceUid: z.string(),
      seriesNumber: z.number().optional(),
      seriesDescription: z.string().optional(),
      role: z.enum([...MODEL_ROLES, 'other']),
      confidence: z.number(),
      selected: z.boolean(),
      reasons: z.array(z.string()),
    }),
  ),
  routed: z.array(z.string()),
  skipped: z.array(z.string()),
  unreadable: z.array(z.string()),
  pull: z
    .looseObject({
      from: z.string(),
      pulled: z.array(z.looseObject({ seriesInstanceUid: z.string(), seriesDescription: z.string(), completed: z.number(), failed: z.number(), status: z.number() })),
      error: z.string().optional(),
    })
    .optional(),
});

export interface PreprocessOutput {
  models: Array<{ model: string; referenceRole: string; present: string[]; artifact: string; warnings: string[] }>;
  /** Models that were routed but cannot run on this study, with the reason. */
  notRun: NotRun[];
}

export const preprocessOutputSchema: z.ZodType<PreprocessOutput> = z.looseObject({
  models: z.array(z.looseObject({ model: z.string(), referenceRole: z.string(), present: z.array(z.string()), artifact: z.string(), warnings: z.array(z.string()) })),
  notRun: z.array(notRun),
});

export interface InferOutput {
  models: Array<{ model: string; artifact: string; summary: Record<string, unknown> }>;
  notRun: NotRun[];
}

export const inferOutputSchema: z.ZodType<InferOutput> = z.looseObject({
  models: z.array(z.looseObject({ model: z.string(), artifact: z.string(), summary: z.record(z.string(), z.unknown()) })),
  notRun: z.array(notRun),
});

/** One result file the encoding stage wrote; `kind` is an output kind (src/encoders/output-kinds.ts). */
export interface EncodedFile {
  model: string;
  kind: string;
  sopClassUid: string;
  sopInstanceUid: string;
  seriesInstanceUid: string;
  studyInstanceUid: string;
  path: string;
}

export const encodedFileSchema: z.ZodType<EncodedFile> = z.looseObject({
  model: z.string(),
  kind: z.string(),
  sopClassUid: z.string(),
  sopInstanceUid: z.string(),
  seriesInstanceUid: z.string(),
  studyInstanceUid: z.string(),
  path: z.string(),
});

export interface EncodeOutput {
  objects: EncodedFile[];
  notes: string[];
  narrativeSource: string;
  /** The narrative actually written into each model's SR/PDF (clinician and plain-language patient versions). */
  narratives?: Record<string, { clinician: string; patient: string; source: string }>;
}

export const encodeOutputSchema: z.ZodType<EncodeOutput> = z.looseObject({
  objects: z.array(encodedFileSchema),
  notes: z.array(z.string()),
  narrativeSource: z.string(),
  narratives: z.record(z.string(), z.looseObject({ clinician: z.string(), patient: z.string(), source: z.string() })).optional(),
});

export interface DeliverOutput {
  destinations: DeliveryState['destinations'];
  /** Where the result files are, whatever happened to delivery. */
  outDir: string;
  note?: string;
}

export const deliverOutputSchema: z.ZodType<DeliverOutput> = z.looseObject({
  destinations: z.record(z.string(), destinationStateSchema),
  outDir: z.string(),
  note: z.string().optional(),
});

/** The pipeline's stage outputs: the job machine's output map (src/jobs) for the real stages. */
export interface PipelineOutputs {
  identifying: IdentifyOutput;
  preprocessing: PreprocessOutput;
  inferring: InferOutput;
  encoding: EncodeOutput;
  delivering: DeliverOutput;
}

export const pipelineOutputSchemas: StageOutputSchemas<PipelineOutputs> = {
  identifying: identifyOutputSchema,
  preprocessing: preprocessOutputSchema,
  inferring: inferOutputSchema,
  encoding: encodeOutputSchema,
  delivering: deliverOutputSchema,
};

const channelStats = z.looseObject({ mean: z.number(), std: z.number(), clip: z.tuple([z.number(), z.number()]).optional(), coverage: z.number() });
const modelGridCaseSchema: z.ZodType<ModelGridCase> = z.looseObject({
  dims: vec3Schema,
  spacing: vec3Schema,
  affine: z.instanceof(Float64Array),
  channels: z.partialRecord(role, z.instanceof(Float32Array)),
  headMask: z.instanceof(Uint8Array),
  coverage: z.partialRecord(role, z.instanceof(Uint8Array)),
  stats: z.partialRecord(role, channelStats),
  referenceRole: role,
  referenceSeriesInstanceUid: z.string(),
  frameOfReferenceUid: z.string().optional(),
  warnings: z.array(volumeWarningSchema),
});

export const preparedCaseSchema: z.ZodType<PreparedCase> = z.looseObject({
  model: z.string(),
  referenceRole: role,
  grid: modelGridCaseSchema,
  inputs: z.array(inputSeriesSchema),
  referenceSeries: seriesVolumeSchema,
  referenceSourcePositions: z.array(vec3Schema).optional(),
  registration: registrationReportSchema.optional(),
  clinical: z.looseObject({ age: z.looseObject({ years: z.number(), source: z.enum(['PatientAge', 'PatientBirthDate+StudyDate']) }).optional() }).optional(),
  warnings: z.array(z.string()),
});

/** The prepared case the preprocessing stage wrote (prep-<model>), checked. */
export function readPreparedCase(workDir: string, artifact: string): Promise<PreparedCase> {
  return readArtifact(workDir, artifact, preparedCaseSchema);
}

/** The Findings the inferring stage wrote (findings-<model>), checked. */
export function readFindings(workDir: string, artifact: string): Promise<Findings> {
  return readArtifact(workDir, artifact, findingsSchema);
}

/**
 * A pipeline stage's persisted output, checked against its schema whichever stages the machine was started with
 * (the result pages and the demo read them); undefined when the stage has not run.
 */
export async function readPipelineOutput<S extends Stage>(jobs: Pick<JobMachine, 'readOutput' | 'jobDir'>, id: number, stage: S): Promise<StoredOutput<PipelineOutputs[S]> | undefined> {
  const o = await jobs.readOutput(id, stage);
  // A node started without the pipeline's stages passes them through: no pipeline output.
  if (!o || isPassThrough(o.output)) return undefined;
  const file = join(jobs.jobDir(id), `${stage}.json`);
  return { ...o, output: parseStored(pipelineOutputSchemas[stage], o.output, file, 'bad-stage-output', 'output') };
}
