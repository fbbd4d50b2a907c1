import type { IncomingMessage } from 'node:http';
import type { Response } from 'express';

/** True when the request announces a body (Content-Length above 0, or chunked). */
export function hasBody(req: IncomingMessage): boolean {
  const len = req.headers['content-length'];
  return (len !== undefined && len !== '0') || req.headers['transfer-encoding'] !== undefined;
}

/**
 * After an early answer (401, 403, 413) the client may still be sending. Closing at once would make the kernel
 * reset the connection and the client could lose the response, so the rest is read and discarded for a short
 * while, then the connection is closed. Nothing of the discarded body is stored.
 */
export function drainThenClose(req: IncomingMessage, res: Response): void {
  res.setHeader('Connection', 'close');
  res.on('finish', () => {
    const timer = setTimeout(() => req.socket.destroy(), 2000);
    timer.unref();
    req.on('end', () => clearTimeout(timer));
    req.resume();
  });
}
