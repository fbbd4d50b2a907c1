/**
 * Folds many small happenings into one audit record per burst: C-STOREs of one study from one AE arrive one
 * instance at a time, and a viewer fetches a study frame by frame. A burst ends after `quietMs` without a new
 * item, after `maxMs` in all, or at flush() (shutdown), and becomes one record.
 */
export interface BurstOptions<T> {
  quietMs: number;
  maxMs: number;
  emit: (value: T) => void;
}

export class Bursts<T> {
  private readonly open = new Map<string, { value: T; started: number; timer: NodeJS.Timeout }>();

  constructor(private readonly opts: BurstOptions<T>) {}

  /** Adds to the burst under `key` (started with `start()` when there is none). */
  add(key: string, start: () => T, merge: (value: T) => void): void {
    const now = Date.now();
    let b = this.open.get(key);
    if (!b) {
      b = { value: start(), started: now, timer: undefined as unknown as NodeJS.Timeout };
      this.open.set(key, b);
    } else clearTimeout(b.timer);
    merge(b.value);
    const wait = Math.max(0, Math.min(this.opts.quietMs, b.started + this.opts.maxMs - now));
    b.timer = setTimeout(() => this.end(key), wait);
    b.timer.unref();
  }

  private end(key: string): void {
    const b = this.open.get(key);
    if (!b) return;
    clearTimeout(b.timer);
    this.open.delete(key);
    this.opts.emit(b.value);
  }

  /** Ends every open burst now. */
  flush(): void {
    for (const key of [...this.open.keys()]) this.end(key);
  }
}
