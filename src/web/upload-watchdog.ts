/**
 * Cuts off request bodies that arrive too slowly (http.uploadMinBytesPerSecond over http.uploadRateWindowSeconds):
 * a trickled body or chunked stream would otherwise hold a connection and its part files forever. The rate is
 * measured only over time the node is waiting for the client (the request stream is being read and its buffer has
 * room), so the node's own back-pressure (a slow disk) never counts against the sender, and a large upload at a
 * steady rate is never cut for its size or duration.
 */
import type { IncomingMessage } from 'node:http';
import type { RequestHandler, Response } from 'express';
import type { Logger } from '../log/logger';
import { hasBody } from '../http/drain-then-close';

export interface UploadRate {
  minBytesPerSecond: number;
  windowSeconds: number;
}

/** True when the node is ready for more body bytes, so missing bytes are the client's doing. */
function waitingForClient(req: IncomingMessage): boolean {
  return req.readableFlowing !== false && req.readableLength < req.readableHighWaterMark;
}

/** Pure window arithmetic: whether a full window of waiting brought too few bytes. */
export function tooSlow(bytes: number, waitedMs: number, rate: UploadRate): boolean | undefined {
  if (waitedMs < rate.windowSeconds * 1000) return undefined;
  return bytes < rate.minBytesPerSecond * rate.windowSeconds;
}

export function uploadWatchdog(rate: UploadRate, log: Logger): RequestHandler {
  const windowMs = rate.windowSeconds * 1000;
  const tickMs = Math.max(50, Math.min(1000, Math.floor(windowMs / 5)));
  return (req, res, next) => {
    if (rate.minBytesPerSecond <= 0 || !hasBody(req)) return next();
    const socket = req.socket;
    let last = socket.bytesRead;
    let bytes = 0;
    let waited = 0;
    const timer = setInterval(() => {
      const now = socket.bytesRead;
      if (waitingForClient(req)) {
        waited += tickMs;
        bytes += now - last;
      }
      last = now;
      const slow = tooSlow(bytes, waited, rate);
      if (slow === undefined) return;
      if (!slow) {
        bytes = 0;
        waited = 0;
        return;
      }
      stop();
      cutOff(req, res, rate, bytes, log);
    }, tickMs);
    timer.unref();
    const stop = (): void => clearInterval(timer);
    req.once('end', stop);
    req.once('close', stop);
    res.once('finish', stop);
    res.once('close', stop);
    next();
  };
}

function cutOff(req: IncomingMessage, res: Response, rate: UploadRate, bytes: number, log: Logger): void {
  const why = `request body too slow: ${bytes} bytes in ${rate.windowSeconds} s, below http.uploadMinBytesPerSecond (${rate.minBytesPerSecond})`;
  log.warn('request body too slow; connection closed', { method: req.method, path: (req as { path?: string }).path ?? req.url, remoteAddress: req.socket.remoteAddress, bytesInWindow: bytes, windowSeconds: rate.windowSeconds });
  if (res.headersSent) {
    req.socket.destroy();
    return;
  }
  // No lingering read here (the client is the slow one): Node closes the connection once the answer is out, and the
  // handler still waiting for the body sees the client gone (parts completed so far are kept, as on any abort).
  res.setHeader('Connection', 'close');
  res.status(408).json({ error: why, status: 408 });
}
