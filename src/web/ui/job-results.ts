/**
 * Reads what the result pages show from a job's folder: the persisted stage outputs (identifying ... delivering),
 * the Findings artifacts the inferring stage wrote, the delivery state, and the result files of the encoding
 * stage. This is the UI's disk edge; the page renderers are pure functions of what it returns.
 */
import { promises as fsp } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import type { Findings } from '../../ai/findings';
import type { DeliveryState } from '../../delivery/deliver';
import { deliveryStateSchema } from '../../delivery/delivery-state-schema';
import type { JobMachine } from '../../jobs/machine';
import type { JobRecord } from '../../jobs/types';
import { predecessorsFor } from '../../pipeline/results-registry';
import { DELETED_NOTE_PREFIX } from '../../retention/retention';
import { readFindings, readPipelineOutput, type DeliverOutput, type EncodeOutput, type IdentifyOutput, type InferOutput, type PreprocessOutput } from '../../pipeline/stage-outputs';

export interface ModelResult {
  model: string;
  findings?: Findings;
  /** Why the Findings could not be read (artifact missing or damaged). */
  error?: string;
}

export interface ResultFile {
  model: string;
  kind: string;
  sopClassUid: string;
  sopInstanceUid: string;
  seriesInstanceUid: string;
  bytes?: number;
}

export interface DestinationView {
  name: string;
  /** delivered: every object confirmed; dead-letter: gave up; pending: still trying or not tried yet. */
  status: 'delivered' | 'dead-letter' | 'pending' | 'not-sent';
  attempts: number;
  confirmed: number;
  total: number;
  lastError?: string;
  lastAttemptAt?: string;
}

export interface JobResults {
  job: JobRecord;
  identify?: IdentifyOutput;
  preprocess?: PreprocessOutput;
  infer?: InferOutput;
  encode?: EncodeOutput;
  deliver?: DeliverOutput;
  models: ModelResult[];
  files: ResultFile[];
  delivery: DestinationView[];
  /** When the inferring stage finished (ms), for "analysed on". */
  analysedAt?: number;
  /** SOP Instance UIDs of the earlier SRs this result supersedes (as the encoding stage saw them). */
  supersedes: string[];
  /** Set when the study's images and this job's work folder were deleted (retention or an operator). */
  deleted?: { at: number; note: string };
}


export interface ResultSources {
  jobs: JobMachine;
  cache: FindingsCache;
  /** node.dataDir (the results registry lives there). */
  dataDir: string;
  /** delivery.to: destinations shown even before the first attempt. */
  destinations: string[];
}

const ARTIFACT_NAME = /^[A-Za-z0-9._-]+$/;


/**
 * Findings are large (the display volume, label map and uncertainty map); the pages and the key image of one job
 * are usually requested together, so the last few are kept, keyed by the artifact file's modification time.
 */
export class FindingsCache {
  private readonly entries = new Map<string, { mtimeMs: number; findings: Findings }>();
  constructor(private readonly max = 2) {}

  async get(workDir: string, artifact: string): Promise<Findings> {
    if (!ARTIFACT_NAME.test(artifact)) throw new Error(`artifact name ${JSON.stringify(artifact)} is not a plain file name`);
    const key = join(workDir, artifact);
    const { mtimeMs } = await fsp.stat(join(workDir, `${artifact}.json`));
    const hit = this.entries.get(key);
    if (hit && hit.mtimeMs === mtimeMs) {
      this.entries.delete(key);
      this.entries.set(key, hit); // most recently used last
      return hit.findings;
    }
    const findings = await readFindings(workDir, artifact);
    this.entries.set(key, { mtimeMs, findings });
    while (this.entries.size > this.max) this.entries.delete(this.entries.keys().next().value!);
    return findings;
  }
}

export function workDirOf(jobs: JobMachine, id: number): string {
  return join(jobs.jobDir(id), 'work');
}

function destinationViews(state: DeliveryState | undefined, configured: string[], total: number, deliver?: DeliverOutput): DestinationView[] {
  const dests = state?.destinations ?? deliver?.destinations ?? {};
  const names = [...new Set([...Object.keys(dests), ...configured])];
  return names.map((name) => {
    const s = dests[name];
    if (!s) return { name, status: 'not-sent', attempts: 0, confirmed: 0, total };
    const status = s.deadLetter ? 'dead-letter' : total > 0 && s.confirmed.length >= total ? 'delivered' : 'pending';
    return {
      name,
      status,
      attempts: s.attempts,
      confirmed: s.confirmed.length,
      total,
      ...(s.lastError ? { lastError: s.lastError } : {}),
      ...(s.lastAttemptAt ? { lastAttemptAt: s.lastAttemptAt } : {}),
    };
  });
}

/** Everything the result pages show for one job; undefined when there is no such job. */
export async function loadJobResults(src: ResultSources, id: number): Promise<JobResults | undefined> {
  const { jobs, cache } = src;
  const job = jobs.get(id);
  if (!job) return undefined;
  const workDir = workDirOf(jobs, id);
  const deletedEvent = (await jobs.detail(id))?.events.filter((e) => e.note?.startsWith(DELETED_NOTE_PREFIX)).at(-1);
  const deleted = deletedEvent ? { at: deletedEvent.at, note: deletedEvent.note! } : undefined;
  const [identify, preprocess, infer, encode, deliver] = await Promise.all([
    readPipelineOutput(jobs, id, 'identifying'),
    readPipelineOutput(jobs, id, 'preprocessing'),
    readPipelineOutput(jobs, id, 'inferring'),
    readPipelineOutput(jobs, id, 'encoding'),
    readPipelineOutput(jobs, id, 'delivering'),
  ]);
  const models: ModelResult[] = [];
  for (const m of infer?.output.models ?? []) {
    if (deleted) {
      models.push({ model: m.model, error: `the findings of ${m.model} were deleted from the node on ${new Date(deleted.at).toISOString().slice(0, 10)}; the delivered SEG and SR are in the PACS` });
      continue;
    }
    try {
      models.push({ model: m.model, findings: await cache.get(workDir, m.artifact) });
    } catch (e) {
      models.push({ model: m.model, error: `findings of ${m.model} could not be read: ${(e as Error).message}` });
    }
  }
  const files: ResultFile[] = [];
  for (const o of encode?.output.objects ?? []) {
    const size = await fsp.stat(o.path).then((s) => s.size, () => undefined);
    files.push({ model: o.model, kind: o.kind, sopClassUid: o.sopClassUid, sopInstanceUid: o.sopInstanceUid, seriesInstanceUid: o.seriesInstanceUid, ...(size != null ? { bytes: size } : {}) });
  }
  // The delivery state file is written after every attempt, so it also tells a failed or running delivery.
  const state = await fsp
    .readFile(join(workDir, 'delivery-state.json'), 'utf8')
    .then((t) => deliveryStateSchema.parse(JSON.parse(t)))
    .catch(() => undefined);
  return {
    job,
    ...(identify ? { identify: identify.output } : {}),
    ...(preprocess ? { preprocess: preprocess.output } : {}),
    ...(infer ? { infer: infer.output, analysedAt: infer.finishedAt } : {}),
    ...(encode ? { encode: encode.output } : {}),
    ...(deliver ? { deliver: deliver.output } : {}),
    models,
    files,
    delivery: encode ? destinationViews(state, src.destinations, files.length, deliver?.output) : [],
    ...(deleted ? { deleted } : {}),
    supersedes: (await predecessorsFor(src.dataDir, job.studyInstanceUid, job.generation).catch(() => [])).map((p) => p.sopInstanceUid),
  };
}

/**
 * The result file with this SOP Instance UID, only if the encoding stage wrote it: the UID must be one of the
 * encoding output's objects and its file must lie inside the job's out/ folder. Nothing from the request is ever
 * joined into a path. Pure.
 */
export function findResultFile(encode: EncodeOutput | undefined, outDir: string, sopInstanceUid: string): { path: string; model: string; kind: string } | undefined {
  const o = encode?.objects.find((x) => x.sopInstanceUid === sopInstanceUid);
  if (!o) return undefined;
  const path = resolve(o.path);
  if (!path.startsWith(resolve(outDir) + sep)) return undefined;
  return { path, model: o.model, kind: o.kind };
}

export async function resultFilePath(jobs: JobMachine, id: number, sopInstanceUid: string): Promise<{ path: string; model: string; kind: string } | undefined> {
  const encode = await readPipelineOutput(jobs, id, 'encoding');
  return findResultFile(encode?.output, join(workDirOf(jobs, id), 'out'), sopInstanceUid);
}
