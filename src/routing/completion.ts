/**
 * The "required series present" completion trigger (routing rule requireRoles, docs/routing.md). While a study is
 * receiving, the study is looked at again at most every routing.seriesQuietSeconds: when its matching rule requires
 * roles, and series identification finds each of them in a series that has had no new instance for that long, the
 * study is ready at once instead of after the whole quiet period. The quiet period stays the fallback.
 */
import type { Config } from '../config/schema';
import type { Logger } from '../log/logger';
import { classifyStudy } from '../series-id/classify';
import { seriesDescriptorsFromFiles } from '../series-id/descriptor-from-files';
import type { ModelRole } from '../series-id/roles';
import type { InstanceStore } from '../store/store';
import type { StudyTracker } from '../study/tracker';
import { studyFacts } from './facts';
import { decideRouting } from './rules';

export interface CompletionCheck {
  /** Roles the matching rule requires ([] = no trigger for this study). */
  required: ModelRole[];
  /** Required roles identified in a series that is quiet. */
  present: ModelRole[];
  /** Required roles identified in a series that received an instance within seriesQuietSeconds. */
  arriving: ModelRole[];
  complete: boolean;
}

/** Identifies the study's series as stored now and says whether the required ones are there and quiet. */
export async function checkRequiredSeries(store: InstanceStore, config: Config, studyInstanceUid: string, now: number): Promise<CompletionCheck> {
  const decision = decideRouting(config.routing, studyFacts(store, studyInstanceUid));
  const required = decision.action === 'process' ? decision.requireRoles : [];
  if (!required.length) return { required, present: [], arriving: [], complete: false };
  const paths = store.listInstances({ studyInstanceUid }).map((i) => i.path);
  const { descriptors } = await seriesDescriptorsFromFiles(paths);
  const c = classifyStudy(descriptors, { overrides: config.seriesId.overrides, minConfidence: config.seriesId.minConfidence, minImages: config.seriesId.minImages });
  const quietBefore = now - config.routing.seriesQuietSeconds * 1000;
  const present: ModelRole[] = [];
  const arriving: ModelRole[] = [];
  for (const role of required) {
    const uid = c.selected[role];
    const series = uid ? store.getSeries(uid) : undefined;
    if (series) (series.lastReceivedAt <= quietBefore ? present : arriving).push(role);
  }
  return { required, present, arriving, complete: present.length === required.length };
}

export class CompletionWatcher {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private unsubscribe?: () => void;
  private closed = false;

  constructor(
    private readonly opts: { store: InstanceStore; tracker: StudyTracker; config: Config; logger: Logger; now?: () => number },
  ) {}

  /** Watches arrivals; does nothing when no rule has requireRoles. */
  start(): void {
    if (!this.opts.config.routing.rules.some((r) => r.requireRoles.length)) return;
    this.unsubscribe = this.opts.store.onStored((e) => this.schedule(e.studyInstanceUid));
    for (const s of this.opts.tracker.list({ state: 'receiving' })) this.schedule(s.studyInstanceUid);
  }

  close(): void {
    this.closed = true;
    this.unsubscribe?.();
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }

  private schedule(studyUid: string): void {
    if (this.closed || this.timers.has(studyUid)) return;
    // Just past the series quiet time, so a series that stopped with this arrival counts as complete at the check.
    const t = setTimeout(() => void this.check(studyUid), this.opts.config.routing.seriesQuietSeconds * 1000 + 50);
    t.unref();
    this.timers.set(studyUid, t);
  }

  private async check(studyUid: string): Promise<void> {
    this.timers.delete(studyUid);
    if (this.closed || this.opts.tracker.get(studyUid)?.state !== 'receiving') return;
    const now = (this.opts.now ?? Date.now)();
    try {
      const c = await checkRequiredSeries(this.opts.store, this.opts.config, studyUid, now);
      if (this.closed) return;
      if (c.complete) {
        this.opts.logger.info('required series present: study complete', { studyInstanceUid: studyUid, roles: c.required });
        this.opts.tracker.markReady(studyUid, 'required-series');
      } else if (c.arriving.length) {
        // A required series is here but still arriving: look again once it has been quiet. A missing one is looked
        // for again when the next instance arrives; the quiet period ends the study otherwise.
        this.schedule(studyUid);
      }
    } catch (e) {
      this.opts.logger.warn('required-series check failed; the quiet period decides', { studyInstanceUid: studyUid, error: (e as Error).message });
    }
  }
}
