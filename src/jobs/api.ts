/**
 * Job HTTP API (mounted under /api by src/web/app.ts):
 *   GET  /api/jobs?state=&study=&limit=&offset=   list, newest first
 *   GET  /api/jobs/{id}                           one job + stage runs + state history + available outputs
 *   GET  /api/jobs/{id}/outputs/{stage}           a stage's persisted output
 *   POST /api/jobs/{id}/retry   {"fromStage"?}    run a failed (or done) job again
 */
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { validBody } from '../http/request-body';
import { isValidUid } from '../dicom/uids';
import { JobConflictError, JobNotFoundError, type JobMachine } from './machine';
import { StoredDataError } from './stored-data';
import { isStage, STAGES, type JobState } from './types';

const STATES: JobState[] = ['received', 'ready', ...STAGES, 'done', 'failed', 'superseded'];

function bad(res: Response, status: number, message: string): void {
  res.status(status).json({ error: message, status });
}

function jobId(req: Request, res: Response): number | undefined {
  const id = Number(req.params.id);
  if (!Number.isInteger(id) || id <= 0) {
    bad(res, 400, `job id must be a positive integer, not ${JSON.stringify(req.params.id)}`);
    return undefined;
  }
  return id;
}

const retryBody = z.object({ fromStage: z.enum(STAGES).optional() }).strict();

export function jobsRouter(machine: JobMachine): Router {
  const r = Router();

  r.get('/jobs', (req, res) => {
    const state = req.query.state as string | undefined;
    if (state && !STATES.includes(state as JobState)) return bad(res, 400, `unknown state ${JSON.stringify(state)} (one of ${STATES.join(', ')})`);
    const study = req.query.study as string | undefined;
    if (study && !isValidUid(study)) return bad(res, 400, 'study must be a Study Instance UID');
    const limit = req.query.limit === undefined ? 100 : Number(req.query.limit);
    const offset = req.query.offset === undefined ? 0 : Number(req.query.offset);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) return bad(res, 400, 'limit must be an integer from 1 to 1000');
    if (!Number.isInteger(offset) || offset < 0) return bad(res, 400, 'offset must be a non-negative integer');
    res.json({ jobs: machine.list({ state: state as JobState | undefined, studyUid: study, limit, offset }) });
  });

  r.get('/jobs/:id', async (req, res) => {
    const id = jobId(req, res);
    if (id === undefined) return;
    const d = await machine.detail(id);
    if (!d) return bad(res, 404, `no job ${id}`);
    res.json(d);
  });

  r.get('/jobs/:id/outputs/:stage', async (req, res) => {
    const id = jobId(req, res);
    if (id === undefined) return;
    const stage = req.params.stage;
    if (!isStage(stage)) return bad(res, 400, `unknown stage ${JSON.stringify(stage)} (one of ${STAGES.join(', ')})`);
    const out = await machine.readOutput(id, stage).catch((e: unknown) => {
      if (e instanceof StoredDataError) return e;
      throw e;
    });
    // A damaged output file: say which file and field, as the failed job does.
    if (out instanceof StoredDataError) return bad(res, 500, out.message);
    if (!out) return bad(res, 404, `job ${id} has no ${stage} output`);
    res.json(out);
  });

  r.post('/jobs/:id/retry', validBody(retryBody), (req, res) => {
    const id = jobId(req, res);
    if (id === undefined) return;
    const { fromStage } = req.body as z.infer<typeof retryBody>;
    try {
      res.json(machine.retry(id, fromStage));
    } catch (e) {
      if (e instanceof JobNotFoundError) return bad(res, 404, e.message);
      if (e instanceof JobConflictError) return bad(res, 409, e.message);
      throw e;
    }
  });
  return r;
}
