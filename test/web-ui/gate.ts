/**
 * A real HTTP reverse proxy in front of the test PACS that refuses every request with 401 until it is opened:
 * the "destination refuses our credentials" fault (delivery dead-letters at once), then the fix (an operator
 * corrects the credentials at the proxy and presses Retry). Same mechanics as test/helpers/auth-proxy.ts, with a
 * switch.
 */
import { createServer, request as httpRequest } from 'node:http';

export interface Gate {
  url: string;
  open(): void;
  /** Requests refused so far. */
  refused(): number;
  close(): Promise<void>;
}

export async function startGate(target: string): Promise<Gate> {
  const t = new URL(target);
  let opened = false;
  let refused = 0;
  const server = createServer((req, res) => {
    if (!opened) {
      refused++;
      req.resume();
      res.writeHead(401, { 'WWW-Authenticate': 'Bearer' }).end('missing or wrong credentials');
      return;
    }
    const up = httpRequest(
      { host: t.hostname, port: t.port, method: req.method, path: t.pathname.replace(/\/$/, '') + req.url, headers: { ...req.headers, host: t.host } },
      (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      },
    );
    up.on('error', (e) => res.writeHead(502).end(String(e)));
    req.pipe(up);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    open: () => void (opened = true),
    refused: () => refused,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
