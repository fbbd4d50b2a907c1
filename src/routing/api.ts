/**
 * Routing dry run (mounted under /api, read scope):
 *   GET /api/studies/{uid}/routing   which rule the stored study matches and why, what would happen to it, and
 *                                    whether its required series are present (the completion trigger)
 * The admission hook the job machine calls when a study is ready is here too, so both say the same thing.
 */
import { Router } from 'express';
import type { Config } from '../config/schema';
import { isValidUid } from '../dicom/uids';
import type { Admission } from '../jobs/types';
import type { InstanceStore } from '../store/store';
import { checkRequiredSeries } from './completion';
import { studyFacts } from './facts';
import { decideRouting, priorityRank } from './rules';

export function admission(config: Config, store: InstanceStore, studyInstanceUid: string): Admission {
  const d = decideRouting(config.routing, studyFacts(store, studyInstanceUid));
  return { action: d.action, priority: priorityRank(d.priority), ...(d.rule ? { rule: d.rule } : {}), note: d.summary };
}

export function routingRouter(deps: { config: Config; store: InstanceStore }): Router {
  const r = Router();
  r.get('/studies/:uid/routing', async (req, res) => {
    const uid = req.params.uid;
    if (!isValidUid(uid)) return void res.status(400).json({ error: 'not a valid Study Instance UID', status: 400 });
    if (!deps.store.getStudy(uid)) return void res.status(404).json({ error: `study ${uid} is not on this node`, status: 404 });
    const facts = studyFacts(deps.store, uid);
    const decision = decideRouting(deps.config.routing, facts);
    const completion = await checkRequiredSeries(deps.store, deps.config, uid, Date.now());
    // Age to the year: enough to explain an age condition, no more than that leaves the node.
    const { patientAgeYears, ...rest } = facts;
    res.json({
      studyInstanceUid: uid,
      facts: { ...rest, ...(patientAgeYears !== undefined ? { patientAgeYears: Math.floor(patientAgeYears) } : {}) },
      decision,
      completion,
    });
  });
  return r;
}
