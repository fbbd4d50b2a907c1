/**
 * Choosing one series per role when several qualify. Criteria in order; the first that separates two candidates
 * decides, and its explanation goes into both series' reasons:
 *
 *   site override > original over copy (derived, PU:/SC:, _ND, processed) > clearly higher confidence (≥ 0.2) >
 *   3D over 2D > thinner slices > (t1ce) later acquisition > more images > higher confidence > later acquisition >
 *   SeriesInstanceUID (only to be deterministic)
 */
import type { ModelRole } from './roles';
import { compareOrder, type OrderKey } from './study-order';

export interface Candidate {
  seriesInstanceUid: string;
  seriesNumber?: number;
  description: string;
  role: ModelRole;
  confidence: number;
  byOverride: boolean;
  /** Why this is a copy rather than the original acquisition, or undefined for an original. */
  copyWhy?: string;
  is3D: boolean;
  sliceThickness?: number;
  images?: number;
  order: OrderKey;
}

interface Criterion {
  name: string;
  /** < 0 when a is better, > 0 when b is better, 0 when this criterion does not separate them. */
  compare(a: Candidate, b: Candidate): number;
  explain(winner: Candidate, loser: Candidate): string;
}

const fmt = (n: number | undefined): string => (n == null ? '?' : String(Math.round(n * 100) / 100));

export const SELECTION_CRITERIA: readonly Criterion[] = [
  {
    name: 'site override',
    compare: (a, b) => Number(b.byOverride) - Number(a.byOverride),
    explain: () => 'a site override names it',
  },
  {
    name: 'original',
    compare: (a, b) => Number(!!a.copyWhy) - Number(!!b.copyWhy),
    explain: (_w, l) => `original acquisition beats a copy (${l.copyWhy})`,
  },
  {
    name: 'clearly more confident',
    compare: (a, b) => (Math.abs(a.confidence - b.confidence) >= 0.2 ? b.confidence - a.confidence : 0),
    explain: (w, l) => `much stronger evidence (confidence ${fmt(w.confidence)} vs ${fmt(l.confidence)})`,
  },
  {
    name: '3D',
    compare: (a, b) => Number(b.is3D) - Number(a.is3D),
    explain: () => '3D acquisition beats 2D',
  },
  {
    name: 'thinner slices',
    compare: (a, b) => {
      if (a.sliceThickness == null || b.sliceThickness == null) return 0;
      const d = a.sliceThickness - b.sliceThickness;
      return Math.abs(d) > 0.25 ? d : 0;
    },
    explain: (w, l) => `thinner slices (${fmt(w.sliceThickness)} mm vs ${fmt(l.sliceThickness)} mm)`,
  },
  {
    name: 'later post-contrast',
    compare: (a, b) => (a.role === 't1ce' ? -(compareOrder(a.order, b.order) ?? 0) : 0),
    explain: () => 'acquired later after contrast (longer enhancement time)',
  },
  {
    name: 'more images',
    compare: (a, b) => (a.images != null && b.images != null ? b.images - a.images : 0),
    explain: (w, l) => `more images (${w.images} vs ${l.images})`,
  },
  {
    name: 'more confident',
    compare: (a, b) => b.confidence - a.confidence,
    explain: (w, l) => `higher confidence (${fmt(w.confidence)} vs ${fmt(l.confidence)})`,
  },
  {
    name: 'later',
    compare: (a, b) => -(compareOrder(a.order, b.order) ?? 0),
    explain: () => 'acquired later (a repeat is usually the better one)',
  },
  {
    name: 'uid',
    compare: (a, b) => (a.seriesInstanceUid < b.seriesInstanceUid ? -1 : a.seriesInstanceUid > b.seriesInstanceUid ? 1 : 0),
    explain: () => 'otherwise equal (lowest SeriesInstanceUID, to be deterministic)',
  },
];

function decidingCriterion(a: Candidate, b: Candidate): { criterion: Criterion; sign: number } | undefined {
  for (const criterion of SELECTION_CRITERIA) {
    const c = criterion.compare(a, b);
    if (c !== 0) return { criterion, sign: Math.sign(c) };
  }
  return undefined;
}

export interface RoleSelection {
  role: ModelRole;
  winner: Candidate;
  /** Extra reasons per SeriesInstanceUID (winner and losers). */
  reasons: Map<string, string[]>;
}

const name = (c: Candidate): string => `series ${c.seriesNumber ?? '?'} '${c.description}'`;

/** Picks the best candidate of one role and explains the choice against every other candidate. */
export function selectForRole(role: ModelRole, candidates: readonly Candidate[]): RoleSelection | undefined {
  if (!candidates.length) return undefined;
  const sorted = [...candidates].sort((a, b) => decidingCriterion(a, b)?.sign ?? 0);
  const winner = sorted[0]!;
  const reasons = new Map<string, string[]>();
  const add = (uid: string, r: string): void => {
    reasons.set(uid, [...(reasons.get(uid) ?? []), r]);
  };
  add(winner.seriesInstanceUid, sorted.length === 1 ? `selected as ${role}: the only ${role} candidate` : `selected as ${role} among ${sorted.length} candidates`);
  for (const loser of sorted.slice(1)) {
    const d = decidingCriterion(winner, loser);
    const why = d ? d.criterion.explain(winner, loser) : 'equal';
    add(winner.seriesInstanceUid, `preferred over ${name(loser)}: ${why}`);
    add(loser.seriesInstanceUid, `not selected: ${name(winner)} preferred as ${role} (${why})`);
  }
  return { role, winner, reasons };
}
