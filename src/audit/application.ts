/** Start and stop records: the node's version and whether the configuration changed since the last start. */
import { createHash } from 'node:crypto';
import { nodeVersion } from '../version';
import { canonicalJson } from './chain';
import type { AuditTrail } from './trail';

/** sha256 of the effective configuration: any change of any setting (defaults included) changes it. */
export function configHash(config: unknown): string {
  return createHash('sha256').update(canonicalJson(config)).digest('hex');
}

/** Records the start, with the previous configuration hash when it differs (a configuration change). */
export function recordStart(trail: AuditTrail, config: unknown): void {
  const hash = configHash(config);
  const previous = trail.state('configHash');
  trail.record({ type: 'application', action: 'start', version: nodeVersion(), configHash: hash, ...(previous && previous !== hash ? { previousConfigHash: previous } : {}) });
  if (previous !== hash) trail.setState('configHash', hash);
}

export function recordStop(trail: AuditTrail): void {
  trail.record({ type: 'application', action: 'stop', version: nodeVersion() });
}
