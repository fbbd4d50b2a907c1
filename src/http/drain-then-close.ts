import type { IncomingMessage } from 'node:http';
import type { Response } from 'express';

/** True when the request announces a body (Content-Length above 0, or chunked). */
export function hasBody(req: IncomingMessage): boolean {
  const len = req.headers['content-length'];
  return (len !== undefined && len !== '0') || req.headers['transfer-encoding'] !== undefined;
}

/**
 * After an early answer (401, 403, 413, 408) the client may still be sending. Node destroys a `Connection: close`
 * socket as soon as the response is written; with the client's upload still arriving the kernel then answers with
 * a reset, and the client may never read the response (curl exit 55) and retry blindly. So the close lingers: the
 * response goes out with `Connection: close`, then our side of the connection is ended (FIN), and the rest of the
 * upload is read and discarded until the client closes or `lingerMs` passes. Nothing of the discarded body is stored.
 */
export function drainThenClose(req: IncomingMessage, res: Response, lingerMs = 5000): void {
  res.setHeader('Connection', 'close');
  const socket = req.socket;
  socket.destroySoon = function lingeringClose(): void {
    if (req.complete || socket.destroyed) {
      socket.destroy();
      return;
    }
    const timer = setTimeout(() => socket.destroy(), lingerMs);
    timer.unref();
    socket.once('close', () => clearTimeout(timer));
    socket.end();
    req.resume();
  };
  res.on('finish', () => req.resume());
}
