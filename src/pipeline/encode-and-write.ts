/**
 * Findings -> result objects on disk: the one "encode, then write" of the job pipeline (stage-work.ts, encoding
 * stage) and the offline command (offline.ts). The narrative (LLM or templates), the encoder options from the
 * configuration, the pre-delivery check, and the files <dir>/<fileName>.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config } from '../config/schema';
import type { Findings } from '../ai/findings';
import type { StudyAttributes } from '../dicom/study-attributes';
import { encodeResults, narrativeFor, templateNarrative, type EncodedResults, type Issue, type Narrative, type ObjectReference } from '../encoders';
import { nodeVersion } from '../version';
import type { ReviewSrInput } from '../encoders/sr/verified-sr';
import { PermanentStageError } from './errors';
import type { EncodedFile } from './stage-outputs';

export interface EncodeAndWriteOptions {
  /** Secondary Capture key images (delivery.secondaryCapture in the pipeline). */
  keyImages: boolean;
  /** Encapsulated PDF report (delivery.encapsulatedPdf in the pipeline). */
  pdf: boolean;
  /** Content date-time of every object (the job's creation time: a re-run writes the same bytes); default now. */
  now?: Date;
  /** Earlier SRs of the study this result supersedes. */
  predecessors?: ObjectReference[];
  /**
   * What a pre-delivery check error does. 'fail' (the pipeline): throw a PermanentStageError before anything is
   * written, so nothing that fails the check can be delivered. 'record' (offline): write the objects anyway, for
   * inspection, and return the errors.
   */
  preflightErrors: 'fail' | 'record';
  /** A radiologist's review: only the review SR is encoded (its own narrative; no LLM, no pre-delivery check). */
  review?: ReviewSrInput;
}

export interface EncodeAndWriteResult {
  /** The written objects, in delivery order; `model` is the findings' model. */
  objects: EncodedFile[];
  encoded: EncodedResults;
  narrative: Narrative;
  /** Pre-delivery check errors (only with preflightErrors 'record'; 'fail' throws instead). */
  errors: Issue[];
}

export async function encodeAndWrite(findings: Findings, header: StudyAttributes, dir: string, model: string, cfg: Config, opts: EncodeAndWriteOptions): Promise<EncodeAndWriteResult> {
  const narrative = opts.review ? templateNarrative(findings) : await narrativeFor(findings, cfg.pipeline.llm, opts.predecessors ? { supersedes: opts.predecessors.map((p) => p.sopInstanceUid) } : {});
  const encoded = await encodeResults(findings, header, {
    node: { name: cfg.node.name, version: nodeVersion() },
    ...(opts.now ? { now: opts.now } : {}),
    ...(opts.predecessors ? { predecessors: opts.predecessors } : {}),
    keyImages: { enabled: opts.keyImages },
    pdf: { enabled: opts.pdf },
    narrative,
    ...(opts.review ? { review: opts.review, kinds: ['review-sr'], preflight: false } : {}),
  });
  const errors = encoded.preflight.filter((i) => i.severity === 'error');
  if (errors.length && opts.preflightErrors === 'fail') {
    throw new PermanentStageError(`outputs failed their pre-delivery check: ${errors.map((i) => `${i.rule}: ${i.message}`).join('; ')}`, 'preflight-failed');
  }
  await mkdir(dir, { recursive: true });
  const objects: EncodedFile[] = [];
  for (const o of encoded.objects) {
    const path = join(dir, o.fileName);
    await writeFile(path, o.bytes);
    objects.push({ model, kind: o.kind, sopClassUid: o.sopClassUid, sopInstanceUid: o.sopInstanceUid, seriesInstanceUid: o.seriesInstanceUid, studyInstanceUid: o.studyInstanceUid, path });
  }
  return { objects, encoded, narrative, errors };
}
