/**
 * Review state in SQLite: the delivered results a reviewer can review (one per job and model, registered when the
 * job is done), every review decision (append-only; the latest is the result's state, no row = pending) and the
 * tissue results entered for a result. The monitoring (monitoring.ts) is computed from these tables.
 */
import type { Db } from '../store/database';
import { migrate } from '../store/database';
import type { RegionAgreement } from './agreement';
import type { HeadAgreement, TissueResults } from './molecular';

export const REVIEW_STATES = ['accepted', 'rejected', 'corrected'] as const;
export type ReviewDecision = (typeof REVIEW_STATES)[number];
export type ReviewState = 'pending' | ReviewDecision;

/** The short coded list of rejection reasons (docs/review.md). */
export const REJECT_REASONS = {
  'wrong-series': 'Wrong or unsuitable input series',
  'segmentation-wrong': 'Segmentation grossly wrong',
  'no-tumour': 'No tumour present (false positive)',
  'tumour-missed': 'Tumour missed (false negative)',
  'classification-wrong': 'Classification / diagnosis implausible',
  'image-quality': 'Image quality too poor for the model',
  other: 'Other (see free text)',
} as const;
export type RejectReason = keyof typeof REJECT_REASONS;

/** A delivered result: what a correction SEG is matched against. */
export interface ResultEntry {
  jobId: number;
  model: string;
  modelVersion: string;
  studyInstanceUid: string;
  /** The display series our SEG is on. */
  sourceSeriesUid: string;
  segInstanceUid?: string;
  srInstanceUid: string;
  srSeriesUid: string;
  registeredAt: number;
}

export interface ReviewRecord {
  id: number;
  jobId: number;
  model: string;
  modelVersion: string;
  decision: ReviewDecision;
  reviewer: string;
  organisation: string;
  reasonCode?: RejectReason;
  reasonText?: string;
  correctedSegUid?: string;
  agreement?: RegionAgreement[];
  /** The verified SR written for this review, once encoded. */
  verifiedSrUid?: string;
  reviewedAt: number;
}

export interface MolecularRecord {
  id: number;
  jobId: number;
  model: string;
  modelVersion: string;
  studyInstanceUid: string;
  enteredBy: string;
  enteredAt: number;
  tissue: TissueResults;
  integratedDiagnosis?: string;
  agreement: HeadAgreement[];
}

const MIGRATIONS = [
  `CREATE TABLE review_results (
     job_id INTEGER NOT NULL, model TEXT NOT NULL, model_version TEXT NOT NULL, study_uid TEXT NOT NULL,
     source_series_uid TEXT NOT NULL, seg_uid TEXT, sr_uid TEXT NOT NULL, sr_series_uid TEXT NOT NULL, registered_at INTEGER NOT NULL,
     PRIMARY KEY (job_id, model));
   CREATE INDEX review_results_source ON review_results(source_series_uid);
   CREATE INDEX review_results_seg ON review_results(seg_uid);
   CREATE TABLE reviews (
     id INTEGER PRIMARY KEY AUTOINCREMENT, job_id INTEGER NOT NULL, model TEXT NOT NULL, model_version TEXT NOT NULL,
     decision TEXT NOT NULL, reviewer TEXT NOT NULL, organisation TEXT NOT NULL, reason_code TEXT, reason_text TEXT,
     corrected_seg_uid TEXT, agreement_json TEXT, verified_sr_uid TEXT, reviewed_at INTEGER NOT NULL);
   CREATE INDEX reviews_result ON reviews(job_id, model);
   CREATE TABLE molecular_results (
     id INTEGER PRIMARY KEY AUTOINCREMENT, job_id INTEGER NOT NULL, model TEXT NOT NULL, model_version TEXT NOT NULL, study_uid TEXT NOT NULL,
     entered_by TEXT NOT NULL, entered_at INTEGER NOT NULL, tissue_json TEXT NOT NULL, integrated TEXT, agreement_json TEXT NOT NULL);
   CREATE INDEX molecular_result ON molecular_results(job_id, model);`,
];

interface ResultRow {
  job_id: number;
  model: string;
  model_version: string;
  study_uid: string;
  source_series_uid: string;
  seg_uid: string | null;
  sr_uid: string;
  sr_series_uid: string;
  registered_at: number;
}

interface ReviewRow {
  id: number;
  job_id: number;
  model: string;
  model_version: string;
  decision: ReviewDecision;
  reviewer: string;
  organisation: string;
  reason_code: string | null;
  reason_text: string | null;
  corrected_seg_uid: string | null;
  agreement_json: string | null;
  verified_sr_uid: string | null;
  reviewed_at: number;
}

interface MolecularRow {
  id: number;
  job_id: number;
  model: string;
  model_version: string;
  study_uid: string;
  entered_by: string;
  entered_at: number;
  tissue_json: string;
  integrated: string | null;
  agreement_json: string;
}

const toResult = (r: ResultRow): ResultEntry => ({
  jobId: r.job_id,
  model: r.model,
  modelVersion: r.model_version,
  studyInstanceUid: r.study_uid,
  sourceSeriesUid: r.source_series_uid,
  ...(r.seg_uid ? { segInstanceUid: r.seg_uid } : {}),
  srInstanceUid: r.sr_uid,
  srSeriesUid: r.sr_series_uid,
  registeredAt: r.registered_at,
});

const toReview = (r: ReviewRow): ReviewRecord => ({
  id: r.id,
  jobId: r.job_id,
  model: r.model,
  modelVersion: r.model_version,
  decision: r.decision,
  reviewer: r.reviewer,
  organisation: r.organisation,
  ...(r.reason_code ? { reasonCode: r.reason_code as RejectReason } : {}),
  ...(r.reason_text ? { reasonText: r.reason_text } : {}),
  ...(r.corrected_seg_uid ? { correctedSegUid: r.corrected_seg_uid } : {}),
  ...(r.agreement_json ? { agreement: JSON.parse(r.agreement_json) as RegionAgreement[] } : {}),
  ...(r.verified_sr_uid ? { verifiedSrUid: r.verified_sr_uid } : {}),
  reviewedAt: r.reviewed_at,
});

const toMolecular = (r: MolecularRow): MolecularRecord => ({
  id: r.id,
  jobId: r.job_id,
  model: r.model,
  modelVersion: r.model_version,
  studyInstanceUid: r.study_uid,
  enteredBy: r.entered_by,
  enteredAt: r.entered_at,
  tissue: JSON.parse(r.tissue_json) as TissueResults,
  ...(r.integrated ? { integratedDiagnosis: r.integrated } : {}),
  agreement: JSON.parse(r.agreement_json) as HeadAgreement[],
});

export class ReviewStore {
  constructor(private readonly db: Db) {
    migrate(db, 'review', MIGRATIONS);
  }

  registerResult(e: Omit<ResultEntry, 'registeredAt'>, now: number): void {
    this.db
      .prepare(
        `INSERT INTO review_results (job_id, model, model_version, study_uid, source_series_uid, seg_uid, sr_uid, sr_series_uid, registered_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(job_id, model) DO NOTHING`,
      )
      .run(e.jobId, e.model, e.modelVersion, e.studyInstanceUid, e.sourceSeriesUid, e.segInstanceUid ?? null, e.srInstanceUid, e.srSeriesUid, now);
  }

  result(jobId: number, model: string): ResultEntry | undefined {
    const r = this.db.prepare('SELECT * FROM review_results WHERE job_id = ? AND model = ?').get(jobId, model) as ResultRow | undefined;
    return r && toResult(r);
  }

  resultsOfJob(jobId: number): ResultEntry[] {
    return (this.db.prepare('SELECT * FROM review_results WHERE job_id = ? ORDER BY model').all(jobId) as ResultRow[]).map(toResult);
  }

  hasJob(jobId: number): boolean {
    return !!this.db.prepare('SELECT 1 FROM review_results WHERE job_id = ? LIMIT 1').get(jobId);
  }

  /** Our latest results whose SEG is on one of these series, or which are one of these SEGs (newest job first). */
  resultsReferencing(seriesUids: readonly string[], sopUids: readonly string[]): ResultEntry[] {
    if (!seriesUids.length && !sopUids.length) return [];
    const q = (n: number): string => Array.from({ length: n }, () => '?').join(',') || 'NULL';
    const rows = this.db
      .prepare(`SELECT * FROM review_results WHERE seg_uid IS NOT NULL AND (source_series_uid IN (${q(seriesUids.length)}) OR seg_uid IN (${q(sopUids.length)})) ORDER BY job_id DESC`)
      .all(...seriesUids, ...sopUids) as ResultRow[];
    return rows.map(toResult);
  }

  allResults(): ResultEntry[] {
    return (this.db.prepare('SELECT * FROM review_results ORDER BY job_id').all() as ResultRow[]).map(toResult);
  }

  addReview(r: Omit<ReviewRecord, 'id'>): ReviewRecord {
    const info = this.db
      .prepare(
        `INSERT INTO reviews (job_id, model, model_version, decision, reviewer, organisation, reason_code, reason_text, corrected_seg_uid, agreement_json, verified_sr_uid, reviewed_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(r.jobId, r.model, r.modelVersion, r.decision, r.reviewer, r.organisation, r.reasonCode ?? null, r.reasonText ?? null, r.correctedSegUid ?? null, r.agreement ? JSON.stringify(r.agreement) : null, r.verifiedSrUid ?? null, r.reviewedAt);
    return { ...r, id: Number(info.lastInsertRowid) };
  }

  setVerifiedSr(reviewId: number, srUid: string): void {
    this.db.prepare('UPDATE reviews SET verified_sr_uid = ? WHERE id = ?').run(srUid, reviewId);
  }

  /** Every review of a result, oldest first. */
  reviews(jobId: number, model: string): ReviewRecord[] {
    return (this.db.prepare('SELECT * FROM reviews WHERE job_id = ? AND model = ? ORDER BY id').all(jobId, model) as ReviewRow[]).map(toReview);
  }

  latestReview(jobId: number, model: string): ReviewRecord | undefined {
    const r = this.db.prepare('SELECT * FROM reviews WHERE job_id = ? AND model = ? ORDER BY id DESC LIMIT 1').get(jobId, model) as ReviewRow | undefined;
    return r && toReview(r);
  }

  /** The latest review of every reviewed result, oldest first. */
  latestReviews(): ReviewRecord[] {
    return (
      this.db.prepare('SELECT * FROM reviews WHERE id IN (SELECT MAX(id) FROM reviews GROUP BY job_id, model) ORDER BY reviewed_at, id').all() as ReviewRow[]
    ).map(toReview);
  }

  addMolecular(m: Omit<MolecularRecord, 'id'>): MolecularRecord {
    const info = this.db
      .prepare(
        `INSERT INTO molecular_results (job_id, model, model_version, study_uid, entered_by, entered_at, tissue_json, integrated, agreement_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(m.jobId, m.model, m.modelVersion, m.studyInstanceUid, m.enteredBy, m.enteredAt, JSON.stringify(m.tissue), m.integratedDiagnosis ?? null, JSON.stringify(m.agreement));
    return { ...m, id: Number(info.lastInsertRowid) };
  }

  latestMolecular(jobId: number, model: string): MolecularRecord | undefined {
    const r = this.db.prepare('SELECT * FROM molecular_results WHERE job_id = ? AND model = ? ORDER BY id DESC LIMIT 1').get(jobId, model) as MolecularRow | undefined;
    return r && toMolecular(r);
  }

  /** The latest tissue entry of every result, oldest first. */
  latestMoleculars(): MolecularRecord[] {
    return (
      this.db.prepare('SELECT * FROM molecular_results WHERE id IN (SELECT MAX(id) FROM molecular_results GROUP BY job_id, model) ORDER BY entered_at, id').all() as MolecularRow[]
    ).map(toMolecular);
  }
}
