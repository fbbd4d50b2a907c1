/**
 * CORS for origins the configuration names (http.corsOrigins): lets a viewer served elsewhere (an OHIF on another
 * host) read DICOMweb with its user's credentials. Other origins get no CORS headers, so browsers keep them out.
 * Preflights are answered here, before access control: browsers send them without credentials.
 */
import type { RequestHandler } from 'express';

export function corsAllowList(origins: readonly string[]): RequestHandler {
  const allowed = new Set(origins.map((o) => o.toLowerCase()));
  return (req, res, next) => {
    const origin = req.get('origin');
    if (allowed.size) res.vary('Origin');
    if (!origin || !allowed.has(origin.toLowerCase())) return next();
    res.setHeader('Access-Control-Allow-Origin', origin);
    res.setHeader('Access-Control-Allow-Credentials', 'true');
    res.setHeader('Access-Control-Expose-Headers', 'Content-Type, Content-Length, Content-Location, Warning');
    if (req.method === 'OPTIONS' && req.get('access-control-request-method')) {
      res.setHeader('Access-Control-Allow-Methods', 'GET, HEAD, POST, DELETE, OPTIONS');
      res.setHeader('Access-Control-Allow-Headers', req.get('access-control-request-headers') ?? 'Authorization, Content-Type, Accept');
      res.setHeader('Access-Control-Max-Age', '600');
      res.status(204).end();
      return;
    }
    next();
  };
}
