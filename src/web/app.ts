/**
 * The node's HTTP application: DICOMweb under http.dicomwebBasePath, the operator API under /api, a health
 * probe at /healthz, Prometheus metrics at /metrics, all behind access control (http.auth, src/web/access-control.ts). Errors are JSON
 * ({ error, status }). The access log (one info line per request) carries method, path, status, user, study UID,
 * bytes and time only: never query strings (QIDO queries may contain patient names) or bodies.
 */
import express, { type ErrorRequestHandler, type Express, type RequestHandler, type Router } from 'express';
import type { Logger } from '../log/logger';
import { accessControl, refuseCrossSiteWrites, type AccessUser } from './access-control';
import type { AuditSink } from '../audit/events';
import { corsAllowList } from './cors';
import { uploadWatchdog, type UploadRate } from './upload-watchdog';
import { isoTimes } from './iso-times';

export interface AppParts {
  dicomwebBasePath: string;
  dicomweb: Router;
  /** Routers mounted under /api, in order. */
  api: Router[];
  logger: Logger;
  /** Extra health facts for /healthz. */
  health?: () => Record<string, unknown>;
  /** Page routers mounted at their path (the web interface: /ui, src/web/ui). */
  pages?: Array<{ path: string; router: Router }>;
  /** GET /metrics (src/metrics). */
  metrics?: Router;
  /** http.auth.users; empty: no authentication (allowed by the configuration on loopback only). */
  users?: readonly AccessUser[];
  /** http.corsOrigins: browser origins allowed to call the node (and to send state changes). */
  corsOrigins?: readonly string[];
  /** Slowest accepted request body (http.uploadMinBytesPerSecond over http.uploadRateWindowSeconds). */
  uploadRate?: UploadRate;
  /** Refused credentials and out-of-scope requests go into the audit trail. */
  audit?: AuditSink;
}

/** The Study Instance UID a path names (DICOMweb and API routes), for the access log. */
export function studyOfPath(path: string): string | undefined {
  return /\/studies\/([0-9]+(?:\.[0-9]+)+)(?:\/|$)/.exec(path)?.[1];
}

/**
 * Access log: one line per request at info level. bytesIn is the body received (STOW counts it as it reads;
 * otherwise the Content-Length of a completely read body), bytesOut what went out on the socket, headers included.
 */
function accessLog(log: Logger): RequestHandler {
  return (req, res, next) => {
    const t0 = process.hrtime.bigint();
    const socket = req.socket;
    const out0 = socket.bytesWritten;
    res.once('close', () => {
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      const user = res.locals.user as string | undefined;
      const study = studyOfPath(req.originalUrl.split('?')[0]!);
      const entry = {
        method: req.method,
        path: req.originalUrl.split('?')[0]!.slice(0, 512),
        status: res.writableFinished ? res.statusCode : 0,
        ...(user ? { user } : {}),
        remoteAddress: socket.remoteAddress,
        ...(study ? { study } : {}),
        bytesIn: (res.locals.bytesIn as number | undefined) ?? (req.complete ? Number(req.headers['content-length'] ?? 0) || 0 : 0),
        bytesOut: socket.bytesWritten - out0,
        ms: Math.round(ms * 10) / 10,
      };
      log.log(res.statusCode >= 500 ? 'error' : 'info', 'request', entry);
    });
    next();
  };
}

export function buildApp(parts: AppParts): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(accessLog(parts.logger));
  app.use(corsAllowList(parts.corsOrigins ?? []));
  if (parts.uploadRate) app.use(uploadWatchdog(parts.uploadRate, parts.logger));
  app.use(refuseCrossSiteWrites(parts.logger, parts.corsOrigins ?? []));
  app.use(accessControl({ users: parts.users ?? [], dicomwebBasePath: parts.dicomwebBasePath, logger: parts.logger, audit: parts.audit }));
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok', ...(parts.health?.() ?? {}) });
  });
  app.use(parts.dicomwebBasePath, parts.dicomweb);
  const api = express.Router();
  api.use(express.json({ limit: '1mb' }));
  // Times leave the API as ISO 8601 strings (the stores keep ms since the epoch).
  api.use((_req, res, next) => {
    const json = res.json.bind(res);
    res.json = (body: unknown) => json(isoTimes(body));
    next();
  });
  for (const r of parts.api) api.use(r);
  app.use('/api', api);
  if (parts.metrics) app.use(parts.metrics);
  for (const p of parts.pages ?? []) app.use(p.path, p.router);
  // The node's address in a browser opens the dashboard.
  const home = parts.pages?.[0]?.path;
  if (home) app.get('/', (_req, res) => res.redirect(302, home));
  app.use((req, res) => {
    res.status(404).json({ error: `no route ${req.method} ${req.path}`, status: 404 });
  });
  const onError: ErrorRequestHandler = (err: unknown, req, res, _next) => {
    const e = err as { status?: number; statusCode?: number; type?: string; message?: string; stack?: string };
    const status = e.status ?? e.statusCode ?? 500;
    if (status >= 500) parts.logger.error('request failed', { method: req.method, path: req.path, error: e.message, stack: e.stack });
    if (res.headersSent) {
      res.destroy();
      return;
    }
    res.status(status).json({ error: status >= 500 ? `internal error: ${e.message}` : (e.message ?? 'bad request'), status });
  };
  app.use(onError);
  return app;
}
