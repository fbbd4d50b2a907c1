/**
 * The delivery stage's sender for `type: dimse` destinations (src/delivery/deliver.ts `Sender`): one association
 * per attempt, C-STORE of every object, per-object confirmation from the peer's status.
 */
import type { Config } from '../config/schema';
import type { Destination } from '../config/sections/destinations';
import type { Sender } from '../delivery/deliver';
import type { AttemptResult } from '../delivery/types';
import { cstore, DimseScuError } from './scu';
import { peerOf, scuTimeouts } from './service';

export function dimseSender(config: Config): Sender {
  return async (dest: Destination, objects) => {
    const t0 = Date.now();
    const base = { destination: dest.name, durationMs: 0 };
    if (dest.type !== 'dimse') {
      return { ...base, ok: false, objects: [], retryable: false, error: `destination ${dest.name} is not a DIMSE destination` };
    }
    try {
      const results = await cstore(peerOf(config, dest), objects.map((o) => ({ bytes: o.bytes })), scuTimeouts(config));
      const outcomes: AttemptResult['objects'] = objects.map((o, i) => ({
        sopInstanceUid: o.sopInstanceUid,
        stored: results[i]!.stored,
        status: results[i]!.status,
        reason: results[i]!.message,
      }));
      const failed = outcomes.filter((o) => !o.stored);
      // A refusal status (0xA7xx out of resources, 0x0110 processing failure) may clear up; a context the peer
      // does not accept, or an "error: cannot understand", will not.
      const retryable = failed.some((o) =>
        o.status === undefined ? /^not answered/.test(o.reason ?? '') : (o.status & 0xff00) === 0xa700 || o.status === 0x0110 || o.status === 0x0213,
      );
      return {
        ...base,
        durationMs: Date.now() - t0,
        ok: failed.length === 0,
        objects: outcomes,
        retryable,
        error: failed.length ? `${failed.length} of ${objects.length} objects not stored by ${dest.name}: ${failed[0]!.reason}` : undefined,
      };
    } catch (e) {
      const err = e as Error;
      return {
        ...base,
        durationMs: Date.now() - t0,
        ok: false,
        objects: objects.map((o) => ({ sopInstanceUid: o.sopInstanceUid, stored: false })),
        retryable: e instanceof DimseScuError ? e.retryable : true,
        error: err.message,
      };
    }
  };
}
