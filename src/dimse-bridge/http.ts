/**
 * HTTP API of the DIMSE bridge: `POST /api/destinations/:name/echo` runs a C-ECHO against a configured DIMSE
 * destination. The router's paths are relative to /api: startNode mounts it with the other API routers.
 *
 * 200 {ok: true, destination, echoMs, totalMs}
 * 404 unknown destination, 400 not a DIMSE destination,
 * 502 {ok: false, kind, error} when the peer refused the connection, rejected the association or failed the echo,
 * 504 when it timed out.
 */
import { Router } from 'express';
import { noBody } from '../http/request-body';
import type { Config } from '../config/schema';
import { echo, DimseScuError } from './scu';
import { resolveDimsePeer, scuTimeouts, UnknownDestinationError } from './service';

export function dimseRouter(config: Config): Router {
  const router = Router();
  router.post('/destinations/:name/echo', noBody, async (req, res) => {
    const name = req.params.name as string;
    let peer;
    try {
      peer = resolveDimsePeer(config, name);
    } catch (e) {
      const unknown = !config.destinations.some((d) => d.name === name);
      res.status(unknown ? 404 : 400).json({ ok: false, destination: name, error: (e as UnknownDestinationError).message });
      return;
    }
    try {
      const r = await echo(peer, scuTimeouts(config));
      res.json({ ok: true, destination: name, aeTitle: peer.aeTitle, echoMs: round(r.echoMs), totalMs: round(r.totalMs) });
    } catch (e) {
      const kind = e instanceof DimseScuError ? e.kind : 'network';
      res.status(kind === 'timeout' ? 504 : 502).json({ ok: false, destination: name, kind, error: (e as Error).message });
    }
  });
  return router;
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
