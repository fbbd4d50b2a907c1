/**
 * A real HTTP(S) reverse proxy in front of a test peer (e.g. Orthanc): terminates TLS with a throw-away
 * certificate and/or requires a bearer token, then forwards to the target. Debian's Orthanc 1.10 HTTPS
 * resets connections after the handshake on this OpenSSL, and it has no bearer-token auth; hospitals often
 * put exactly such a proxy in front of their PACS.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer as createHttpServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface AuthProxy {
  url: string;
  /** PEM certificate clients must trust (TLS proxies only). */
  caFile?: string;
  close(): Promise<void>;
}

export function makeSelfSignedCert(): { certFile: string; keyFile: string } {
  const dir = mkdtempSync(join(tmpdir(), 'tls-'));
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', keyFile, '-out', certFile], { stdio: 'ignore' });
  return { certFile, keyFile };
}

export async function startAuthProxy(target: string, opts: { tls?: boolean; bearerToken?: string } = {}): Promise<AuthProxy> {
  const targetUrl = new URL(target);
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    if (opts.bearerToken && req.headers.authorization !== `Bearer ${opts.bearerToken}`) {
      res.writeHead(401, { 'WWW-Authenticate': 'Bearer' }).end('missing or wrong bearer token');
      req.resume();
      return;
    }
    const upstream = httpRequest(
      { host: targetUrl.hostname, port: targetUrl.port, method: req.method, path: req.url, headers: { ...req.headers, host: targetUrl.host } },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on('error', (e) => res.writeHead(502).end(String(e)));
    req.pipe(upstream);
  };
  let server: Server;
  let caFile: string | undefined;
  if (opts.tls) {
    const { certFile, keyFile } = makeSelfSignedCert();
    caFile = certFile;
    server = createHttpsServer({ cert: readFileSync(certFile), key: readFileSync(keyFile) }, handler);
  } else {
    server = createHttpServer(handler);
  }
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    url: `${opts.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    ...(caFile ? { caFile } : {}),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
