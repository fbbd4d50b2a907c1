/**
 * Real-world performance per model and version, from the review tables (pure): acceptance and correction rates,
 * the AI-vs-corrected Dice distribution, each classification head's agreement with tissue results (accuracy, and a
 * calibration curve once enough cases), and the drift check: the share of the last N reviewed cases that agreed.
 */
import type { RegionAgreement } from './agreement';
import type { MolecularRecord, ResultEntry, ReviewRecord } from './review-store';

export interface CalibrationBin {
  /** Confidence range [from, to). */
  from: number;
  to: number;
  cases: number;
  meanConfidence: number;
  accuracy: number;
}

export interface HeadMonitoring {
  head: string;
  cases: number;
  agreeing: number;
  indeterminate: number;
  accuracy: number | null;
  /** Absent until the head has review.calibrationMinCases tissue results. */
  calibration?: CalibrationBin[];
}

export interface ModelMonitoring {
  model: string;
  version: string;
  delivered: number;
  pending: number;
  accepted: number;
  rejected: number;
  corrected: number;
  /** Shares of the reviewed results (null before the first review). */
  acceptanceRate: number | null;
  correctionRate: number | null;
  rejectionRate: number | null;
  /** Whole-tumour (else the first region's) Dice of every corrected result, oldest first. */
  dice: number[];
  /** Counts of `dice` in ten bins of 0.1 (the last bin includes 1). */
  diceHistogram: number[];
  heads: HeadMonitoring[];
  drift: DriftStatus;
}

export interface DriftStatus {
  window: number;
  /** Reviewed cases looked at (at most window). */
  cases: number;
  /** Share of them that agreed with the AI; null before the first review. */
  agreement: number | null;
  minAgreement: number;
  /** True when the window is full and agreement is below minAgreement. */
  alert: boolean;
}

export interface MonitoringSettings {
  agreementMinDice: number;
  calibrationMinCases: number;
  drift: { window: number; minAgreement: number };
}

/** The Dice that stands for a corrected case: whole tumour, else GTV, else the first region. */
export function caseDice(agreement: readonly RegionAgreement[] | undefined): number | undefined {
  if (!agreement?.length) return undefined;
  return (agreement.find((a) => a.key === 'WT') ?? agreement.find((a) => a.key === 'GTV') ?? agreement[0]!).dice;
}

/** Whether a reviewed case agreed with the AI: accepted, or corrected only a little (Dice >= minDice). */
export function caseAgreed(r: ReviewRecord, minDice: number): boolean {
  if (r.decision === 'accepted') return true;
  if (r.decision === 'rejected') return false;
  return (caseDice(r.agreement) ?? 0) >= minDice;
}

export function driftStatus(latestReviews: readonly ReviewRecord[], s: MonitoringSettings): DriftStatus {
  const recent = latestReviews.slice(-s.drift.window);
  const agreed = recent.filter((r) => caseAgreed(r, s.agreementMinDice)).length;
  const agreement = recent.length ? agreed / recent.length : null;
  return {
    window: s.drift.window,
    cases: recent.length,
    agreement,
    minAgreement: s.drift.minAgreement,
    alert: recent.length >= s.drift.window && agreement !== null && agreement < s.drift.minAgreement,
  };
}

export function histogram(values: readonly number[], bins = 10): number[] {
  const out = new Array<number>(bins).fill(0);
  for (const v of values) out[Math.min(bins - 1, Math.max(0, Math.floor(v * bins)))]!++;
  return out;
}

export function calibration(points: ReadonlyArray<{ confidence: number; agrees: boolean }>, bins = 5): CalibrationBin[] {
  const out: CalibrationBin[] = [];
  for (let b = 0; b < bins; b++) {
    const from = b / bins;
    const to = (b + 1) / bins;
    const inBin = points.filter((p) => p.confidence >= from && (p.confidence < to || (b === bins - 1 && p.confidence <= 1)));
    if (!inBin.length) continue;
    out.push({
      from,
      to,
      cases: inBin.length,
      meanConfidence: inBin.reduce((a, p) => a + p.confidence, 0) / inBin.length,
      accuracy: inBin.filter((p) => p.agrees).length / inBin.length,
    });
  }
  return out;
}

function headsOf(molecular: readonly MolecularRecord[], minCases: number): HeadMonitoring[] {
  const byHead = new Map<string, Array<{ confidence: number; agrees: boolean; indeterminate: boolean }>>();
  for (const m of molecular) for (const a of m.agreement) (byHead.get(a.head) ?? byHead.set(a.head, []).get(a.head)!).push(a);
  return [...byHead].sort(([a], [b]) => a.localeCompare(b)).map(([head, pts]) => {
    const agreeing = pts.filter((p) => p.agrees).length;
    return {
      head,
      cases: pts.length,
      agreeing,
      indeterminate: pts.filter((p) => p.indeterminate).length,
      accuracy: pts.length ? agreeing / pts.length : null,
      ...(pts.length >= minCases ? { calibration: calibration(pts.filter((p) => !p.indeterminate)) } : {}),
    };
  });
}

/** Monitoring of every model version that has delivered results, in model then version order. */
export function monitoring(results: readonly ResultEntry[], latestReviews: readonly ReviewRecord[], molecular: readonly MolecularRecord[], s: MonitoringSettings): ModelMonitoring[] {
  const keyOf = (model: string, version: string): string => `${model}\u0000${version}`;
  const keys = [...new Set(results.map((r) => keyOf(r.model, r.modelVersion)))].sort();
  return keys.map((k) => {
    const [model, version] = k.split('\u0000') as [string, string];
    const reviews = latestReviews.filter((r) => r.model === model && r.modelVersion === version);
    const delivered = results.filter((r) => r.model === model && r.modelVersion === version).length;
    const count = (d: ReviewRecord['decision']): number => reviews.filter((r) => r.decision === d).length;
    const rate = (n: number): number | null => (reviews.length ? n / reviews.length : null);
    const dice = reviews.filter((r) => r.decision === 'corrected').map((r) => caseDice(r.agreement)).filter((d): d is number => d !== undefined);
    return {
      model,
      version,
      delivered,
      pending: Math.max(0, delivered - reviews.length),
      accepted: count('accepted'),
      rejected: count('rejected'),
      corrected: count('corrected'),
      acceptanceRate: rate(count('accepted')),
      correctionRate: rate(count('corrected')),
      rejectionRate: rate(count('rejected')),
      dice,
      diceHistogram: histogram(dice),
      heads: headsOf(molecular.filter((m) => m.model === model && m.modelVersion === version), s.calibrationMinCases),
      drift: driftStatus(reviews, s),
    };
  });
}

const csvCell = (v: unknown): string => {
  const t = v === null || v === undefined ? '' : typeof v === 'number' ? String(Math.round(v * 10000) / 10000) : String(v);
  return /[",\n]/.test(t) ? `"${t.replace(/"/g, '""')}"` : t;
};

/** One row per model version and head (a model without tissue results gets one row with empty head columns). */
export function monitoringCsv(rows: readonly ModelMonitoring[]): string {
  const header = ['model', 'version', 'delivered', 'pending', 'accepted', 'rejected', 'corrected', 'acceptance_rate', 'correction_rate', 'dice_cases', 'dice_median', 'recent_agreement', 'drift_alert', 'head', 'head_cases', 'head_accuracy'];
  const lines = [header.join(',')];
  for (const m of rows) {
    const sorted = [...m.dice].sort((a, b) => a - b);
    const median = sorted.length ? (sorted[(sorted.length - 1) >> 1]! + sorted[sorted.length >> 1]!) / 2 : null;
    const base = [m.model, m.version, m.delivered, m.pending, m.accepted, m.rejected, m.corrected, m.acceptanceRate, m.correctionRate, m.dice.length, median, m.drift.agreement, m.drift.alert ? 1 : 0];
    const heads = m.heads.length ? m.heads : [undefined];
    for (const h of heads) lines.push([...base, h?.head, h?.cases, h?.accuracy].map(csvCell).join(','));
  }
  return lines.join('\n') + '\n';
}
