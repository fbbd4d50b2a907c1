/**
 * Validation of operator API request bodies: each route names its body's schema, and anything else (an unknown
 * field, a wrong type) is refused with 400 naming the field, instead of being ignored (a misspelt `from` must not
 * silently re-run a job from the start). Routes that take no body accept none, or an empty JSON object.
 */
import type { RequestHandler } from 'express';
import { z } from 'zod';

/** The message for a refused body: every problem with its field path. */
export function bodyProblems(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.length ? i.path.join('.') + ': ' : ''}${i.message}`).join('; ');
}

/** Middleware: req.body must match `schema` (an absent body counts as {}); the parsed value replaces it. */
export function validBody(schema: z.ZodType): RequestHandler {
  return (req, res, next) => {
    const r = schema.safeParse(req.body ?? {});
    if (!r.success) {
      res.status(400).json({ error: `invalid request body: ${bodyProblems(r.error)}`, status: 400 });
      return;
    }
    req.body = r.data;
    next();
  };
}

/** For routes that take no body. */
export const noBody = validBody(z.object({}).strict());
