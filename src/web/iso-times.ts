/**
 * API answers carry times as ISO 8601 (UTC) strings; internally they are ms since the epoch. Converts, in a copy,
 * every number under a key named `at` or ending in `At` (createdAt, readyAt, nextAttemptAt…).
 */
export function isoTimes<T>(value: T): T {
  if (Array.isArray(value)) return value.map((v) => isoTimes(v)) as T;
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    out[k] = typeof v === 'number' && (k === 'at' || /At$/.test(k)) && Number.isFinite(v) ? new Date(v).toISOString() : isoTimes(v);
  }
  return out as T;
}
