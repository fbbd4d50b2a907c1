/**
 * Delivery with retries: sends each result object to each destination until the peer confirms storage,
 * backing off exponentially between attempts. A destination that fails for good (non-retryable error, or
 * maxAttempts used up) becomes a dead letter, visible in the job and retried only on request.
 *
 * The state is plain JSON so the pipeline can persist it after every attempt: a crash mid-delivery resumes
 * with the attempt counts and confirmations it had (and idempotent UIDs make a re-send harmless).
 */
import type { Destination } from '../config/sections/destinations';
import type { AttemptResult, OutgoingObject } from './types';

export interface DeliveryPolicy {
  maxAttempts: number;
  initialBackoffSeconds: number;
  maxBackoffSeconds: number;
}

export interface DestinationState {
  attempts: number;
  /** SOP Instance UIDs the peer confirmed. */
  confirmed: string[];
  lastError?: string;
  lastAttemptAt?: string;
  deadLetter: boolean;
}

export interface DeliveryState {
  destinations: Record<string, DestinationState>;
}

export type Sender = (dest: Destination, objects: OutgoingObject[]) => Promise<AttemptResult>;

/** Delay before attempt number `attempt` (2, 3, ...): initial * 2^(attempt-2), capped. */
export function backoffMs(attempt: number, policy: DeliveryPolicy): number {
  if (attempt <= 1) return 0;
  const s = Math.min(policy.maxBackoffSeconds, policy.initialBackoffSeconds * 2 ** (attempt - 2));
  return Math.round(s * 1000);
}

export function initialState(destinations: Destination[]): DeliveryState {
  return {
    destinations: Object.fromEntries(destinations.map((d) => [d.name, { attempts: 0, confirmed: [], deadLetter: false }])),
  };
}

/** Destinations that still have objects to send and are not dead letters. */
export function pendingDestinations(state: DeliveryState, objects: OutgoingObject[]): string[] {
  return Object.entries(state.destinations)
    .filter(([, s]) => !s.deadLetter && objects.some((o) => !s.confirmed.includes(o.sopInstanceUid)))
    .map(([name]) => name);
}

/** One round: one attempt per pending destination, sending only unconfirmed objects. Returns the new state. */
export async function deliverRound(
  destinations: Destination[],
  objects: OutgoingObject[],
  state: DeliveryState,
  policy: DeliveryPolicy,
  senders: Partial<Record<Destination['type'], Sender>>,
  now: () => Date = () => new Date(),
): Promise<{ state: DeliveryState; results: AttemptResult[] }> {
  const next: DeliveryState = { destinations: structuredClone(state.destinations) };
  const results: AttemptResult[] = [];
  for (const name of pendingDestinations(state, objects)) {
    const dest = destinations.find((d) => d.name === name);
    const ds = next.destinations[name]!;
    if (!dest) {
      Object.assign(ds, { deadLetter: true, lastError: `destination "${name}" is no longer configured` });
      continue;
    }
    const sender = senders[dest.type];
    if (!sender) {
      Object.assign(ds, { deadLetter: true, lastError: `no sender for destination type ${dest.type}` });
      continue;
    }
    const todo = objects.filter((o) => !ds.confirmed.includes(o.sopInstanceUid));
    const r = await sender(dest, todo);
    results.push(r);
    ds.attempts += 1;
    ds.lastAttemptAt = now().toISOString();
    for (const o of r.objects) if (o.stored && !ds.confirmed.includes(o.sopInstanceUid)) ds.confirmed.push(o.sopInstanceUid);
    const remaining = objects.filter((o) => !ds.confirmed.includes(o.sopInstanceUid));
    if (remaining.length === 0) {
      delete ds.lastError;
      continue;
    }
    const perObject = r.objects.filter((o) => !o.stored && o.reason).map((o) => `${o.sopInstanceUid}: ${o.reason}`);
    ds.lastError = [r.error ?? 'not all objects confirmed', ...perObject].join('; ');
    if (!r.retryable || ds.attempts >= policy.maxAttempts) ds.deadLetter = true;
  }
  return { state: next, results };
}

/**
 * Runs rounds until everything is confirmed or every remaining destination is a dead letter, sleeping the
 * backoff between rounds. `persist` is called after every round. Abortable.
 */
export async function deliverAll(args: {
  destinations: Destination[];
  objects: OutgoingObject[];
  state?: DeliveryState;
  policy: DeliveryPolicy;
  senders: Partial<Record<Destination['type'], Sender>>;
  persist?: (s: DeliveryState) => void | Promise<void>;
  signal?: AbortSignal;
  onAttempt?: (r: AttemptResult) => void;
}): Promise<DeliveryState> {
  let state = args.state ?? initialState(args.destinations);
  // Destinations added to the config since the state was saved join in.
  for (const d of args.destinations) state.destinations[d.name] ??= { attempts: 0, confirmed: [], deadLetter: false };
  while (pendingDestinations(state, args.objects).length > 0) {
    const nextAttempt = Math.min(...pendingDestinations(state, args.objects).map((n) => state.destinations[n]!.attempts + 1));
    const wait = backoffMs(nextAttempt, args.policy);
    if (wait > 0) await sleep(wait, args.signal);
    const round = await deliverRound(args.destinations, args.objects, state, args.policy, args.senders);
    state = round.state;
    round.results.forEach((r) => args.onAttempt?.(r));
    await args.persist?.(state);
  }
  return state;
}

/** Dead-lettered destinations with their last error (empty when delivery fully succeeded). */
export function deadLetters(state: DeliveryState): Array<{ destination: string; attempts: number; error: string }> {
  return Object.entries(state.destinations)
    .filter(([, s]) => s.deadLetter)
    .map(([destination, s]) => ({ destination, attempts: s.attempts, error: s.lastError ?? 'unknown error' }));
}

/** Clears dead-letter flags and attempt counts (the "retry delivery" action), keeping confirmations. */
export function resetDeadLetters(state: DeliveryState): DeliveryState {
  return {
    destinations: Object.fromEntries(
      Object.entries(state.destinations).map(([n, s]) => [n, s.deadLetter ? { attempts: 0, confirmed: s.confirmed, deadLetter: false } : s]),
    ),
  };
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new Error('delivery aborted'));
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(t);
      reject(new Error('delivery aborted'));
    }, { once: true });
  });
}
