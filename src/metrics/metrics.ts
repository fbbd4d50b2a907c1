/**
 * GET /metrics: the node's state in the Prometheus text exposition format (version 0.0.4), for the hospital's
 * monitoring (Prometheus, Grafana, Zabbix, ...). Everything is read from the database and the store at scrape
 * time, except the receive counters, which count since start. No PHI: counts, states and sizes only.
 *
 *   neuro_onc_jobs{state}                    jobs per state (failed > 0 wants an operator)
 *   neuro_onc_studies{state}                 studies receiving / ready
 *   neuro_onc_store_instances, _store_bytes  what the store holds
 *   neuro_onc_instances_received_total{source}  instances stored since start (stow, dimse, ...)
 *   neuro_onc_disk_free_bytes, _disk_min_free_bytes, _disk_accepting
 *   neuro_onc_dimse_associations             open DIMSE associations
 *   neuro_onc_build_info{version}            1
 *   neuro_onc_model_execution_provider{model,version,provider}  1 per loaded model: the provider its session runs on
 *   neuro_onc_review_results{model,version,state}   delivered results per review state (docs/review.md)
 *   neuro_onc_review_corrected_dice_mean{model,version}  mean AI-vs-corrected whole-tumour Dice of corrected results
 *   neuro_onc_review_corrected_with_dice{model,version}  how many corrected results that mean is over
 *   neuro_onc_review_head_accuracy{model,version,head}  agreement of a head with entered tissue results
 *   neuro_onc_review_recent_agreement{model,version}  share of the last N reviewed cases that agreed
 *   neuro_onc_review_drift_alert{model,version}       1 while that share is below review.drift.minAgreement
 */
import { Router } from 'express';
import type { JobMachine } from '../jobs/machine';
import type { DimseScp } from '../dimse-bridge/scp';
import type { InstanceStore } from '../store/store';
import type { StudyTracker } from '../study/tracker';
import { nodeVersion } from '../version';
import type { ModelMonitoring } from '../review/monitoring';

export interface Sample {
  labels?: Record<string, string>;
  value: number;
}

export interface Metric {
  name: string;
  help: string;
  type: 'gauge' | 'counter';
  samples: Sample[];
}

const escapeLabel = (v: string): string => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
const escapeHelp = (v: string): string => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');

/** The text exposition of `metrics` (pure). */
export function exposition(metrics: Metric[]): string {
  const lines: string[] = [];
  for (const m of metrics) {
    lines.push(`# HELP ${m.name} ${escapeHelp(m.help)}`, `# TYPE ${m.name} ${m.type}`);
    for (const s of m.samples) {
      const labels = Object.entries(s.labels ?? {});
      const l = labels.length ? `{${labels.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',')}}` : '';
      lines.push(`${m.name}${l} ${Number.isFinite(s.value) ? s.value : 'NaN'}`);
    }
  }
  return lines.join('\n') + '\n';
}

const JOB_STATES = ['received', 'ready', 'identifying', 'preprocessing', 'inferring', 'encoding', 'delivering', 'done', 'failed', 'superseded'];

export interface MetricsSources {
  store: InstanceStore;
  studies: StudyTracker;
  jobs: JobMachine;
  /** The SCP, once started (undefined when dimse.enabled is false). */
  dimse?: () => DimseScp | undefined;
  /** More metrics from outside (the distributed mode's queue depth and workers, src/cluster). */
  extra?: () => Promise<Metric[]>;
  /** Review monitoring per model version (src/review). */
  review?: () => ModelMonitoring[];
}

/** The review monitoring as metrics (pure). */
export function reviewMetrics(rows: readonly ModelMonitoring[]): Metric[] {
  const l = (m: ModelMonitoring, extra: Record<string, string> = {}): Record<string, string> => ({ model: m.model, version: m.version, ...extra });
  return [
    {
      name: 'neuro_onc_review_results',
      help: 'Delivered results per review state.',
      type: 'gauge',
      samples: rows.flatMap((m) => (['pending', 'accepted', 'rejected', 'corrected'] as const).map((state) => ({ labels: l(m, { state }), value: m[state] }))),
    },
    {
      name: 'neuro_onc_review_corrected_dice_mean',
      help: 'Mean AI-vs-corrected Dice (whole tumour) of corrected results.',
      type: 'gauge',
      samples: rows.filter((m) => m.dice.length).map((m) => ({ labels: l(m), value: m.dice.reduce((a, b) => a + b, 0) / m.dice.length })),
    },
    { name: 'neuro_onc_review_corrected_with_dice', help: 'Corrected results with a Dice.', type: 'gauge', samples: rows.map((m) => ({ labels: l(m), value: m.dice.length })) },
    {
      name: 'neuro_onc_review_head_accuracy',
      help: 'Share of entered tissue results a classification head predicted.',
      type: 'gauge',
      samples: rows.flatMap((m) => m.heads.filter((h) => h.accuracy !== null).map((h) => ({ labels: l(m, { head: h.head }), value: h.accuracy! }))),
    },
    {
      name: 'neuro_onc_review_recent_agreement',
      help: 'Share of the last review.drift.window reviewed cases that agreed with the AI.',
      type: 'gauge',
      samples: rows.filter((m) => m.drift.agreement !== null).map((m) => ({ labels: l(m), value: m.drift.agreement! })),
    },
    { name: 'neuro_onc_review_drift_alert', help: '1 while recent agreement is below review.drift.minAgreement.', type: 'gauge', samples: rows.map((m) => ({ labels: l(m), value: m.drift.alert ? 1 : 0 })) },
  ];
}

/** The execution provider each loaded model runs on (pure; the provider that started, not the configured wish). */
export function executionProviderMetrics(models: ReadonlyArray<{ name: string; version: string; executionProvider: string }>): Metric[] {
  return [
    {
      name: 'neuro_onc_model_execution_provider',
      help: 'Execution provider each loaded model runs on (cuda, webgpu or cpu), 1 per model.',
      type: 'gauge',
      samples: models.map((m) => ({ labels: { model: m.name, version: m.version, provider: m.executionProvider }, value: 1 })),
    },
  ];
}

/** Collects the node's metrics; `received` counts stored instances per source since start. */
export class NodeMetrics {
  private readonly received = new Map<string, number>();
  private readonly unsubscribe: () => void;

  constructor(private readonly src: MetricsSources) {
    this.unsubscribe = src.store.onStored((e) => this.received.set(e.source, (this.received.get(e.source) ?? 0) + 1));
  }

  close(): void {
    this.unsubscribe();
  }

  async collect(): Promise<Metric[]> {
    const db = this.src.store.db;
    const jobCounts = new Map((db.prepare('SELECT state, COUNT(*) AS n FROM jobs GROUP BY state').all() as Array<{ state: string; n: number }>).map((r) => [r.state, r.n]));
    const studyCounts = new Map((db.prepare('SELECT state, COUNT(*) AS n FROM study_activity GROUP BY state').all() as Array<{ state: string; n: number }>).map((r) => [r.state, r.n]));
    const store = db.prepare('SELECT COUNT(*) AS n, COALESCE(SUM(size), 0) AS bytes FROM instances').get() as { n: number; bytes: number };
    const disk = await this.src.store.disk.check().catch(() => undefined);
    const metrics: Metric[] = [
      { name: 'neuro_onc_build_info', help: 'Node version.', type: 'gauge', samples: [{ labels: { version: nodeVersion() }, value: 1 }] },
      { name: 'neuro_onc_jobs', help: 'Jobs per state (one job per study generation).', type: 'gauge', samples: JOB_STATES.map((state) => ({ labels: { state }, value: jobCounts.get(state) ?? 0 })) },
      { name: 'neuro_onc_studies', help: 'Studies per completeness state.', type: 'gauge', samples: ['receiving', 'ready'].map((state) => ({ labels: { state }, value: studyCounts.get(state) ?? 0 })) },
      { name: 'neuro_onc_store_instances', help: 'Instances in the store.', type: 'gauge', samples: [{ value: store.n }] },
      { name: 'neuro_onc_store_bytes', help: 'Bytes of the instances in the store.', type: 'gauge', samples: [{ value: store.bytes }] },
      { name: 'neuro_onc_instances_received_total', help: 'Instances stored since the node started, per source.', type: 'counter', samples: [...this.received].sort().map(([source, n]) => ({ labels: { source }, value: n })) },
    ];
    if (disk) {
      metrics.push(
        { name: 'neuro_onc_disk_free_bytes', help: 'Free bytes on the disk holding node.dataDir.', type: 'gauge', samples: [{ value: disk.freeBytes }] },
        { name: 'neuro_onc_disk_min_free_bytes', help: 'node.minFreeDiskMb in bytes: below it new instances are refused.', type: 'gauge', samples: [{ value: disk.minFreeBytes }] },
        { name: 'neuro_onc_disk_accepting', help: '1 while the node accepts new instances (free space above the floor).', type: 'gauge', samples: [{ value: disk.accepting ? 1 : 0 }] },
      );
    }
    const scp = this.src.dimse?.();
    if (this.src.review) metrics.push(...reviewMetrics(this.src.review()));
    if (scp) metrics.push({ name: 'neuro_onc_dimse_associations', help: 'Open DIMSE associations (SCP).', type: 'gauge', samples: [{ value: scp.activeAssociations() }] });
    if (this.src.extra) metrics.push(...(await this.src.extra()));
    return metrics;
  }
}

/** GET /metrics (mounted at the root by src/node.ts; scope read when http.auth has users). */
export function metricsRouter(metrics: NodeMetrics): Router {
  const r = Router();
  r.get('/metrics', async (_req, res) => {
    res.setHeader('Content-Type', 'text/plain; version=0.0.4; charset=utf-8');
    res.setHeader('Cache-Control', 'no-store');
    res.send(exposition(await metrics.collect()));
  });
  return r;
}
