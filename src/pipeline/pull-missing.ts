/**
 * When a study arrives without one of the four sequences (often: the modality routed only some series to the
 * node), ask the PACS what it holds for the study (C-FIND, series level) and pull the MR series the node lacks
 * (C-MOVE to our own SCP). The pulled instances arrive as a new generation of the study, which supersedes the
 * current job; if the PACS has nothing we lack, processing goes on with what there is. Never loops: a series
 * already in the store is never asked for again.
 */
import type { Config } from '../config/schema';
import { findSeries, moveSeries } from '../dimse-bridge/scu';
import { resolveDimsePeer, scuTimeouts } from '../dimse-bridge/service';
import type { Logger } from '../log/logger';
import type { InstanceStore } from '../store/store';

export interface PullReport {
  from: string;
  /** Series the PACS had and the node lacked, with the C-MOVE outcome. */
  pulled: Array<{ seriesInstanceUid: string; seriesDescription: string; completed: number; failed: number; status: number }>;
  error?: string;
}

export async function pullMissingSeries(cfg: Config, store: InstanceStore, studyInstanceUid: string, log: Logger): Promise<PullReport | undefined> {
  const from = cfg.dimse.pullMissingFrom;
  if (!from) return undefined;
  const report: PullReport = { from, pulled: [] };
  try {
    const peer = resolveDimsePeer(cfg, from);
    const t = scuTimeouts(cfg);
    const remote = await findSeries(peer, studyInstanceUid, t);
    const absent = remote.filter((s) => s.modality === 'MR' && !store.getSeries(s.seriesInstanceUid));
    for (const s of absent) {
      const r = await moveSeries(peer, studyInstanceUid, s.seriesInstanceUid, cfg.dimse.aeTitle, t);
      report.pulled.push({ seriesInstanceUid: s.seriesInstanceUid, seriesDescription: s.seriesDescription, completed: r.completed, failed: r.failed, status: r.status });
      log.info('pulled a series the study lacked from the PACS', { from, seriesInstanceUid: s.seriesInstanceUid, completed: r.completed, failed: r.failed });
    }
  } catch (e) {
    // Pulling is a convenience: if the PACS is unreachable, process what arrived and say so.
    report.error = (e as Error).message;
    log.warn('could not pull missing series from the PACS', { from, error: report.error });
  }
  return report;
}
