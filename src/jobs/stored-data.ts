/**
 * Reading back what a job wrote to disk (stage outputs, artifacts): parsed with the writer's schema, so a damaged
 * file, or one an older or newer version of the node wrote, fails with the file and the field that is wrong
 * rather than a TypeError deep inside a later stage. Permanent: reading the same file again cannot help; a retry
 * from the stage that writes it does.
 */
import type { z } from 'zod';

export class StoredDataError extends Error {
  readonly permanent = true;
  constructor(
    message: string,
    /** bad-stage-output: <job>/<stage>.json; bad-artifact: a file in the job's work folder. */
    public readonly reason: 'bad-stage-output' | 'bad-artifact',
    public readonly file: string,
  ) {
    super(message);
    this.name = 'StoredDataError';
  }
}

const HINT = 'damaged, or written by another version of the node; retry the job from the stage that writes it';

/** Every problem with its field path, e.g. "output.models.0.artifact: expected string, received undefined". */
export function fieldProblems(error: z.ZodError, prefix = ''): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `${[prefix, ...i.path.map(String)].filter(Boolean).join('.') || '(root)'}: ${i.message}`)
    .join('; ');
}

/** JSON text of a stored file, or a StoredDataError naming it. */
export function parseStoredJson(text: string, file: string, reason: StoredDataError['reason'], reviver?: (this: unknown, key: string, value: unknown) => unknown): unknown {
  try {
    return JSON.parse(text, reviver);
  } catch (e) {
    throw new StoredDataError(`${file} is not valid JSON (${(e as Error).message}); ${HINT}`, reason, file);
  }
}

/** `value` (read from `file`) checked against `schema`; `prefix` names where in the file it sits. */
export function parseStored<T>(schema: z.ZodType<T>, value: unknown, file: string, reason: StoredDataError['reason'], prefix = ''): T {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  throw new StoredDataError(`${file} does not hold what this node expects: ${fieldProblems(r.error, prefix)}; ${HINT}`, reason, file);
}
