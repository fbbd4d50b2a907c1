/**
 * The review workflow (docs/review.md): registers every delivered result (job + model) as pending review, records
 * accept / reject decisions from the API and corrections that arrive as SEGs from a viewer (STOW-RS or C-STORE),
 * issues and delivers the review SR, records tissue results, and watches agreement for drift.
 *
 * A SEG that references the display series of one of our SEGs (or our SEG itself) is a correction: the study
 * tracker asks isCorrection() and does not open a new generation for it, so it never starts a job.
 */
import { join } from 'node:path';
import type { Findings } from '../ai/findings';
import type { AuditSink } from '../audit/events';
import type { Config } from '../config/schema';
import { deliverAll, deadLetters, type Sender } from '../delivery/deliver';
import { stowToDestination } from '../delivery/dicomweb-sender';
import { SopClass } from '../dicom/constants';
import { readP10 } from '../dicom/p10';
import { studyAttributesFrom, type StudyAttributes } from '../dicom/study-attributes';
import { dimseSender } from '../dimse-bridge/sender';
import type { Destination } from '../config/sections/destinations';
import { segmentCatalog } from '../encoders/seg/segment-catalog';
import type { ReviewSrInput } from '../encoders/sr/verified-sr';
import type { JobMachine } from '../jobs/machine';
import type { JobRecord } from '../jobs/types';
import type { Logger } from '../log/logger';
import type { NotificationEvent } from '../notify/events';
import type { Db } from '../store/database';
import type { InstanceStore } from '../store/store';
import type { StoredEvent } from '../store/types';
import { analyseCorrection, CorrectionError, segReferences } from './correction';
import { headAgreement, tissueDiagnosis, type TissueResults } from './molecular';
import { driftStatus, monitoring, type DriftStatus, type ModelMonitoring } from './monitoring';
import { REJECT_REASONS, ReviewStore, type MolecularRecord, type RejectReason, type ResultEntry, type ReviewDecision, type ReviewRecord } from './review-store';

/** What the review workflow needs from the job pipeline (src/pipeline/review-sources.ts; injected: a lower layer). */
export interface ReviewPipeline {
  /** A done job's results per model: its findings artifact and the SEG / SR it delivered. */
  jobResults(jobId: number): Promise<Array<{ model: string; artifact: string; seg?: { sopInstanceUid: string }; sr?: { sopInstanceUid: string; seriesInstanceUid: string } }> | undefined>;
  findings(jobId: number, artifact: string): Promise<Findings>;
  /** Where the job's results go (its routing rule's destinations, else delivery.to). */
  destinations(studyInstanceUid: string, job?: JobRecord): Destination[];
  /** Encodes the review SR (the output-kind registry's review-sr kind) and writes it into dir. */
  writeReviewSr(findings: Findings, header: StudyAttributes, dir: string, model: string, review: ReviewSrInput): Promise<{ sopInstanceUid: string; bytes: Buffer }>;
}

export interface ReviewServiceOptions {
  pipeline: ReviewPipeline;
  db: Db;
  store: InstanceStore;
  jobs: JobMachine;
  config: Config;
  logger: Logger;
  /** Drift alerts go out as 'model-drift' notifications (src/notify). */
  notify?: (e: NotificationEvent) => void;
  /** The tamper-evident audit trail (src/audit): review and molecular-entry events. */
  audit?: AuditSink;
  senders?: Partial<Record<Destination['type'], Sender>>;
  now?: () => number;
}

export class ReviewError extends Error {
  constructor(
    message: string,
    public readonly status: 400 | 404 | 409 | 422,
  ) {
    super(message);
    this.name = 'ReviewError';
  }
}

export interface ReviewInput {
  decision: ReviewDecision;
  reasonCode?: RejectReason;
  reasonText?: string;
  /** DICOM PN for the SR (e.g. "Smith^Anna"); default the user name. */
  reviewerName?: string;
  /** decision 'corrected' through the API: a SEG the node already holds. */
  correctedSegInstanceUid?: string;
}

export interface ResultReview {
  result: ResultEntry;
  state: ReviewRecord['decision'] | 'pending';
  history: ReviewRecord[];
  molecular?: MolecularRecord;
}

export class ReviewService {
  readonly reviews: ReviewStore;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly corrections = new Map<string, boolean>();
  private readonly pending = new Set<Promise<unknown>>();
  private readonly alerted = new Set<string>();
  private unsubscribe: Array<() => void> = [];

  constructor(private readonly opts: ReviewServiceOptions) {
    this.reviews = new ReviewStore(opts.db);
    this.log = opts.logger;
    this.now = opts.now ?? Date.now;
  }

  /** Registers done jobs (also those finished before a restart) and listens for corrections. */
  start(): void {
    this.unsubscribe.push(
      this.opts.jobs.onChange((job) => {
        if (job.state === 'done') this.track(this.registerJob(job));
      }),
      this.opts.store.onStored((e) => {
        if (this.isCorrection(e)) this.track(this.onCorrection(e));
      }),
    );
    for (const job of this.opts.jobs.list({ state: 'done' })) if (!this.reviews.hasJob(job.id)) this.track(this.registerJob(job));
    // A drop that was already alerted before a restart is not alerted again.
    for (const m of this.monitoring()) if (m.drift.alert) this.alerted.add(`${m.model}@${m.version}`);
  }

  async close(): Promise<void> {
    for (const u of this.unsubscribe) u();
    await Promise.allSettled([...this.pending]);
  }

  /** Resolves when background work (registration, corrections, SR delivery) started so far is finished (tests). */
  async idle(): Promise<void> {
    while (this.pending.size) await Promise.allSettled([...this.pending]);
  }

  private track<T>(p: Promise<T>): void {
    const q = p.catch((e: unknown) => this.log.error('review work failed', { error: (e as Error).message }));
    this.pending.add(q);
    void q.finally(() => this.pending.delete(q));
  }

  /** Whether a stored instance is a viewer's correction of one of our SEGs (cached: called per instance). */
  isCorrection(e: Pick<StoredEvent, 'sopInstanceUid' | 'sopClassUid'>): boolean {
    if (e.sopClassUid !== SopClass.Segmentation) return false;
    let yes = this.corrections.get(e.sopInstanceUid);
    if (yes === undefined) {
      yes = this.correctedResult(e.sopInstanceUid) !== undefined;
      if (this.corrections.size > 10000) this.corrections.clear();
      this.corrections.set(e.sopInstanceUid, yes);
    }
    return yes;
  }

  /** The newest result a stored SEG corrects, from its header alone. */
  private correctedResult(segUid: string): ResultEntry | undefined {
    const header = this.opts.store.instanceHeaders({ sopInstanceUid: segUid })[0];
    if (!header) return undefined;
    const refs = segReferences(header.dataset);
    const ours = this.reviews.resultsReferencing(refs.seriesUids, refs.sopUids);
    // One of our own SEGs coming back (the node is its own destination) is not a correction.
    if (ours.some((r) => r.segInstanceUid === segUid)) return undefined;
    return ours.find((r) => r.studyInstanceUid === header.studyInstanceUid);
  }

  /** Makes a done job's results reviewable (idempotent). */
  async registerJob(job: JobRecord): Promise<void> {
    for (const m of (await this.opts.pipeline.jobResults(job.id)) ?? []) {
      const { sr, seg } = m;
      if (!sr) continue;
      const f = await this.opts.pipeline.findings(job.id, m.artifact);
      this.reviews.registerResult(
        { jobId: job.id, model: m.model, modelVersion: f.model.version, studyInstanceUid: job.studyInstanceUid, sourceSeriesUid: f.referenceSeries.seriesInstanceUid, ...(seg ? { segInstanceUid: seg.sopInstanceUid } : {}), srInstanceUid: sr.sopInstanceUid, srSeriesUid: sr.seriesInstanceUid },
        this.now(),
      );
    }
  }

  private workDir(jobId: number): string {
    return join(this.opts.jobs.jobDir(jobId), 'work');
  }

  /** The result of a job: the named model, or the only one. */
  result(jobId: number, model?: string): ResultEntry {
    if (!this.opts.jobs.get(jobId)) throw new ReviewError(`no job ${jobId}`, 404);
    const all = this.reviews.resultsOfJob(jobId);
    if (!all.length) throw new ReviewError(`job ${jobId} has no delivered result to review (it is not done)`, 409);
    if (model === undefined) {
      if (all.length > 1) throw new ReviewError(`job ${jobId} has results of ${all.length} models (${all.map((r) => r.model).join(', ')}): name one in "model"`, 400);
      return all[0]!;
    }
    const r = all.find((x) => x.model === model);
    if (!r) throw new ReviewError(`job ${jobId} has no result of model "${model}" (it has ${all.map((x) => x.model).join(', ')})`, 404);
    return r;
  }

  status(jobId: number, model?: string): ResultReview {
    const result = this.result(jobId, model);
    const history = this.reviews.reviews(result.jobId, result.model);
    const molecular = this.reviews.latestMolecular(result.jobId, result.model);
    return { result, state: history.at(-1)?.decision ?? 'pending', history, ...(molecular ? { molecular } : {}) };
  }

  /** All results of a job with their review state (the result page). */
  statusOfJob(jobId: number): ResultReview[] {
    return this.reviews.resultsOfJob(jobId).map((r) => this.status(jobId, r.model));
  }

  /** An accept / reject (or a correction naming a stored SEG) from the API or the result page. */
  async review(jobId: number, model: string | undefined, input: ReviewInput, user: string): Promise<ReviewRecord> {
    const result = this.result(jobId, model);
    if (input.decision === 'rejected' && !input.reasonCode) throw new ReviewError('a rejection needs a reasonCode', 400);
    if (input.decision !== 'rejected' && input.reasonCode) throw new ReviewError(`reasonCode is for rejections only, not "${input.decision}"`, 400);
    if (input.decision === 'corrected') {
      if (!input.correctedSegInstanceUid) throw new ReviewError('decision "corrected" needs correctedSegInstanceUid (a SEG the node holds); or store the corrected SEG to the node', 400);
      const rec = this.opts.store.getInstance(input.correctedSegInstanceUid);
      if (!rec || rec.sopClassUid !== SopClass.Segmentation) throw new ReviewError(`the node holds no SEG ${input.correctedSegInstanceUid}`, 404);
      if (rec.studyInstanceUid !== result.studyInstanceUid) throw new ReviewError(`SEG ${input.correctedSegInstanceUid} belongs to another study`, 422);
      return this.correct(result, input.correctedSegInstanceUid, { user }, input.reviewerName);
    }
    if (input.correctedSegInstanceUid) throw new ReviewError(`correctedSegInstanceUid is for decision "corrected" only`, 400);
    const rec = this.reviews.addReview({
      jobId: result.jobId,
      model: result.model,
      modelVersion: result.modelVersion,
      decision: input.decision,
      reviewer: user,
      organisation: this.organisation(),
      ...(input.reasonCode ? { reasonCode: input.reasonCode } : {}),
      ...(input.reasonText ? { reasonText: input.reasonText } : {}),
      reviewedAt: this.now(),
    });
    this.log.info('result reviewed', { jobId: result.jobId, model: result.model, decision: rec.decision, reasonCode: rec.reasonCode, user });
    return this.afterReview(result, rec, input.reviewerName ?? user, { user });
  }

  private organisation(): string {
    return this.opts.config.review.organisation || this.opts.config.node.name;
  }

  private async onCorrection(e: StoredEvent): Promise<void> {
    const result = this.correctedResult(e.sopInstanceUid);
    if (!result) return;
    const inst = this.opts.store.getInstance(e.sopInstanceUid);
    const actor = { ...(inst?.user ? { user: inst.user } : {}), ...(inst?.callingAeTitle ? { aeTitle: inst.callingAeTitle } : {}), ...(inst?.remoteAddress ? { address: inst.remoteAddress } : {}) };
    try {
      await this.correct(result, e.sopInstanceUid, actor);
    } catch (err) {
      this.log.error('corrected SEG not usable', { sopInstanceUid: e.sopInstanceUid, jobId: result.jobId, model: result.model, error: (err as Error).message });
    }
  }

  private async correct(result: ResultEntry, segUid: string, actor: { user?: string; aeTitle?: string; address?: string }, reviewerName?: string): Promise<ReviewRecord> {
    const findings = await this.findings(result);
    const ds = readP10(await this.opts.store.readInstance(segUid)).dataset;
    let analysis;
    try {
      analysis = analyseCorrection(findings, ds);
    } catch (e) {
      if (e instanceof CorrectionError) throw new ReviewError(e.message, 422);
      throw e;
    }
    // Who corrected: the SEG's content creator when the viewer wrote one, else the sender.
    const creator = typeof ds.ContentCreatorName === 'string' ? ds.ContentCreatorName : (ds.ContentCreatorName as { Alphabetic?: string } | undefined)?.Alphabetic;
    // Accountable identity: the authenticated user, else the sending AE, else the address it came from.
    const who = actor.user ?? (actor.aeTitle ? `AE ${actor.aeTitle}` : actor.address ? `from ${actor.address}` : 'unknown sender');
    const rec = this.reviews.addReview({
      jobId: result.jobId,
      model: result.model,
      modelVersion: result.modelVersion,
      decision: 'corrected',
      reviewer: who,
      organisation: this.organisation(),
      correctedSegUid: segUid,
      agreement: analysis.agreement,
      reviewedAt: this.now(),
    });
    this.log.info('corrected segmentation received', {
      jobId: result.jobId,
      model: result.model,
      correctedSeg: segUid,
      matched: analysis.mapping.map((m) => `${m.segmentNumber}->${m.key} (${m.matchedBy})`),
      ignoredSegments: analysis.ignoredSegments,
      dice: Object.fromEntries(analysis.agreement.map((a) => [a.key, Math.round(a.dice * 1000) / 1000])),
    });
    return this.afterReview(result, rec, reviewerName ?? creator ?? who, actor, { findings, analysis, segUid });
  }

  private async findings(result: ResultEntry): Promise<Findings> {
    const m = (await this.opts.pipeline.jobResults(result.jobId))?.find((x) => x.model === result.model);
    if (!m) throw new ReviewError(`job ${result.jobId} no longer has the findings of model ${result.model} (deleted?)`, 409);
    return this.opts.pipeline.findings(result.jobId, m.artifact);
  }

  private async afterReview(
    result: ResultEntry,
    rec: ReviewRecord,
    reviewerName: string,
    actor: { user?: string; aeTitle?: string; address?: string },
    corrected?: { findings: Findings; analysis: ReturnType<typeof analyseCorrection>; segUid: string },
  ): Promise<ReviewRecord> {
    let srUid: string | undefined;
    if (this.opts.config.review.issueSr) {
      srUid = await this.issueSr(result, rec, reviewerName, corrected);
      this.reviews.setVerifiedSr(rec.id, srUid);
      rec = { ...rec, verifiedSrUid: srUid };
    }
    this.opts.audit?.record({
      type: 'review',
      actor,
      jobId: result.jobId,
      studyInstanceUid: result.studyInstanceUid,
      model: result.model,
      decision: rec.decision,
      ...(rec.reasonCode ? { reasonCode: rec.reasonCode } : {}),
      ...(srUid ? { srInstanceUid: srUid } : {}),
      ...(rec.correctedSegUid ? { correctedSegInstanceUid: rec.correctedSegUid } : {}),
    });
    this.checkDrift(result.model, result.modelVersion);
    return rec;
  }

  /** Encodes the review SR into the job's out folder and delivers it in the background. */
  private async issueSr(result: ResultEntry, rec: ReviewRecord, reviewerName: string, corrected?: { findings: Findings; analysis: ReturnType<typeof analyseCorrection>; segUid: string }): Promise<string> {
    const findings = corrected?.findings ?? (await this.findings(result));
    const headerSop = findings.referenceSeries.sources[0]?.sopInstanceUid;
    if (!headerSop || !this.opts.store.getInstance(headerSop)) throw new ReviewError(`the study's images are no longer on the node: no review SR can be written`, 409);
    const header = studyAttributesFrom(readP10(await this.opts.store.readInstance(headerSop), { headerOnly: true }).dataset);
    const revision = this.reviews.reviews(result.jobId, result.model).findIndex((r) => r.id === rec.id) + 1;
    const aiSr = { studyInstanceUid: result.studyInstanceUid, seriesInstanceUid: result.srSeriesUid, sopClassUid: SopClass.ComprehensiveSR, sopInstanceUid: result.srInstanceUid };
    const segInst = corrected ? this.opts.store.getInstance(corrected.segUid) : undefined;
    const aiSegSpecs = findings.segmentation && result.segInstanceUid ? segmentCatalog(findings, false) : undefined;
    const review: ReviewSrInput = {
      decision: rec.decision,
      reviewerName,
      organisation: rec.organisation,
      reviewedAt: new Date(rec.reviewedAt),
      revision,
      aiSr,
      ...(aiSegSpecs && result.segInstanceUid
        ? {
            aiSeg: {
              sopInstanceUid: result.segInstanceUid,
              segments: aiSegSpecs,
              emptySegments: aiSegSpecs.filter((s) => s.labelValues.every((v) => !findings.regions.some((r) => r.labelValues.length === 1 && r.labelValues[0] === v && r.voxelCount > 0))).map((s) => s.number),
            },
          }
        : {}),
      ...(rec.reasonCode ? { reason: { code: rec.reasonCode, meaning: REJECT_REASONS[rec.reasonCode], ...(rec.reasonText ? { text: rec.reasonText } : {}) } } : {}),
      ...(corrected && segInst
        ? {
            corrected: {
              seg: { studyInstanceUid: segInst.studyInstanceUid, seriesInstanceUid: segInst.seriesInstanceUid, sopClassUid: SopClass.Segmentation, sopInstanceUid: corrected.segUid },
              segments: corrected.analysis.segments,
              emptySegments: corrected.analysis.emptySegments,
              regions: corrected.analysis.regions,
              ...(corrected.analysis.bidimensional ? { bidimensional: corrected.analysis.bidimensional } : {}),
              agreement: corrected.analysis.agreement,
            },
          }
        : {}),
    };
    const sr = await this.opts.pipeline.writeReviewSr(findings, header, join(this.workDir(result.jobId), 'out', result.model), result.model, review);
    this.track(this.deliver(result, sr.sopInstanceUid, sr.bytes));
    return sr.sopInstanceUid;
  }

  private async deliver(result: ResultEntry, sopInstanceUid: string, bytes: Buffer): Promise<void> {
    const cfg = this.opts.config;
    const job = this.opts.jobs.get(result.jobId);
    const destinations = this.opts.pipeline.destinations(result.studyInstanceUid, job);
    if (!destinations.length) return;
    const senders = this.opts.senders ?? {
      dicomweb: (d: Destination, o: Parameters<Sender>[1]) => (d.type === 'dicomweb' ? stowToDestination(d, o) : Promise.reject(new Error('not a DICOMweb destination'))),
      dimse: dimseSender(cfg),
    };
    const state = await deliverAll({
      destinations,
      objects: [{ kind: 'sr', sopClassUid: SopClass.ComprehensiveSR, sopInstanceUid, studyInstanceUid: result.studyInstanceUid, bytes }],
      policy: cfg.delivery,
      senders,
    });
    const dead = deadLetters(state);
    if (dead.length) this.log.error('review SR not delivered', { jobId: result.jobId, sopInstanceUid, failed: dead.map((d) => `${d.destination}: ${d.error}`) });
    else this.log.info('review SR delivered', { jobId: result.jobId, sopInstanceUid, destinations: destinations.map((d) => d.name) });
  }

  /** Tissue results for a result: integrated diagnosis, agreement with the model's heads, recorded. */
  async molecular(jobId: number, model: string | undefined, tissue: TissueResults, user: string): Promise<MolecularRecord> {
    const result = this.result(jobId, model);
    const findings = await this.findings(result);
    const dx = tissueDiagnosis(tissue);
    const rec = this.reviews.addMolecular({
      jobId: result.jobId,
      model: result.model,
      modelVersion: result.modelVersion,
      studyInstanceUid: result.studyInstanceUid,
      enteredBy: user,
      enteredAt: this.now(),
      tissue,
      ...(dx ? { integratedDiagnosis: dx.integrated.label } : {}),
      agreement: headAgreement(findings.heads, tissue),
    });
    this.log.info('tissue results entered', { jobId: result.jobId, model: result.model, fields: Object.keys(tissue), agreeing: rec.agreement.filter((a) => a.agrees).map((a) => a.head), disagreeing: rec.agreement.filter((a) => !a.agrees).map((a) => a.head), user });
    this.opts.audit?.record({ type: 'molecular-entry', actor: { user }, studyInstanceUid: result.studyInstanceUid, fields: Object.keys(tissue) });
    return rec;
  }

  monitoring(): ModelMonitoring[] {
    return monitoring(this.reviews.allResults(), this.reviews.latestReviews(), this.reviews.latestMoleculars(), this.opts.config.review);
  }

  /** Drift check after each review: alerts once when agreement drops below the threshold, again after recovery. */
  private checkDrift(model: string, version: string): DriftStatus | undefined {
    const cfg = this.opts.config.review;
    if (!cfg.drift.enabled) return undefined;
    const s = driftStatus(this.reviews.latestReviews().filter((r) => r.model === model && r.modelVersion === version), cfg);
    const key = `${model}@${version}`;
    if (s.alert && !this.alerted.has(key)) {
      this.alerted.add(key);
      const summary = `model ${key}: agreement over the last ${s.cases} reviewed cases is ${(100 * s.agreement!).toFixed(0)} %, below ${(100 * s.minAgreement).toFixed(0)} %`;
      this.log.error('model drift: agreement with reviewers below threshold', { model, version, cases: s.cases, agreement: s.agreement, minAgreement: s.minAgreement });
      const at = this.now();
      this.opts.notify?.({ kind: 'model-drift', key: `model-drift:${key}:${at}`, at: new Date(at).toISOString(), node: this.opts.config.node.name, summary, reason: 'agreement-below-threshold', message: summary });
    } else if (!s.alert && this.alerted.has(key)) {
      this.alerted.delete(key);
      this.log.info('model agreement back above threshold', { model, version, cases: s.cases, agreement: s.agreement });
    }
    return s;
  }
}
