/**
 * The DICOMweb service (STOW-RS, QIDO-RS, WADO-RS) as an express router, mounted by src/web/app.ts at
 * http.dicomwebBasePath. Every route and status is listed in docs/dicomweb.md.
 */
import { Router, type Request } from 'express';
import type { Logger } from '../log/logger';
import type { InstanceStore } from '../store/store';
import type { AuditRecorder } from '../audit/recorder';
import type { RetrieveBase } from './qido';
import { qidoHandler } from './qido';
import { stowHandler } from './stow';
import { bulkdataHandler, framesHandler, metadataHandler, retrieveHandler } from './wado';

export interface DicomwebOptions {
  store: InstanceStore;
  /** Mount path, e.g. /dicom-web (used to build RetrieveURLs). */
  basePath: string;
  /** http.publicBaseUrl: the start of RetrieveURLs (default: the address the connection arrived at). */
  publicBaseUrl?: string;
  maxUploadBytes: number;
  /** http.maxPartsPerRequest */
  maxPartsPerRequest?: number;
  maxInMemoryPartBytes?: number;
  logger: Logger;
  /** Receipts and WADO-RS retrievals go into the audit trail. */
  audit?: Pick<AuditRecorder, 'received' | 'accessed' | 'record'>;
}

/**
 * Where RetrieveURLs point: http.publicBaseUrl when set (behind a proxy, or a TLS certificate's name), else the
 * address and port the connection arrived at. Never the Host header: a client could set it to any site.
 */
export function nodeBaseUrl(req: Request, publicBaseUrl: string | undefined): string {
  if (publicBaseUrl) return publicBaseUrl.replace(/\/+$/, '');
  const s = req.socket;
  const addr = s.localAddress ?? '127.0.0.1';
  const host = addr.includes(':') ? (addr.startsWith('::ffff:') ? addr.slice(7) : `[${addr}]`) : addr;
  return `${req.protocol}://${host}:${s.localPort ?? 80}`;
}

export function retrieveUrls(basePath: string, publicBaseUrl?: string) {
  return (req: Request): RetrieveBase => {
    const base = `${nodeBaseUrl(req, publicBaseUrl)}${basePath.replace(/\/+$/, '')}`;
    return {
      study: (st) => `${base}/studies/${st}`,
      series: (st, se) => `${base}/studies/${st}/series/${se}`,
      instance: (st, se, sop) => `${base}/studies/${st}/series/${se}/instances/${sop}`,
    };
  };
}

export function dicomwebRouter(opts: DicomwebOptions): Router {
  const r = Router();
  const urls = retrieveUrls(opts.basePath, opts.publicBaseUrl);
  const deps = { store: opts.store, urls, logger: opts.logger, audit: opts.audit };
  const stow = stowHandler({ store: opts.store, maxUploadBytes: opts.maxUploadBytes, maxPartsPerRequest: opts.maxPartsPerRequest, maxInMemoryPartBytes: opts.maxInMemoryPartBytes, urls, logger: opts.logger, audit: opts.audit });

  r.post('/studies', stow);
  r.post('/studies/:study', stow);

  r.get('/studies', qidoHandler('study', deps));
  r.get('/series', qidoHandler('series', deps));
  r.get('/instances', qidoHandler('instance', deps));
  r.get('/studies/:study/series', qidoHandler('series', deps));
  r.get('/studies/:study/instances', qidoHandler('instance', deps));
  r.get('/studies/:study/series/:series/instances', qidoHandler('instance', deps));

  const retrieve = retrieveHandler(deps);
  const metadata = metadataHandler(deps);
  r.get('/studies/:study', retrieve);
  r.get('/studies/:study/metadata', metadata);
  r.get('/studies/:study/series/:series', retrieve);
  r.get('/studies/:study/series/:series/metadata', metadata);
  r.get('/studies/:study/series/:series/instances/:instance', retrieve);
  r.get('/studies/:study/series/:series/instances/:instance/metadata', metadata);
  r.get('/studies/:study/series/:series/instances/:instance/frames/:frames', framesHandler(deps));
  r.get('/studies/:study/series/:series/instances/:instance/bulkdata/:tag', bulkdataHandler(deps));
  return r;
}
