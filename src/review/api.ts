/**
 * Review HTTP API (mounted under /api; docs/review.md). POSTs need the `review` scope (src/web/access-control.ts).
 *   GET  /api/results/{jobId}/review[?model=]   review state, history and tissue results of a job's result
 *   POST /api/results/{jobId}/review            {model?, decision, reasonCode?, reasonText?, reviewerName?, correctedSegInstanceUid?}
 *   POST /api/results/{jobId}/molecular         {model?, idh?, codeletion1p19q?, grade?, histology?, egfr?}
 *   GET  /api/monitoring                         per model version: rates, Dice, head agreement, drift
 *   GET  /api/monitoring.csv                     the same as CSV
 * A result is a job's output of one model; `model` may be left out when the job ran one model. Unknown fields are
 * refused (400 naming them).
 */
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import { validBody } from '../http/request-body';
import { molecularBody, type TissueResults } from './molecular';
import { monitoringCsv } from './monitoring';
import { REJECT_REASONS, REVIEW_STATES } from './review-store';
import { ReviewError, type ReviewService } from './service';

const uid = z.string().regex(/^[0-9]+(\.[0-9]+)+$/, 'a DICOM UID').max(64);

export const reviewBody = z
  .object({
    model: z.string().min(1).max(64).optional(),
    decision: z.enum(REVIEW_STATES),
    reasonCode: z.enum(Object.keys(REJECT_REASONS) as [keyof typeof REJECT_REASONS, ...Array<keyof typeof REJECT_REASONS>]).optional(),
    reasonText: z.string().max(1000).optional(),
    /** DICOM person name for the SR, e.g. "Smith^Anna" (no backslash: PN is single-valued here). */
    reviewerName: z.string().min(1).max(64).regex(/^[^\\\n\r]+$/, 'a person name without backslashes or line breaks').optional(),
    correctedSegInstanceUid: uid.optional(),
  })
  .strict();

function jobIdOf(req: Request, res: Response): number | undefined {
  const raw = String(req.params.id);
  if (!/^[1-9][0-9]{0,9}$/.test(raw)) {
    res.status(400).json({ error: `result id must be a job number, not ${JSON.stringify(raw)}`, status: 400 });
    return undefined;
  }
  return Number(raw);
}

function fail(res: Response, e: unknown): void {
  if (e instanceof ReviewError) res.status(e.status).json({ error: e.message, status: e.status });
  else throw e;
}

const userOf = (res: Response): string => (res.locals.user as string | undefined) ?? 'anonymous';

export function reviewRouter(service: ReviewService): Router {
  const r = Router();

  r.get('/results/:id/review', (req, res) => {
    const id = jobIdOf(req, res);
    if (id === undefined) return;
    try {
      res.json(service.status(id, typeof req.query.model === 'string' ? req.query.model : undefined));
    } catch (e) {
      fail(res, e);
    }
  });

  r.post('/results/:id/review', validBody(reviewBody), async (req, res) => {
    const id = jobIdOf(req, res);
    if (id === undefined) return;
    const { model, ...input } = req.body as z.infer<typeof reviewBody>;
    try {
      const review = await service.review(id, model, input, userOf(res));
      res.json({ review, state: review.decision });
    } catch (e) {
      fail(res, e);
    }
  });

  r.post('/results/:id/molecular', validBody(molecularBody), async (req, res) => {
    const id = jobIdOf(req, res);
    if (id === undefined) return;
    const { model, ...tissue } = req.body as TissueResults & { model?: string };
    try {
      res.json({ molecular: await service.molecular(id, model, tissue, userOf(res)) });
    } catch (e) {
      fail(res, e);
    }
  });

  r.get('/monitoring', (_req, res) => {
    res.json({ models: service.monitoring() });
  });

  r.get('/monitoring.csv', (_req, res) => {
    res.type('text/csv').set('Content-Disposition', 'attachment; filename="monitoring.csv"').send(monitoringCsv(service.monitoring()));
  });
  return r;
}
