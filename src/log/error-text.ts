/**
 * The text of an error as an operator needs it. Node's fetch throws "fetch failed" and hides the reason in
 * `cause` (ECONNREFUSED, ENOTFOUND, a certificate error…): show that instead.
 */
export function errorText(e: unknown): string {
  const err = e as { message?: string; cause?: { code?: string; message?: string } };
  const cause = err?.cause;
  if (cause && (cause.code || cause.message)) {
    const detail = cause.message && cause.message !== cause.code ? cause.message : '';
    return [cause.code, detail].filter(Boolean).join(': ');
  }
  return err?.message ?? String(e);
}
