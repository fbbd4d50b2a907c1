/**
 * Composition root: builds the node from a validated configuration. Used by `neuro-onc-node serve`, by tests
 * (in-process or as a child process through dist/), by the demo and by the bench.
 *
 *   const node = await startNode(loadConfig());
 *   node.httpUrl            // http://127.0.0.1:8080
 *   node.store / node.studies / node.jobs
 *   await node.close();     // graceful: stop HTTP, abort running stages (they resume next start), close the store
 */
import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Express, Router } from 'express';
import type { Config } from './config/schema';
import { serverTlsOptions } from './config/tls-files';
import { dicomwebRouter } from './dicomweb/router';
import { jobsRouter } from './jobs/api';
import { JobMachine, registerStages, type JobMachineOptions } from './jobs/machine';
import { UNCHECKED_OUTPUTS, type StageOutputMap, type StagePlan } from './jobs/types';
import { createLogger } from './log/logger';
import { openDatabase } from './store/database';
import { storeLayout } from './store/paths';
import { InstanceStore } from './store/store';
import { diskSpaceMb, lowDiskMessage } from './store/disk-space';
import { studiesRouter } from './study/api';
import { StudyTracker } from './study/tracker';
import { Retention } from './retention/retention';
import { NodeMetrics, metricsRouter, type Metric } from './metrics/metrics';
import { buildApp } from './web/app';
import { serverOptions } from './web/server-options';
import { DEFAULT_MANUFACTURER } from './encoders/options';
import { uiRouter } from './web/ui/router';
import { dimseRouter } from './dimse-bridge/http';
import { startDimseService } from './dimse-bridge/service';
import type { DimseScp } from './dimse-bridge/scp';
import { Notifier } from './notify/notifier';
import { admission, routingRouter } from './routing/api';
import { CompletionWatcher } from './routing/completion';
import { AuditTrail } from './audit';
import { AuditRecorder } from './audit/recorder';
import { watchJobs } from './audit/job-watch';
import { AuditExporter } from './audit/export';
import { ReviewService } from './review/service';
import { reviewSources } from './pipeline/review-sources';
import { reviewRouter } from './review/api';
import { recordStart, recordStop } from './audit/application';

export interface StartNodeOptions<M extends StageOutputMap = StageOutputMap> {
  /** Listen on http.host:http.port (default true). Port 0 picks a free port. */
  listen?: boolean;
  /** The job stages: handlers and the schemas of their outputs (src/pipeline/stages.ts pipelineStages). Without them every stage passes through. */
  stages?: StagePlan<M>;
  /** Job retry back-off override (tests use short delays). */
  backoffMs?: (failedAttempts: number) => number;
  /** Run jobs (default true). */
  runJobs?: boolean;
  /** More routers under /api (the distributed mode's worker API, src/cluster). */
  api?: Router[];
  /** More samples for /metrics (the distributed mode's queue and workers). */
  metrics?: () => Promise<Metric[]>;
  /** Senders for review SRs (tests wrap them; default STOW-RS and C-STORE like the pipeline). */
  reviewSenders?: ConstructorParameters<typeof ReviewService>[0]['senders'];
}

export interface NodeHandle {
  config: Config;
  /** http://host:port (undefined when not listening) */
  httpUrl: string;
  /** httpUrl + dicomwebBasePath */
  dicomwebUrl: string;
  app: Express;
  server?: Server;
  store: InstanceStore;
  studies: StudyTracker;
  jobs: JobMachine;
  /** Deletes processed studies after node.retention.days; deleteStudy() for operators. */
  retention: Retention;
  /** The C-ECHO/C-STORE SCP (undefined when dimse.enabled is false). */
  dimse?: DimseScp;
  /** Webhook and e-mail notifications (docs/notifications.md). */
  notifier: Notifier;
  /** Review states, corrections, tissue results, monitoring (docs/review.md). */
  review: ReviewService;
  /** The tamper-evident audit trail (docs/audit.md): audit.record(event). */
  audit: AuditRecorder;
  /** Sends the trail to the audit record repository (audit.export), when configured. */
  auditExporter?: AuditExporter;
  close(): Promise<void>;
}

export async function startNode<M extends StageOutputMap = StageOutputMap>(config: Config, opts: StartNodeOptions<M> = {}): Promise<NodeHandle> {
  const log = createLogger('node');
  // TLS files first: a bad path stops start-up before anything is opened.
  const https = config.http.tls && opts.listen !== false ? serverTlsOptions('http.tls', config.http.tls) : undefined;
  mkdirSync(config.node.dataDir, { recursive: true });
  const db = openDatabase(storeLayout(config.node.dataDir).database);
  const trail = AuditTrail.open({ dataDir: config.node.dataDir, db, logger: createLogger('audit'), anchorEvery: config.audit.anchorEvery, anchorIntervalMs: config.audit.anchorIntervalSeconds * 1000 });
  // Before the start record, so a repository configured for the first time receives it.
  const auditExporter = config.audit.export ? new AuditExporter({ config: config.audit.export, trail, db, logger: createLogger('audit'), aeTitle: config.dimse.aeTitle, nodeName: config.node.name }) : undefined;
  recordStart(trail, config);
  const audit = new AuditRecorder(trail);
  const store = await InstanceStore.open({
    dataDir: config.node.dataDir,
    acceptedSopClasses: config.node.acceptedSopClasses,
    durableWrites: config.node.durableWrites,
    minFreeBytes: config.node.minFreeDiskMb * 1024 * 1024,
    duplicatePolicy: config.node.duplicatePolicy,
    db,
    logger: createLogger('store'),
  });
  if (store.recovery && !store.recovery.clean) log.info('store opened after an unclean stop', { ...store.recovery });
  const disk = await store.disk.check().catch(() => undefined);
  if (disk && !disk.accepting) log.error(`starting with a nearly full disk: ${lowDiskMessage(disk)}`);
  const reviewSlot: { current?: ReviewService } = {}; // built below, once the job machine exists
  const studies = new StudyTracker({
    db,
    store,
    quietPeriodMs: config.study.quietPeriodSeconds * 1000,
    logger: createLogger('study'),
    ownManufacturer: DEFAULT_MANUFACTURER,
    isReviewInput: (e) => reviewSlot.current?.isCorrection(e) ?? false,
  });
  const jobs = jobMachine({
    db,
    store,
    dataDir: config.node.dataDir,
    concurrency: config.pipeline.concurrency,
    maxAttempts: config.pipeline.maxAttempts,
    logger: createLogger('jobs'),
    backoffMs: opts.backoffMs,
    // Routing rules decide at ready time (docs/routing.md); without rules every study is processed as before.
    ...(config.routing.rules.length ? { admit: (uid: string) => admission(config, store, uid) } : {}),
  }, opts.stages);
  const unwatchJobs = watchJobs(jobs, audit, createLogger('audit'));
  const notifySlot: { current?: Notifier } = {};
  // Radiologist review, tissue results and monitoring (docs/review.md).
  const review = new ReviewService({ db, store, jobs, config, pipeline: reviewSources(config, jobs, store), logger: createLogger('review'), notify: (e) => notifySlot.current?.enqueue(e), audit, ...(opts.reviewSenders ? { senders: opts.reviewSenders } : {}) });
  reviewSlot.current = review;
  jobs.attach(studies);
  studies.start();
  const completion = new CompletionWatcher({ store, tracker: studies, config, logger: createLogger('routing') });
  completion.start();
  if (opts.runJobs !== false) jobs.start();
  const retention = new Retention({ store, studies, jobs, days: config.node.retention.days, sweepIntervalMinutes: config.node.retention.sweepIntervalMinutes, logger: createLogger('retention'), audit });
  if (opts.runJobs !== false) retention.start();
  const links = { base: undefined as string | undefined };
  const notifier = new Notifier({ db, config, jobs, disk: store.disk, logger: createLogger('notify'), pageBase: () => links.base });
  notifySlot.current = notifier;
  notifier.start();
  review.start();

  const scp: { current?: DimseScp } = {}; // started below, after the HTTP app is built
  const metrics = new NodeMetrics({ store, studies, jobs, dimse: () => scp.current, review: () => review.monitoring(), ...(opts.metrics ? { extra: opts.metrics } : {}) });
  const app = buildApp({
    dicomwebBasePath: config.http.dicomwebBasePath,
    dicomweb: dicomwebRouter({ store, basePath: config.http.dicomwebBasePath, publicBaseUrl: config.http.publicBaseUrl, maxUploadBytes: config.http.maxUploadBytes, maxPartsPerRequest: config.http.maxPartsPerRequest, logger: createLogger('dicomweb'), audit }),
    api: [jobsRouter(jobs), studiesRouter({ tracker: studies, store, jobs, retention }), routingRouter({ config, store }), dimseRouter(config), reviewRouter(review), ...(opts.api ?? [])],
    logger: createLogger('http'),
    health: () => {
      const d = store.disk.last;
      return { name: config.node.name, instances: store.index.instanceCount(), ...(d ? { disk: { ...diskSpaceMb(d), accepting: d.accepting } } : {}) };
    },
    pages: config.http.ui ? [{ path: '/ui', router: uiRouter({ jobs, studies, store, config, logger: createLogger('ui'), audit, review }) }] : [],
    users: config.http.auth.users,
    corsOrigins: config.http.corsOrigins,
    uploadRate: { minBytesPerSecond: config.http.uploadMinBytesPerSecond, windowSeconds: config.http.uploadRateWindowSeconds },
    metrics: metricsRouter(metrics),
    audit,
  });

  // DIMSE bridge (src/dimse-bridge): C-ECHO/C-STORE SCP into the same store, so C-STORE instances reach the same
  // study tracker and jobs as STOW-RS ones.
  const dimse = await startDimseService(config, store, audit);
  scp.current = dimse;

  let server: Server | undefined;
  let httpUrl = '';
  if (opts.listen !== false) {
    const limits = serverOptions(config.http);
    server = https ? createHttpsServer({ ...https, ...limits }, app) : createServer(limits, app);
    await new Promise<void>((resolve, reject) => {
      server!.once('error', reject);
      server!.listen(config.http.port, config.http.host, () => resolve());
    });
    const addr = server.address() as AddressInfo;
    const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
    httpUrl = `${https ? 'https' : 'http'}://${host === '0.0.0.0' ? '127.0.0.1' : host}:${addr.port}`;
    links.base = config.http.publicBaseUrl ?? httpUrl;
    log.info('node listening', { url: httpUrl, dicomweb: httpUrl + config.http.dicomwebBasePath, dataDir: config.node.dataDir, users: config.http.auth.users.length, clientCertificates: config.http.tls?.clientCertificates ?? 'none' });
  }

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      if (server) {
        const s = server;
        // Requests in progress may finish (a STOW is acknowledged only when durable); after 10 s they are cut.
        await new Promise<void>((resolve) => {
          const force = setTimeout(() => s.closeAllConnections(), 10_000);
          force.unref();
          s.close(() => {
            clearTimeout(force);
            resolve();
          });
          s.closeIdleConnections();
        });
      }
      await retention.stop();
      await review.close();
      await notifier.close();
      await dimse?.close(); // stop receiving first; an instance cut off here is discarded, never half-stored
      completion.close();
      studies.close();
      metrics.close();
      await jobs.close();
      await store.close();
      unwatchJobs();
      audit.flush();
      recordStop(trail);
      // The stop record and any backlog get two seconds to reach the repository; the rest waits in the outbox.
      if (auditExporter) await Promise.race([auditExporter.idle(), new Promise((r) => setTimeout(r, 2000).unref())]);
      await auditExporter?.close();
      trail.close();
      db.close();
      log.info('node stopped');
    })();
    return closing;
  };

  return { config, httpUrl, dicomwebUrl: httpUrl + config.http.dicomwebBasePath, app, server, store, studies, jobs, retention, dimse, notifier, review, audit, ...(auditExporter ? { auditExporter } : {}), close };
}

/** The job machine over the given stages' outputs (plain JSON passing through when there are none). */
function jobMachine<M extends StageOutputMap>(opts: Omit<JobMachineOptions, 'outputs'>, plan: StagePlan<M> | undefined): JobMachine {
  if (!plan) return new JobMachine({ ...opts, outputs: UNCHECKED_OUTPUTS });
  const machine = new JobMachine<M>({ ...opts, outputs: plan.outputs });
  registerStages(machine, plan.handlers);
  return machine;
}
