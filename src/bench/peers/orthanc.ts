/**
 * Starts a real Orthanc (Debian package) with its DICOMweb plugin on free loopback ports, in a temporary folder.
 * Used as "the PACS" by integration tests (test/helpers/orthanc.ts re-exports this) and as the peer of
 * `npm run bench` scenarios (it lives under src/ so the compiled bench can use it).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitFor } from './ports';

export interface OrthancOptions {
  aeTitle?: string;
  /** DICOM peers Orthanc knows (for C-STORE/C-MOVE from Orthanc): name -> [AET, host, port]. */
  modalities?: Record<string, [string, string, number]>;
  /** DICOMweb servers Orthanc can push to: name -> { Url, Username?, Password? }. */
  dicomWebServers?: Record<string, { Url: string; Username?: string; Password?: string }>;
  /** Extra top-level configuration. */
  extra?: Record<string, unknown>;
}

export interface OrthancPeer {
  httpPort: number;
  dicomPort: number;
  aeTitle: string;
  /** http://127.0.0.1:<port> */
  url: string;
  /** http://127.0.0.1:<port>/dicom-web */
  dicomWebUrl: string;
  dir: string;
  /** Orthanc's process id (tests pause it with SIGSTOP to hold a delivery in flight). */
  pid: number;
  /** GET/POST helper against Orthanc's REST API, returns parsed JSON (or text). */
  rest<T = unknown>(method: string, path: string, body?: unknown): Promise<T>;
  stop(): Promise<void>;
}

export async function startOrthanc(opts: OrthancOptions = {}): Promise<OrthancPeer> {
  const dir = mkdtempSync(join(tmpdir(), 'orthanc-'));
  const httpPort = await freePort();
  const dicomPort = await freePort();
  const aeTitle = opts.aeTitle ?? 'TESTPACS';
  const config = {
    Name: 'neuro-onc-test-pacs',
    StorageDirectory: join(dir, 'storage'),
    IndexDirectory: join(dir, 'index'),
    StorageCompression: false,
    HttpPort: httpPort,
    DicomPort: dicomPort,
    DicomAet: aeTitle,
    RemoteAccessAllowed: false,
    AuthenticationEnabled: false,
    HttpServerEnabled: true,
    DicomServerEnabled: true,
    DicomCheckCalledAet: false,
    UnknownSopClassAccepted: true,
    DicomModalities: opts.modalities ?? {},
    DicomWeb: {
      Enable: true,
      Root: '/dicom-web/',
      EnableWado: true,
      WadoRoot: '/wado',
      Host: '127.0.0.1',
      Ssl: false,
      Servers: opts.dicomWebServers ?? {},
    },
    Plugins: ['/usr/share/orthanc/plugins/libOrthancDicomWeb.so'],
    StableAge: 1,
    ...(opts.extra ?? {}),
  };
  const cfgPath = join(dir, 'orthanc.json');
  writeFileSync(cfgPath, JSON.stringify(config, null, 2));
  // TCP_NODELAY on Orthanc's DCMTK side (avoids ~45 ms delayed-ACK stalls per instance).
  const child: ChildProcess = spawn('/usr/sbin/Orthanc', [cfgPath], {
    cwd: dir,
    env: { ...process.env, TCP_NODELAY: '1' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-20000);
  });
  const tls = (opts.extra as { SslEnabled?: boolean } | undefined)?.SslEnabled === true;
  const url = `${tls ? 'https' : 'http'}://127.0.0.1:${httpPort}`;
  try {
    await waitFor(async () => {
      if (child.exitCode != null) throw new Error(`Orthanc exited with ${child.exitCode}: ${stderr}`);
      // Up = answers HTTP at all (401 counts: authentication may be on); TLS peers use a test certificate.
      const status = await probeStatus(`${url}/system`);
      return status === 200 || status === 401;
    }, 30000, 'Orthanc to start');
  } catch (e) {
    child.kill('SIGKILL');
    throw new Error(`${(e as Error).message}\n${stderr}`);
  }

  async function rest<T>(method: string, path: string, body?: unknown): Promise<T> {
    const init: RequestInit = { method };
    if (body !== undefined) {
      init.body = typeof body === 'string' || body instanceof Uint8Array ? (body as string) : JSON.stringify(body);
    }
    const r = await fetch(url + path, init);
    const text = await r.text();
    if (!r.ok) throw new Error(`Orthanc ${method} ${path} -> ${r.status}: ${text}`);
    try {
      return JSON.parse(text) as T;
    } catch {
      return text as unknown as T;
    }
  }

  return {
    httpPort,
    dicomPort,
    aeTitle,
    url,
    dicomWebUrl: `${url}/dicom-web`,
    dir,
    pid: child.pid!,
    rest,
    async stop() {
      if (child.exitCode == null) {
        child.kill('SIGTERM');
        await new Promise<void>((resolve) => {
          const t = setTimeout(() => {
            child.kill('SIGKILL');
            resolve();
          }, 5000);
          child.once('exit', () => {
            clearTimeout(t);
            resolve();
          });
        });
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function probeStatus(target: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = (target.startsWith('https') ? httpsRequest : httpRequest)(target, { rejectUnauthorized: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}
