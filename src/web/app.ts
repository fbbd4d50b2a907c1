/**
 * The node's HTTP application: DICOMweb under http.dicomwebBasePath, the operator API under /api, a health
 * probe at /healthz, Prometheus metrics at /metrics, all behind access control (http.auth, src/web/access-control.ts). Errors are JSON
 * ({ error, status }). Request logs carry method, path, status, time and the authenticated user only: never
 * query strings (QIDO queries may contain patient names) or bodies.
 */
import express, { type ErrorRequestHandler, type Express, type RequestHandler, type Router } from 'express';
import type { Logger } from '../log/logger';
import { accessControl, refuseCrossSiteWrites, type AccessUser } from './access-control';

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
}

function requestLog(log: Logger): RequestHandler {
  return (req, res, next) => {
    const t0 = process.hrtime.bigint();
    res.on('finish', () => {
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      const user = res.locals.user as string | undefined;
      log.log(res.statusCode >= 500 ? 'error' : 'http', 'request', { method: req.method, path: req.path, status: res.statusCode, ms: Math.round(ms * 10) / 10, ...(user ? { user } : {}) });
    });
    next();
  };
}

export function buildApp(parts: AppParts): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(requestLog(parts.logger));
  app.use(refuseCrossSiteWrites(parts.logger));
  app.use(accessControl({ users: parts.users ?? [], dicomwebBasePath: parts.dicomwebBasePath, logger: parts.logger }));
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok', ...(parts.health?.() ?? {}) });
  });
  app.use(parts.dicomwebBasePath, parts.dicomweb);
  const api = express.Router();
  api.use(express.json({ limit: '1mb' }));
  for (const r of parts.api) api.use(r);
  app.use('/api', api);
  if (parts.metrics) app.use(parts.metrics);
  for (const p of parts.pages ?? []) app.use(p.path, p.router);
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
