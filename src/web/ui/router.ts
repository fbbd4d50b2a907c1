/**
 * The web interface, mounted at /ui by the composition root when http.ui is true (the default):
 *
 *   GET /ui                                   operator dashboard (studies, jobs per stage, errors, Retry, Mark complete)
 *   GET /ui/dashboard.json                    the dashboard's data (PHI-free), polled by the page
 *   GET /ui/jobs/{id}                         clinician result page
 *   GET /ui/monitoring                        model monitoring: review rates, Dice, tissue agreement, drift (docs/review.md)
 *   GET /ui/jobs/{id}/patient                 plain-language patient page (only with http.pages.patientPage)
 *   GET /ui/jobs/{id}/key-image.png?model=    slice with the largest segmented area, overlay burned in
 *   GET /ui/jobs/{id}/viewer-data?model=      the slice viewer's volume and label map (viewer-data.ts)
 *   GET /ui/jobs/{id}/files/{SOPInstanceUID}  a result object the encoding stage wrote (application/dicom)
 *   GET /ui/assets/ui.css, /ui/assets/dashboard.js, /ui/assets/viewer.js, /ui/assets/favicon.svg
 *
 * Every response carries a strict Content-Security-Policy (everything from the node itself, no inline script or
 * style) and no-store caching. The buttons call the operator API (/api). Who may see the pages and press the buttons
 * is decided before this router, by http.auth (src/web/access-control.ts, docs/security.md).
 */
import { createReadStream } from 'node:fs';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { basename } from 'node:path';
import { Router, type Request, type RequestHandler, type Response } from 'express';
import type { Config } from '../../config/schema';
import { isValidUid } from '../../dicom/uids';
import type { JobMachine } from '../../jobs/machine';
import { readPipelineOutput } from '../../pipeline/stage-outputs';
import type { Logger } from '../../log/logger';
import type { InstanceStore } from '../../store/store';
import type { StudyTracker } from '../../study/tracker';
import { nodeVersion } from '../../version';
import { httpActor, type AuditRecorder } from '../../audit/recorder';
import { dashboardData, parseDashboardFilter } from './dashboard-data';
import { renderDashboard } from './dashboard-page';
import { DASHBOARD_JS } from './dashboard-script';
import { html } from './html';
import { FindingsCache, loadJobResults, resultFilePath, workDirOf } from './job-results';
import { keyImagePng } from './key-image';
import { page } from './layout';
import { renderPatientPage } from './patient-page';
import { patientContextOf, renderResultPage } from './result-page';
import { viewerData } from './viewer-data';
import { VIEWER_JS } from './viewer-script';
import { ohifLink } from '../../config/sections/ui-pages';
import type { Findings } from '../../ai/findings';
import { FAVICON_SVG, UI_CSS } from './styles';
import { deliveryConfigured } from '../../config/sections/delivery';
import type { ReviewService } from '../../review/service';
import { renderMonitoringPage } from './monitoring-page';
import { REVIEW_JS } from './review-panel';

const gzipAsync = promisify(gzip);

export interface UiDeps {
  jobs: JobMachine;
  studies: StudyTracker;
  store: InstanceStore;
  config: Config;
  logger: Logger;
  /** Result pages looked at go into the audit trail (one record per user, job and burst). */
  audit?: Pick<AuditRecorder, 'accessed'>;
  /** Review state for the result pages and the monitoring page (src/review). */
  review?: ReviewService;
}

export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

const securityHeaders: RequestHandler = (_req, res, next) => {
  res.set({
    'Content-Security-Policy': CONTENT_SECURITY_POLICY,
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    'Referrer-Policy': 'no-referrer',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
    'Permissions-Policy': 'camera=(), microphone=(), geolocation=(), usb=()',
    // Clinical results: never kept in shared or browser caches.
    'Cache-Control': 'no-store',
  });
  next();
};

const JOB_ID = /^[1-9][0-9]{0,9}$/;

export function uiRouter(deps: UiDeps): Router {
  const r = Router();
  const node = { name: deps.config.node.name, version: nodeVersion() };
  const cache = new FindingsCache(2);
  const pages = deps.config.http.pages;
  const sources = { jobs: deps.jobs, cache, dataDir: deps.config.node.dataDir, destinations: deps.config.delivery.to };

  const sendPage = (res: Response, status: number, body: string): void => {
    res.status(status).type('html').send(body);
  };
  const problem = (res: Response, status: number, title: string, text: string): void => {
    sendPage(res, status, page({ title, node, body: html`<h1>${title}</h1><section class="panel"><p>${text}</p><p><a href="/ui">Back to the dashboard</a></p></section>` }));
  };
  /** The job id of /jobs/:id, or undefined after answering 400/404. */
  const jobOf = (req: Request, res: Response): number | undefined => {
    const raw = String(req.params.id);
    if (!JOB_ID.test(raw)) {
      problem(res, 400, 'Bad job number', `"${raw}" is not a job number.`);
      return undefined;
    }
    const id = Number(raw);
    const job = deps.jobs.get(id);
    if (!job) {
      problem(res, 404, 'No such job', `This node has no job ${id}.`);
      return undefined;
    }
    deps.audit?.accessed('result-page', httpActor(req, res), [{ studyInstanceUid: job.studyInstanceUid }], id);
    return id;
  };
  /** Async route with an HTML error page instead of the API's JSON error. */
  const route =
    (fn: (req: Request, res: Response) => Promise<void> | void): RequestHandler =>
    async (req, res) => {
      try {
        await fn(req, res);
      } catch (e) {
        deps.logger.error('ui page failed', { path: req.path, error: (e as Error).message, stack: (e as Error).stack });
        if (res.headersSent) res.destroy();
        else problem(res, 500, 'Something went wrong', `The page could not be built: ${(e as Error).message}`);
      }
    };

  r.use(securityHeaders);

  r.get('/assets/ui.css', (_req, res) => {
    res.type('text/css').send(UI_CSS);
  });
  r.get('/assets/favicon.svg', (_req, res) => {
    res.type('image/svg+xml').send(FAVICON_SVG);
  });
  r.get('/assets/dashboard.js', (_req, res) => {
    res.type('text/javascript').send(DASHBOARD_JS);
  });
  r.get('/assets/viewer.js', (_req, res) => {
    res.type('text/javascript').send(VIEWER_JS);
  });
  r.get('/assets/review.js', (_req, res) => {
    res.type('text/javascript').send(REVIEW_JS);
  });

  r.get('/monitoring', route((_req, res) => {
    sendPage(res, 200, renderMonitoringPage(deps.review?.monitoring() ?? [], node));
  }));

  // The dashboard's search and paging come from the query string; an accession number is searched for operators only.
  const data = (req: Request, res: Response): ReturnType<typeof dashboardData> | undefined => {
    const scopes = res.locals.scopes as readonly string[] | undefined;
    const parsed = parseDashboardFilter(req.query, scopes === undefined || scopes.includes('operate'));
    if ('error' in parsed) {
      if (req.path.endsWith('.json')) res.status(parsed.status).json({ error: parsed.error, status: parsed.status });
      else problem(res, parsed.status, 'Bad search', parsed.error);
      return undefined;
    }
    return dashboardData({ jobs: deps.jobs, studies: deps.studies, store: deps.store, node, delivers: deliveryConfigured(deps.config), patientPage: deps.config.http.pages.patientPage }, Date.now(), parsed.filter);
  };
  r.get('/', route((req, res) => {
    const d = data(req, res);
    const scopes = res.locals.scopes as readonly string[] | undefined;
    if (d) sendPage(res, 200, renderDashboard(d, scopes === undefined || scopes.includes('operate')));
  }));
  r.get('/dashboard.json', route((req, res) => {
    const d = data(req, res);
    if (d) res.json(d);
  }));

  r.get('/jobs/:id', route(async (req, res) => {
    const id = jobOf(req, res);
    if (id === undefined) return;
    const results = (await loadJobResults(sources, id))!;
    // Identifying data on purpose: the reader must see whose scan this is (wrong-patient risk; docs/security.md).
    const study = deps.store.getStudy(results.job.studyInstanceUid);
    const scopes = res.locals.scopes as readonly string[] | undefined;
    sendPage(res, 200, renderResultPage(results, node, {
      ...(study ? { patient: patientContextOf(study) } : {}),
      ...(deps.review ? { reviews: deps.review.statusOfJob(id), canReview: scopes === undefined || scopes.includes('review') } : {}),
      ...(pages.ohifUrl ? { ohifUrl: ohifLink(pages.ohifUrl, results.job.studyInstanceUid)! } : {}),
      patientPage: pages.patientPage,
    }));
  }));

  r.get('/jobs/:id/patient', route(async (req, res) => {
    if (!pages.patientPage) return problem(res, 404, 'No patient page', 'The patient page is turned off on this node (setting http.pages.patientPage).');
    const id = jobOf(req, res);
    if (id === undefined) return;
    sendPage(res, 200, renderPatientPage((await loadJobResults(sources, id))!, node, { survival: pages.patientSurvival }));
  }));

  /** The Findings of ?model= (else the job's first model), or undefined after answering 404. */
  const findingsOf = async (req: Request, res: Response, id: number, what: string): Promise<Findings | undefined> => {
    const infer = (await readPipelineOutput(deps.jobs, id, 'inferring'))?.output;
    const want = typeof req.query.model === 'string' ? req.query.model : undefined;
    const m = infer?.models?.find((x) => want === undefined || x.model === want);
    if (!m) {
      problem(res, 404, `No ${what}`, want ? `Job ${id} has no findings of model "${want}".` : `Job ${id} has no findings yet.`);
      return undefined;
    }
    return cache.get(workDirOf(deps.jobs, id), m.artifact);
  };

  r.get('/jobs/:id/key-image.png', route(async (req, res) => {
    const id = jobOf(req, res);
    if (id === undefined) return;
    const findings = await findingsOf(req, res, id, 'key image');
    if (!findings) return;
    const img = keyImagePng(findings);
    if (!img) return problem(res, 404, 'No key image', `Model ${findings.model.name} produced no segmentation for job ${id}.`);
    res.type('image/png').send(img.png);
  }));

  r.get('/jobs/:id/viewer-data', route(async (req, res) => {
    const id = jobOf(req, res);
    if (id === undefined) return;
    const findings = await findingsOf(req, res, id, 'viewer data');
    if (!findings) return;
    const data = viewerData(findings);
    if (!data) return problem(res, 404, 'No viewer data', `Model ${findings.model.name} produced no segmentation for job ${id}.`);
    res.type('application/octet-stream').set('Vary', 'Accept-Encoding');
    // The label map is mostly zeros: gzip (fast level) makes the payload several times smaller.
    if (req.acceptsEncodings('gzip')) res.set('Content-Encoding', 'gzip').send(await gzipAsync(data, { level: 1 }));
    else res.send(data);
  }));

  r.get('/jobs/:id/files/:sop', route(async (req, res) => {
    const id = jobOf(req, res);
    if (id === undefined) return;
    const sop = String(req.params.sop);
    if (!isValidUid(sop)) return problem(res, 400, 'Bad file reference', 'A result file is named by its SOP Instance UID.');
    const file = await resultFilePath(deps.jobs, id, sop);
    if (!file) return problem(res, 404, 'No such result file', `Job ${id} wrote no object with that SOP Instance UID.`);
    await new Promise<void>((resolve, reject) => {
      const stream = createReadStream(file.path);
      stream.once('open', () => {
        const name = `${file.model}-${file.kind}-${basename(file.path, '.dcm')}-job${id}.dcm`.replace(/[^A-Za-z0-9._-]/g, '_');
        res.type('application/dicom').set('Content-Disposition', `attachment; filename="${name}"`);
        stream.pipe(res);
      });
      stream.once('error', reject);
      res.once('finish', resolve);
      res.once('close', resolve);
    });
  }));

  r.use(route((req, res) => problem(res, 404, 'Page not found', `There is no page ${req.originalUrl.split('?')[0]}.`)));
  return r;
}
