/**
 * Study completeness API (mounted under /api):
 *   GET  /api/studies                 studies the node has received, with their completeness state
 *   GET  /api/studies/{uid}           one study: state, generation, counts, its jobs
 *   POST /api/studies/{uid}/ready     mark the study complete now instead of waiting for the quiet period
 *   DELETE /api/studies/{uid}         delete the study's instances and job work folders now (src/retention);
 *                                     409 while it is receiving or a job is unfinished
 * No patient attributes here: this API is for operators; QIDO-RS is where patient-level search lives.
 */
import { Router, type Response } from 'express';
import { isValidUid } from '../dicom/uids';
import type { JobMachine } from '../jobs/machine';
import type { InstanceStore } from '../store/store';
import type { StudyTracker } from './tracker';
import { StudyDeletionRefused, type Retention } from '../retention/retention';
import { noBody } from '../http/request-body';

function bad(res: Response, status: number, message: string): void {
  res.status(status).json({ error: message, status });
}

export function studiesRouter(deps: { tracker: StudyTracker; store: InstanceStore; jobs?: JobMachine; retention?: Retention }): Router {
  const r = Router();
  const view = (uid: string): Record<string, unknown> | undefined => {
    const a = deps.tracker.get(uid);
    if (!a) return undefined;
    const s = deps.store.getStudy(uid);
    return { ...a, seriesCount: s?.seriesCount ?? 0, instanceCount: s?.instanceCount ?? 0 };
  };

  r.get('/studies', (req, res) => {
    const state = req.query.state as string | undefined;
    if (state && state !== 'receiving' && state !== 'ready') return bad(res, 400, 'state must be receiving or ready');
    res.json({ studies: deps.tracker.list({ state: state as 'receiving' | 'ready' | undefined, limit: 500 }) });
  });

  r.get('/studies/:uid', (req, res) => {
    const uid = req.params.uid;
    if (!isValidUid(uid)) return bad(res, 400, 'not a valid Study Instance UID');
    const v = view(uid);
    if (!v) return bad(res, 404, `study ${uid} has not been received by this node`);
    res.json({ ...v, jobs: deps.jobs?.jobs.forStudy(uid) ?? [] });
  });

  r.post('/studies/:uid/ready', noBody, (req, res) => {
    const uid = req.params.uid as string;
    if (!isValidUid(uid)) return bad(res, 400, 'not a valid Study Instance UID');
    const a = deps.tracker.markReady(uid, 'api');
    if (!a) return bad(res, 404, `study ${uid} has not been received by this node`);
    const job = deps.jobs?.jobs.forStudy(uid, a.generation)[0];
    res.json({ ...view(uid), job });
  });

  r.delete('/studies/:uid', noBody, async (req, res) => {
    const uid = req.params.uid as string;
    if (!isValidUid(uid)) return bad(res, 400, 'not a valid Study Instance UID');
    if (!deps.retention) return bad(res, 501, 'study deletion is not available on this node');
    try {
      res.json({ deleted: await deps.retention.deleteStudy(uid, 'operator') });
    } catch (e) {
      if (e instanceof StudyDeletionRefused) return bad(res, e.status, e.message);
      throw e;
    }
  });
  return r;
}
