/** Small, pure formatting helpers shared by the UI pages (server side). */

/** 0.734 -> "73%" (one decimal below 10%, so 0.4% does not read as 0%). */
export function pct(p: number): string {
  if (!Number.isFinite(p)) return '–';
  const v = p * 100;
  return v > 0 && v < 10 ? `${v.toFixed(1)}%` : `${Math.round(v)}%`;
}

/** Volume in millilitres for clinicians: "12.3 mL", "<0.1 mL". */
export function ml(v: number): string {
  if (v > 0 && v < 0.05) return '<0.1 mL';
  return `${v.toFixed(1)} mL`;
}

/** ms since epoch -> "2026-11-25 08:02:23 UTC" (the dashboard script formats the same way). */
export function when(ms: number | undefined): string {
  if (ms == null || !Number.isFinite(ms)) return '–';
  return new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
}

export function isoTime(ms: number | undefined): string {
  return ms == null ? '' : new Date(ms).toISOString();
}

/** "1.2.826.0.1.3680043.8.498.123456789" -> "…498.123456789" for narrow table cells (full UID in the title). */
export function shortUid(uid: string, keep = 18): string {
  return uid.length <= keep + 1 ? uid : `…${uid.slice(-keep)}`;
}

/** Seconds or minutes between two times, for stage durations. */
export function duration(fromMs: number, toMs: number): string {
  const s = Math.max(0, (toMs - fromMs) / 1000);
  if (s < 60) return `${s.toFixed(s < 10 ? 1 : 0)} s`;
  return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
}

/** File sizes: "512 B", "23.4 kB", "1.2 MB". */
export function bytes(n: number): string {
  if (n < 1000) return `${n} B`;
  if (n < 1e6) return `${(n / 1e3).toFixed(1)} kB`;
  return `${(n / 1e6).toFixed(1)} MB`;
}
