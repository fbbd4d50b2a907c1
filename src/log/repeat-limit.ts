/**
 * Rate limit for log lines that one bad request can repeat thousands of times ("instance rejected" per part): the
 * first `burst` lines of a message per window are written, the rest are counted and summarised in one line when
 * the window ends. Keeps a flood of garbage from filling the disk with logs.
 */
import type { Logger } from './logger';

interface Window {
  startedAt: number;
  written: number;
  suppressed: number;
  timer?: NodeJS.Timeout;
}

export interface RepeatLimit {
  burst: number;
  windowMs: number;
}

const DEFAULT_LIMIT: RepeatLimit = { burst: 20, windowMs: 10_000 };
const windows = new WeakMap<Logger, Map<string, Window>>();

/** Logs `message` unless it has already been logged `burst` times in the current window. */
export function logLimited(log: Logger, level: 'info' | 'warn' | 'error', message: string, meta: Record<string, unknown>, limit: RepeatLimit = DEFAULT_LIMIT): void {
  let byMessage = windows.get(log);
  if (!byMessage) windows.set(log, (byMessage = new Map()));
  const now = Date.now();
  let w = byMessage.get(message);
  if (!w || now - w.startedAt >= limit.windowMs) {
    if (w) flush(log, level, message, w, limit);
    w = { startedAt: now, written: 0, suppressed: 0 };
    byMessage.set(message, w);
  }
  if (w.written < limit.burst) {
    w.written++;
    log.log(level, message, meta);
    return;
  }
  w.suppressed++;
  if (!w.timer) {
    const cur = w;
    cur.timer = setTimeout(() => {
      if (byMessage.get(message) === cur) byMessage.delete(message);
      flush(log, level, message, cur, limit);
    }, Math.max(0, cur.startedAt + limit.windowMs - now));
    cur.timer.unref();
  }
}

function flush(log: Logger, level: 'info' | 'warn' | 'error', message: string, w: Window, limit: RepeatLimit): void {
  if (w.timer) clearTimeout(w.timer);
  w.timer = undefined;
  if (w.suppressed === 0) return;
  log.log(level, `${message} (repeats not logged)`, { suppressed: w.suppressed, windowSeconds: limit.windowMs / 1000 });
  w.suppressed = 0;
}
