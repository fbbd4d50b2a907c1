/**
 * The receiver's API for its workers (mounted under /api; scope operate, so a worker's service account needs
 * read + operate):
 *
 *   POST /api/cluster/reports                              a StageReport (src/cluster/queue.ts) -> 200 {status:"ok"}
 *   PUT  /api/cluster/jobs/{id}/files?token=&path=out/...  a result file, raw bytes (before the encoding report)
 *
 * 409 {status:"gone"}: the job no longer wants this dispatch (superseded, finished, re-dispatched): the worker stops.
 * 400: a report whose output does not match the stage's schema (src/pipeline/stage-outputs.ts), naming the field.
 */
import { Router, type Request, type Response } from 'express';
import { validBody } from '../http/request-body';
import type { Dispatcher } from './dispatcher';
import { returnsToReceiver, safeRelativePath, stageReportSchema, type StageReport } from './queue';

/** Result files are SEG/SR/SC/PDF objects and findings; far below this. */
const MAX_FILE_BYTES = 512 * 1024 * 1024;

function answer(res: Response, outcome: 'ok' | 'gone' | 'unknown' | { invalid: string }, id: number): void {
  if (typeof outcome === 'object') res.status(400).json({ status: 400, error: `invalid report for job ${id}: ${outcome.invalid}` });
  else if (outcome === 'ok') res.json({ status: 'ok' });
  else if (outcome === 'gone') res.status(409).json({ status: 'gone', error: `job ${id} no longer runs this dispatch (superseded, finished or re-dispatched)` });
  else res.status(404).json({ status: 404, error: `no job ${id}` });
}

function readBody(req: Request, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let n = 0;
    req.on('data', (c: Buffer) => {
      n += c.length;
      if (n > limit) {
        req.destroy();
        reject(new Error(`file larger than ${limit} bytes`));
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export function clusterRouter(dispatcher: Dispatcher): Router {
  const r = Router();
  r.post('/cluster/reports', validBody(stageReportSchema), async (req, res) => {
    const report = req.body as StageReport;
    answer(res, await dispatcher.report(report), report.jobId);
  });

  r.put('/cluster/jobs/:id/files', async (req, res) => {
    const id = Number(req.params.id);
    const token = typeof req.query.token === 'string' ? req.query.token : '';
    const rel = typeof req.query.path === 'string' ? req.query.path : '';
    if (!Number.isInteger(id) || id <= 0) return void res.status(400).json({ status: 400, error: 'job id must be a positive integer' });
    if (!token) return void res.status(400).json({ status: 400, error: 'token is required' });
    if (!safeRelativePath(rel) || !returnsToReceiver(rel)) {
      return void res.status(400).json({ status: 400, error: `path must be a relative path under out/ or a findings-* artifact, not ${JSON.stringify(rel.slice(0, 200))}` });
    }
    let body: Buffer;
    try {
      body = await readBody(req, MAX_FILE_BYTES);
    } catch (e) {
      return void res.status(413).json({ status: 413, error: (e as Error).message });
    }
    answer(res, await dispatcher.saveFile(id, token, rel, body), id);
  });
  return r;
}
