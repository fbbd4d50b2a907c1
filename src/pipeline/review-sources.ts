/**
 * What the review workflow (src/review, a lower layer) reads from and asks of the job pipeline: a done job's
 * results and findings, where its results go, and the review SR through the one encode-and-write path (the
 * output-kind registry's review-sr kind).
 */
import { join } from 'node:path';
import type { Config } from '../config/schema';
import type { JobMachine } from '../jobs/machine';
import type { ReviewPipeline } from '../review/service';
import type { InstanceStore } from '../store/store';
import { encodeAndWrite } from './encode-and-write';
import { readFindings, readPipelineOutput } from './stage-outputs';
import { deliveryTargets } from './stages';

export function reviewSources(cfg: Config, jobs: JobMachine, store: InstanceStore): ReviewPipeline {
  return {
    async jobResults(jobId) {
      const enc = (await readPipelineOutput(jobs, jobId, 'encoding'))?.output;
      const infer = (await readPipelineOutput(jobs, jobId, 'inferring'))?.output;
      if (!enc || !infer) return undefined;
      return infer.models.map((m) => {
        const sr = enc.objects.find((o) => o.model === m.model && o.kind === 'sr');
        const seg = enc.objects.find((o) => o.model === m.model && o.kind === 'seg');
        return { model: m.model, artifact: m.artifact, ...(sr ? { sr } : {}), ...(seg ? { seg } : {}) };
      });
    },
    findings: (jobId, artifact) => readFindings(join(jobs.jobDir(jobId), 'work'), artifact),
    destinations: (studyInstanceUid, job) => deliveryTargets(cfg, { store, studyInstanceUid, ...(job ? { job } : {}) }),
    async writeReviewSr(findings, header, dir, model, review) {
      const r = await encodeAndWrite(findings, header, dir, model, cfg, { keyImages: cfg.delivery.secondaryCapture, pdf: cfg.delivery.encapsulatedPdf, now: review.reviewedAt, preflightErrors: 'record', review });
      const o = r.encoded.objects[0];
      if (!o) throw new Error('the review SR kind wrote no object');
      return { sopInstanceUid: o.sopInstanceUid, bytes: o.bytes };
    },
  };
}
