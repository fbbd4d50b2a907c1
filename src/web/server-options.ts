/**
 * Time limits of the HTTP server (http.headersTimeoutSeconds, http.keepAliveTimeoutSeconds; docs/security.md).
 * The request as a whole has no time limit (requestTimeout 0): a 4 GB STOW on a slow link may take hours. A body
 * that stalls is cut by the upload watchdog (upload-watchdog.ts) instead, which measures its rate.
 */
import type { ServerOptions } from 'node:http';

export interface ServerTimeouts {
  headersTimeoutSeconds: number;
  keepAliveTimeoutSeconds: number;
}

export function serverOptions(t: ServerTimeouts): ServerOptions {
  const headersTimeout = Math.round(t.headersTimeoutSeconds * 1000);
  return {
    headersTimeout,
    requestTimeout: 0,
    keepAliveTimeout: Math.round(t.keepAliveTimeoutSeconds * 1000),
    // Node checks the headers deadline on this interval (default 30 s, which would let slow headers live 60 s).
    connectionsCheckingInterval: Math.max(100, Math.min(1000, Math.floor(headersTimeout / 2))),
  };
}
