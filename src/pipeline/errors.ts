/**
 * A stage failure that retrying cannot fix (no usable series, a model's minimum inputs absent, outputs that fail
 * their pre-delivery check, every destination dead-lettered). The job machine fails the job at once with this
 * message instead of retrying; `POST /api/jobs/{id}/retry` still re-runs it after the cause is fixed.
 */
export class PermanentStageError extends Error {
  readonly permanent = true;
  constructor(
    message: string,
    /** Machine-readable reason, e.g. no-model-applies, missing-modalities, preflight-failed, dead-letter. */
    public readonly reason: string,
  ) {
    super(message);
    this.name = 'PermanentStageError';
  }
}

export function isPermanent(e: unknown): boolean {
  return typeof e === 'object' && e != null && (e as { permanent?: unknown }).permanent === true;
}
