/**
 * Serves the OHIF Viewer 3 production build (fetched by scripts/fetch-ohif.sh) the way a site deploys it: static
 * files with an SPA fallback, our own app-config.js, and the PACS's DICOMweb root proxied under /dicom-web on the
 * same origin (so no CORS set-up on the PACS). Loopback only; for the viewer test.
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, request as httpRequest } from 'node:http';
import { extname, join, resolve } from 'node:path';

export const OHIF_VERSION = '3.13.2';
export const OHIF_DIST = resolve(__dirname, '../../.cache', `ohif-app-${OHIF_VERSION}`, 'dist');

const TYPES: Record<string, string> = {
  '.js': 'text/javascript', '.css': 'text/css', '.html': 'text/html', '.wasm': 'application/wasm', '.json': 'application/json',
  '.woff2': 'font/woff2', '.png': 'image/png', '.ico': 'image/x-icon', '.svg': 'image/svg+xml',
};

/** OHIF's window.config: one DICOMweb data source (the PACS behind /dicom-web), no study list, no tours. */
function appConfig(): string {
  const source = {
    namespace: '@ohif/extension-default.dataSourcesModule.dicomweb',
    sourceName: 'pacs',
    configuration: {
      friendlyName: 'PACS', name: 'pacs',
      wadoUriRoot: '/dicom-web', qidoRoot: '/dicom-web', wadoRoot: '/dicom-web',
      qidoSupportsIncludeField: false, imageRendering: 'wadors', thumbnailRendering: 'wadors', enableStudyLazyLoad: true,
      supportsFuzzyMatching: false, supportsWildcard: true, staticWado: false, singlepart: 'bulkdata,video',
      bulkDataURI: { enabled: true, relativeResolution: 'studies' }, omitQuotationForMultipartRequest: true,
    },
  };
  const config = {
    routerBasename: null, extensions: [], modes: [], showStudyList: false, maxNumberOfWebWorkers: 2,
    showCPUFallbackMessage: false, showLoadingIndicator: true, showErrorDetails: 'always',
    defaultDataSourceName: 'pacs', dataSources: [source],
  };
  return `window.config = ${JSON.stringify(config)};`;
}

export interface OhifServer {
  url: string;
  close(): Promise<void>;
}

export async function startOhif(dicomWebUrl: string): Promise<OhifServer> {
  if (!existsSync(join(OHIF_DIST, 'index.html'))) {
    throw new Error(`OHIF viewer build not found at ${OHIF_DIST}: run \`bash scripts/fetch-ohif.sh\` (npm test does)`);
  }
  const upstream = new URL(dicomWebUrl);
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://viewer');
    if (url.pathname === '/dicom-web' || url.pathname.startsWith('/dicom-web/')) {
      const path = upstream.pathname.replace(/\/$/, '') + (req.url ?? '').slice('/dicom-web'.length);
      const up = httpRequest({ host: upstream.hostname, port: upstream.port, method: req.method, path, headers: { ...req.headers, host: upstream.host } }, (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      });
      up.on('error', (e) => res.writeHead(502).end(String(e)));
      req.pipe(up);
      return;
    }
    if (url.pathname === '/app-config.js') {
      res.writeHead(200, { 'Content-Type': 'text/javascript' }).end(appConfig());
      return;
    }
    let file = resolve(OHIF_DIST, `.${decodeURIComponent(url.pathname)}`);
    if (!file.startsWith(OHIF_DIST + '/') || !existsSync(file) || statSync(file).isDirectory()) file = join(OHIF_DIST, 'index.html');
    res.writeHead(200, { 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream' });
    createReadStream(file).pipe(res);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}
