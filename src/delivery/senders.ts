/**
 * The registry of delivery senders: one per destination type (config/sections/destinations.ts). Adding a
 * transport: write its sender (a function of the configuration returning a Sender) and add one line here; a
 * destination type without a sender is a compile error.
 */
import type { Config } from '../config/schema';
import type { Destination } from '../config/sections/destinations';
import { dimseSender } from '../dimse-bridge/sender';
import type { Sender } from './deliver';
import { stowToDestination } from './dicomweb-sender';

export const SENDERS: { readonly [T in Destination['type']]: (config: Config) => Sender } = {
  dicomweb: () => (d, o) => (d.type === 'dicomweb' ? stowToDestination(d, o) : Promise.reject(new Error('not a DICOMweb destination'))),
  dimse: dimseSender,
};

/** A sender per destination type, for this configuration. */
export function defaultSenders(config: Config): Partial<Record<Destination['type'], Sender>> {
  return Object.fromEntries(Object.entries(SENDERS).map(([type, make]) => [type, make(config)]));
}
