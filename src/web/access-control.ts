/**
 * Who may call the HTTP API, and for what (config http.auth, docs/security.md).
 *
 * Each configured user has a random secret, sent either as `Authorization: Bearer <secret>` (DICOMweb clients,
 * scripts) or as the password of HTTP Basic (Orthanc's DICOMweb client, browsers on the web pages). The
 * configuration holds only the secret's sha256; secrets are generated random tokens (`neuro-onc-node new-secret`),
 * so a plain hash is enough (no password stretching needed) and lookups cost microseconds per request.
 *
 * Every request needs one scope, derived from its method and path (scopeFor): STOW needs `store`, every read
 * `read`, every state change of the operator API `operate`, review decisions and tissue results `review`,
 * /metrics `metrics` (or `read`). /healthz stays open
 * for load balancers.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import type { AccessScope } from '../config/sections/http';
import type { Logger } from '../log/logger';
import type { AuditSink } from '../audit/events';
import { drainThenClose, hasBody } from '../http/drain-then-close';

export interface AccessUser {
  name: string;
  secretSha256: string;
  scopes: readonly AccessScope[];
}

/** Credentials as presented (the secret itself is hashed at once and never kept). */
export type Presented = { kind: 'bearer'; secretSha256: Buffer } | { kind: 'basic'; user: string; secretSha256: Buffer };

const sha256 = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/** Parses an Authorization header; undefined when absent, a string naming the problem when malformed. */
export function parseAuthorization(header: string | undefined): Presented | undefined | string {
  if (!header) return undefined;
  const m = /^(\S+)\s+(\S+)\s*$/.exec(header);
  if (!m) return 'malformed Authorization header';
  const scheme = m[1]!.toLowerCase();
  if (scheme === 'bearer') return { kind: 'bearer', secretSha256: sha256(m[2]!) };
  if (scheme === 'basic') {
    const decoded = Buffer.from(m[2]!, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return 'malformed Basic credentials (expected base64 of user:password)';
    return { kind: 'basic', user: decoded.slice(0, colon), secretSha256: sha256(decoded.slice(colon + 1)) };
  }
  return `unsupported authorization scheme "${m[1]}" (use Bearer or Basic)`;
}

/** The configured user these credentials belong to, or undefined. Compares every candidate in constant time. */
export function authenticate(users: readonly AccessUser[], p: Presented): AccessUser | undefined {
  let found: AccessUser | undefined;
  for (const u of users) {
    const same = timingSafeEqual(Buffer.from(u.secretSha256.toLowerCase(), 'hex'), p.secretSha256);
    if (same && (p.kind === 'bearer' || p.user === u.name)) found = u;
  }
  return found;
}

/** The scope a request needs; undefined for the open health probe. */
export function scopeFor(method: string, rawPath: string, dicomwebBasePath: string): AccessScope | undefined {
  // Routing ignores case (express's default), so the check must too: /DICOM-WEB/studies is the STOW route.
  const path = rawPath.toLowerCase();
  const safe = method === 'GET' || method === 'HEAD' || method === 'OPTIONS';
  if (path === '/healthz' || path === '/healthz/') return undefined;
  if (safe && (path === '/metrics' || path === '/metrics/')) return 'metrics';
  const base = dicomwebBasePath.replace(/\/+$/, '').toLowerCase();
  if (path === base || path.startsWith(base + '/')) return safe ? 'read' : 'store';
  // Review decisions and tissue results (docs/review.md) are a radiologist's, not an operator's, to make.
  if (!safe && /^\/api\/results\/[^/]+\/(review|molecular)\/?$/.test(path)) return 'review';
  return safe ? 'read' : 'operate';
}

/** Whether a user's scopes cover the one needed (`read` also covers `metrics`: it already sees more). */
export function allows(scopes: readonly AccessScope[], needed: AccessScope): boolean {
  return scopes.includes(needed) || (needed === 'metrics' && scopes.includes('read'));
}

/** A new random secret and the sha256 the configuration holds. */
export function newSecret(): { secret: string; secretSha256: string } {
  const secret = randomBytes(32).toString('base64url');
  return { secret, secretSha256: sha256(secret).toString('hex') };
}

const CHALLENGES = ['Basic realm="neuro-onc-node", charset="UTF-8"', 'Bearer realm="neuro-onc-node"'];

/**
 * Express middleware enforcing http.auth. With no users configured every request passes (the configuration
 * allows that only on loopback or with http.auth.anonymous). Sets res.locals.user for the request log.
 */
export function accessControl(opts: { users: readonly AccessUser[]; dicomwebBasePath: string; logger: Logger; audit?: AuditSink }): RequestHandler {
  const { users, logger } = opts;
  return (req, res, next) => {
    if (users.length === 0) return next();
    const scope = scopeFor(req.method, req.path, opts.dicomwebBasePath);
    if (!scope) return next();
    const refuse = (status: 401 | 403, error: string): void => {
      // A refused STOW may still be uploading: answer, discard the rest, close (nothing of it is stored).
      if (hasBody(req)) drainThenClose(req, res);
      if (status === 401) res.setHeader('WWW-Authenticate', CHALLENGES);
      res.status(status).json({ error, status });
    };
    const presented = parseAuthorization(req.get('authorization'));
    if (presented === undefined) return refuse(401, `authentication required for ${req.method} ${req.path}: send Authorization: Bearer <secret> or Basic credentials (http.auth)`);
    if (typeof presented === 'string') return refuse(401, presented);
    const user = authenticate(users, presented);
    if (!user) {
      logger.warn('credentials refused', { claimedUser: presented.kind === 'basic' ? presented.user.slice(0, 64) : '(bearer)', remoteAddress: remote(req), method: req.method, path: req.path });
      opts.audit?.record({ type: 'authentication', outcome: 'refused', actor: { ...(presented.kind === 'basic' ? { user: presented.user.slice(0, 64) } : {}), address: remote(req) }, detail: `${req.method} ${req.path}`.slice(0, 200) });
      return refuse(401, 'credentials not accepted');
    }
    res.locals.user = user.name;
    res.locals.scopes = user.scopes;
    if (!allows(user.scopes, scope)) {
      logger.warn('request outside the user\'s scopes', { user: user.name, needs: scope, method: req.method, path: req.path });
      opts.audit?.record({ type: 'authentication', outcome: 'forbidden', actor: { user: user.name, address: remote(req) }, detail: `needs scope ${scope}: ${req.method} ${req.path}`.slice(0, 200) });
      return refuse(403, `user "${user.name}" lacks the "${scope}" scope needed for ${req.method} ${req.path}`);
    }
    next();
  };
}

/**
 * Browsers attach cached Basic credentials (and proxy session cookies) to requests other sites make them send,
 * so a state-changing request whose Origin is not this node is refused (CSRF). DICOM clients send no Origin.
 */
export function refuseCrossSiteWrites(logger: Logger, trustedOrigins: readonly string[] = []): RequestHandler {
  const trusted = new Set(trustedOrigins.map((o) => o.toLowerCase()));
  return (req, res, next) => {
    const safe = req.method === 'GET' || req.method === 'HEAD' || req.method === 'OPTIONS';
    const origin = req.get('origin');
    const fetchSite = req.get('sec-fetch-site');
    let foreign = fetchSite === 'cross-site';
    if (!safe && origin && !foreign) {
      try {
        foreign = origin === 'null' || new URL(origin).host !== req.get('host');
      } catch {
        foreign = true;
      }
    }
    if (safe || !foreign || (origin && trusted.has(origin.toLowerCase()))) return next();
    logger.warn('cross-site request refused', { method: req.method, path: req.path, origin: origin ?? '', fetchSite: fetchSite ?? '' });
    if (hasBody(req)) drainThenClose(req, res);
    res.status(403).json({ error: `cross-site ${req.method} refused (Origin ${origin ?? fetchSite}): state changes must come from this node's own pages or from non-browser clients`, status: 403 });
  };
}

function remote(req: Request): string {
  return req.socket.remoteAddress ?? 'unknown';
}
