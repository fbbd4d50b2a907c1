/**
 * Routing and completion rules (docs/routing.md): which rule an incoming study matches, and therefore whether it is
 * processed, with which models, to which destinations, at which priority, and which series make it complete. Pure:
 * the facts come from src/routing/facts.ts; every decision carries the reasons an operator reads in `route`.
 */
import type { Priority, RoutingConfig, RoutingRuleConfig } from '../config/sections/routing';
import type { ModelRole } from '../series-id/roles';

/** What the node knows of a study when it decides (from the index and one header per series). */
export interface StudyFacts {
  studyInstanceUid: string;
  callingAeTitles: string[];
  users: string[];
  modalities: string[];
  bodyParts: string[];
  studyDescription: string;
  stationNames: string[];
  /** Undefined when neither PatientAge nor birth and study dates are usable. */
  patientAgeYears?: number;
}

export interface RuleCheck {
  rule: string;
  matched: boolean;
  /** One line per condition: "modality MR: yes", "calling AE MRI2 not in [MRI1]". */
  reasons: string[];
}

export interface RoutingDecision {
  action: 'process' | 'ignore';
  /** The matching rule; undefined when no rules are configured or none matched. */
  rule?: string;
  priority: Priority;
  requireRoles: ModelRole[];
  models?: string[];
  destinations?: string[];
  /** Every rule tried, in order, up to the one that matched. */
  checks: RuleCheck[];
  /** One sentence: why this action. */
  summary: string;
}

const upper = (xs: readonly string[]): string[] => xs.map((x) => x.toUpperCase());
const list = (xs: readonly string[]): string => (xs.length ? xs.join(', ') : 'none');

function anyOf(what: string, have: readonly string[], want: readonly string[] | undefined): string | null | undefined {
  if (!want) return undefined;
  const hit = upper(have).filter((h) => upper(want).includes(h));
  return hit.length ? null : `${what} ${list(have)} not in [${want.join(', ')}]`;
}

/** The conditions of one rule that fail, or [] when it matches; `reasons` gets a line per condition checked. */
export function checkRule(rule: RoutingRuleConfig, f: StudyFacts): RuleCheck {
  const w = rule.when;
  const reasons: string[] = [];
  let matched = true;
  const note = (label: string, failure: string | null | undefined): void => {
    if (failure === undefined) return;
    if (failure === null) reasons.push(`${label}: yes`);
    else {
      matched = false;
      reasons.push(failure);
    }
  };
  note(`calling AE ${list(f.callingAeTitles)}`, anyOf('calling AE', f.callingAeTitles, w.callingAeTitles));
  note(`user ${list(f.users)}`, anyOf('user', f.users, w.users));
  note(`modality ${list(f.modalities)}`, anyOf('modalities', f.modalities, w.modalities));
  note(`body part ${list(f.bodyParts)}`, anyOf('body parts', f.bodyParts, w.bodyParts));
  if (w.studyDescription !== undefined) {
    const ok = new RegExp(w.studyDescription, 'i').test(f.studyDescription);
    note(`study description "${f.studyDescription}" matches /${w.studyDescription}/i`, ok ? null : `study description "${f.studyDescription}" does not match /${w.studyDescription}/i`);
  }
  if (w.stationName !== undefined) {
    const re = new RegExp(w.stationName, 'i');
    const ok = f.stationNames.some((s) => re.test(s));
    note(`station ${list(f.stationNames)} matches /${w.stationName}/i`, ok ? null : `station ${list(f.stationNames)} does not match /${w.stationName}/i`);
  }
  if (w.minAgeYears !== undefined || w.maxAgeYears !== undefined) {
    const range = `[${w.minAgeYears ?? 0}, ${w.maxAgeYears ?? '∞'}] years`;
    const age = f.patientAgeYears;
    const ok = age !== undefined && age >= (w.minAgeYears ?? 0) && age <= (w.maxAgeYears ?? Infinity);
    note(`age ${age ?? 'unknown'} in ${range}`, ok ? null : `age ${age ?? 'unknown'} not in ${range}`);
  }
  if (!reasons.length) reasons.push('no conditions: matches every study');
  return { rule: rule.name, matched, reasons };
}

/** First matching rule wins. With no rules configured every study is processed, as before rules existed. */
export function decideRouting(cfg: RoutingConfig, facts: StudyFacts): RoutingDecision {
  if (!cfg.rules.length) return { action: 'process', priority: 'normal', requireRoles: [], checks: [], summary: 'no routing rules configured: every study is processed' };
  const checks: RuleCheck[] = [];
  for (const rule of cfg.rules) {
    const c = checkRule(rule, facts);
    checks.push(c);
    if (!c.matched) continue;
    return {
      action: rule.action,
      rule: rule.name,
      priority: rule.priority,
      requireRoles: [...rule.requireRoles],
      ...(rule.models ? { models: [...rule.models] } : {}),
      ...(rule.destinations ? { destinations: [...rule.destinations] } : {}),
      checks,
      summary: `rule "${rule.name}" matched: ${rule.action === 'ignore' ? 'the study is kept but not processed' : `processed at ${rule.priority} priority`}`,
    };
  }
  return {
    action: cfg.unmatched,
    priority: 'normal',
    requireRoles: [],
    checks,
    summary: `no rule matched: routing.unmatched is ${cfg.unmatched}${cfg.unmatched === 'ignore' ? ', so the study is kept but not processed' : ''}`,
  };
}

/** The queue order of a priority: lower runs first. */
export function priorityRank(p: Priority): number {
  return { urgent: 0, high: 1, normal: 2, low: 3 }[p];
}
