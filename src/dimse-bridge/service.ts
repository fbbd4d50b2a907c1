/**
 * Wiring between the configuration and the DIMSE bridge: start the SCP over the node's store, and resolve a
 * configured destination name to an SCU peer. startNode (src/node.ts) calls startDimseService.
 */
import type { Config } from '../config/schema';
import type { Destination } from '../config/sections/destinations';
import type { InstanceStore } from '../store/store';
import { readPemFiles, serverTlsOptions } from '../config/tls-files';
import { startScp, type DimseScp, type InstanceSink, type ScpOptions } from './scp';
import type { DimsePeer, ScuTimeouts } from './scu';

export type DimseDestination = Extract<Destination, { type: 'dimse' }>;

/** Starts the SCP when dimse.enabled; resolves undefined otherwise. */
export async function startDimseService(config: Config, store: InstanceSink & Pick<InstanceStore, 'layout'>, audit?: ScpOptions['audit']): Promise<DimseScp | undefined> {
  const d = config.dimse;
  if (!d.enabled) return undefined;
  return startScp({
    aeTitle: d.aeTitle,
    allowedCallingAeTitles: d.allowedCallingAeTitles,
    checkCalledAeTitle: d.checkCalledAeTitle,
    host: d.host,
    port: d.port,
    maxAssociations: d.maxAssociations,
    maxPduLength: d.maxPduLength,
    maxUnassociatedConnections: d.maxUnassociatedConnections,
    associationTimeoutSeconds: d.associationTimeoutSeconds,
    idleTimeoutSeconds: d.idleTimeoutSeconds,
    // Same file system as the store, so a large spooled instance is moved in by rename; emptied at store start-up.
    spoolDir: store.layout.tmp,
    spoolMemoryLimitBytes: Math.round(d.spoolMemoryLimitMb * 1024 * 1024),
    acceptedSopClasses: config.node.acceptedSopClasses,
    sink: store,
    audit,
    ...(d.tls ? { tls: { port: d.tls.port, alsoPlain: d.tls.alsoPlain, options: serverTlsOptions('dimse.tls', d.tls) } } : {}),
  });
}

export class UnknownDestinationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnknownDestinationError';
  }
}

/** The DIMSE peer for a destination entry. */
export function peerOf(config: Config, dest: DimseDestination): DimsePeer {
  return {
    name: dest.name,
    host: dest.host,
    port: dest.port,
    aeTitle: dest.aeTitle,
    callingAeTitle: dest.callingAeTitle ?? config.dimse.aeTitle,
    ...(dest.tls ? { tls: { ...readPemFiles(`destinations.${dest.name}.tls`, dest.tls), ...(dest.tls.servername ? { servername: dest.tls.servername } : {}) } } : {}),
  };
}

/** The DIMSE peer for a destination name; throws UnknownDestinationError (unknown name, or not a DIMSE destination). */
export function resolveDimsePeer(config: Config, name: string): DimsePeer {
  const dest = config.destinations.find((d) => d.name === name);
  if (!dest) {
    const known = config.destinations.map((d) => d.name);
    throw new UnknownDestinationError(`unknown destination "${name}" (configured: ${known.length ? known.join(', ') : 'none'})`);
  }
  if (dest.type !== 'dimse') throw new UnknownDestinationError(`destination "${name}" is a ${dest.type} destination; C-ECHO needs a DIMSE (type: dimse) destination`);
  return peerOf(config, dest);
}

export function scuTimeouts(config: Config): ScuTimeouts {
  return { connectMs: config.dimse.scuConnectTimeoutSeconds * 1000, responseMs: config.dimse.scuResponseTimeoutSeconds * 1000 };
}
