/**
 * Free space on the disk that holds the store. Asked before accepting instances, so a filling disk refuses new
 * data cleanly (STOW-RS 503, C-STORE 0xA700) instead of failing half-way through writes. statfs is cheap but
 * called per batch: the answer is reused for a second.
 */
import { promises as fsp } from 'node:fs';

export interface DiskSpace {
  freeBytes: number;
  minFreeBytes: number;
  /** False when freeBytes < minFreeBytes. */
  accepting: boolean;
}

export class DiskSpaceGuard {
  private cached?: { at: number; value: DiskSpace };

  constructor(
    private readonly dir: string,
    private readonly minFreeBytes: number,
    private readonly ttlMs = 1000,
  ) {}

  async check(): Promise<DiskSpace> {
    const now = Date.now();
    if (this.cached && now - this.cached.at < this.ttlMs) return this.cached.value;
    const s = await fsp.statfs(this.dir);
    // bavail: blocks an unprivileged writer may still use (root's reserve excluded).
    const freeBytes = Number(s.bavail) * Number(s.bsize);
    const value = { freeBytes, minFreeBytes: this.minFreeBytes, accepting: this.minFreeBytes <= 0 || freeBytes >= this.minFreeBytes };
    this.cached = { at: now, value };
    return value;
  }

  /** The last answer (undefined before the first check), for health reports. */
  get last(): DiskSpace | undefined {
    return this.cached?.value;
  }
}

/** Free space and floor in whole MB, as logs, /healthz and messages show them. */
export function diskSpaceMb(d: DiskSpace): { freeMb: number; minFreeMb: number } {
  return { freeMb: Math.floor(d.freeBytes / 1048576), minFreeMb: Math.floor(d.minFreeBytes / 1048576) };
}

/** The refusal text shared by STOW-RS, C-STORE and logs. */
export function lowDiskMessage(d: DiskSpace): string {
  const { freeMb, minFreeMb } = diskSpaceMb(d);
  return `the node's disk is nearly full: ${freeMb} MB free, below node.minFreeDiskMb (${minFreeMb} MB); new instances are refused until space is freed (older studies are removed by node.retention)`;
}
