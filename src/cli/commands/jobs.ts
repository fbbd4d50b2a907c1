/**
 * Operator commands against a running node's API (default URL from http.host/http.port of the configuration):
 *   neuro-onc-node jobs [--state failed] [--study UID]     list jobs (one line each; --json for the raw answer)
 *   neuro-onc-node job <id>                                one job: state, error, stage runs, outputs
 *   neuro-onc-node retry <id> [--from <stage>]             re-run a failed (or done) job
 *   neuro-onc-node ready <StudyInstanceUID>                mark a study complete now
 *   neuro-onc-node delete-study <StudyInstanceUID>         delete its instances and job work files now
 *   neuro-onc-node route <StudyInstanceUID>                dry run of the routing rules on a stored study
 * Exit 2 with the API's error message when the node refuses the request (4xx: bad input, unknown job or study,
 * refused credentials) or cannot be reached, 1 when it fails (5xx).
 * When the node requires authentication (http.auth), the secret comes from NEURO_ONC_API_SECRET (sent as a Bearer
 * token; never a command-line argument, which other users could read in the process list). For HTTPS with a
 * private CA, point NODE_EXTRA_CA_CERTS at the CA bundle.
 */
import type { Command } from 'commander';
import { loadConfig } from '../../config/load';
import { errorText } from '../../log/error-text';

interface Opts {
  url?: string;
  json?: boolean;
}

function baseUrl(program: Command, opts: Opts): string {
  if (opts.url) return opts.url.replace(/\/+$/, '');
  const cfg = loadConfig({ file: program.opts<{ config?: string }>().config });
  const host = cfg.http.host === '0.0.0.0' ? '127.0.0.1' : cfg.http.host;
  return `${cfg.http.tls ? 'https' : 'http'}://${host}:${cfg.http.port}`;
}

async function call(url: string, init: RequestInit = {}): Promise<unknown> {
  let res: Response;
  const secret = process.env.NEURO_ONC_API_SECRET;
  const headers = new Headers(init.headers);
  if (secret) headers.set('Authorization', `Bearer ${secret}`);
  try {
    res = await fetch(url, { ...init, headers });
  } catch (e) {
    process.stderr.write(`neuro-onc-node: cannot reach the node at ${url}: ${errorText(e)}\n`);
    process.exit(2);
  }
  const body = (await res.json().catch(() => ({}))) as { error?: string };
  if (!res.ok) {
    const hint = res.status === 401 ? (secret ? ' (NEURO_ONC_API_SECRET was sent and refused)' : ' (set NEURO_ONC_API_SECRET to a user\'s secret)') : '';
    process.stderr.write(`neuro-onc-node: ${res.status}: ${body.error ?? 'request failed'}${hint}\n`);
    process.exit(res.status < 500 ? 2 : 1);
  }
  return body;
}

interface JobView {
  id: number;
  studyInstanceUid: string;
  generation: number;
  state: string;
  attempts: number;
  lastError?: { stage: string; message: string };
  runs?: Array<{ stage: string; attempt: number; status: string; error?: string }>;
  outputs?: string[];
  dir?: string;
}

function line(j: JobView): string {
  const err = j.lastError ? `  ${j.lastError.stage}: ${j.lastError.message}` : '';
  return `${String(j.id).padStart(5)}  ${j.state.padEnd(13)} gen ${j.generation}  ${j.studyInstanceUid}${err}`;
}

const print = (s: string): void => void process.stdout.write(s + '\n');

export function registerJobsCommands(program: Command): void {
  program
    .command('jobs')
    .description('list jobs of a running node')
    .option('--state <state>', 'only jobs in this state (e.g. failed)')
    .option('--study <uid>', 'only jobs of this study')
    .option('--url <url>', 'node URL (default from the configuration)')
    .option('--json', 'print the API answer as JSON')
    .action(async (opts: Opts & { state?: string; study?: string }) => {
      const q = new URLSearchParams();
      if (opts.state) q.set('state', opts.state);
      if (opts.study) q.set('study', opts.study);
      const body = (await call(`${baseUrl(program, opts)}/api/jobs?${q}`)) as { jobs: JobView[] };
      if (opts.json) return print(JSON.stringify(body, null, 2));
      if (!body.jobs.length) return print('no jobs');
      for (const j of body.jobs) print(line(j));
    });

  program
    .command('job <id>')
    .description('show one job: state, last error, stage runs, outputs')
    .option('--url <url>', 'node URL (default from the configuration)')
    .option('--json', 'print the API answer as JSON')
    .action(async (id: string, opts: Opts) => {
      const j = (await call(`${baseUrl(program, opts)}/api/jobs/${encodeURIComponent(id)}`)) as JobView;
      if (opts.json) return print(JSON.stringify(j, null, 2));
      print(line(j));
      for (const r of j.runs ?? []) print(`       ${r.stage.padEnd(14)} attempt ${r.attempt}  ${r.status}${r.error ? `  ${r.error.split('\n')[0]}` : ''}`);
      print(`       outputs: ${(j.outputs ?? []).join(', ') || '-'}  (${j.dir ?? ''})`);
    });

  program
    .command('retry <id>')
    .description('re-run a failed job from its failed stage (or a done/failed job from --from)')
    .option('--from <stage>', 'stage to start from (identifying, preprocessing, inferring, encoding, delivering)')
    .option('--url <url>', 'node URL (default from the configuration)')
    .action(async (id: string, opts: Opts & { from?: string }) => {
      const j = (await call(`${baseUrl(program, opts)}/api/jobs/${encodeURIComponent(id)}/retry`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(opts.from ? { fromStage: opts.from } : {}),
      })) as JobView;
      print(line(j));
    });

  program
    .command('ready <studyInstanceUid>')
    .description('mark a received study complete now instead of waiting for the quiet period')
    .option('--url <url>', 'node URL (default from the configuration)')
    .action(async (uid: string, opts: Opts) => {
      const r = (await call(`${baseUrl(program, opts)}/api/studies/${encodeURIComponent(uid)}/ready`, { method: 'POST' })) as {
        state: string;
        generation: number;
        instanceCount: number;
        job?: JobView;
      };
      print(`${uid}: ${r.state}, generation ${r.generation}, ${r.instanceCount} instance(s)${r.job ? `, job ${r.job.id} ${r.job.state}` : ''}`);
    });

  program
    .command('route <studyInstanceUid>')
    .description('dry run: which routing rule a stored study matches and why, and whether its required series are present')
    .option('--url <url>', 'node URL (default from the configuration)')
    .option('--json', 'print the API answer as JSON')
    .action(async (uid: string, opts: Opts) => {
      const r = (await call(`${baseUrl(program, opts)}/api/studies/${encodeURIComponent(uid)}/routing`)) as {
        decision: { action: string; rule?: string; priority: string; models?: string[]; destinations?: string[]; summary: string; checks: Array<{ rule: string; matched: boolean; reasons: string[] }> };
        completion: { required: string[]; present: string[]; arriving: string[]; complete: boolean };
      };
      if (opts.json) return print(JSON.stringify(r, null, 2));
      const d = r.decision;
      print(`${uid}: ${d.summary}`);
      for (const c of d.checks) {
        print(`  ${c.matched ? 'matched ' : 'no match'}  ${c.rule}`);
        for (const why of c.reasons) print(`            ${why}`);
      }
      if (d.action === 'process') {
        print(`  priority ${d.priority}; models ${d.models?.join(', ') ?? 'by models.routing'}; destinations ${d.destinations?.join(', ') ?? 'delivery.to'}`);
      }
      const c = r.completion;
      if (c.required.length) {
        print(`  completion: requires ${c.required.join(', ')}; present ${c.present.join(', ') || 'none'}${c.arriving.length ? `; still arriving ${c.arriving.join(', ')}` : ''}${c.complete ? ' (complete)' : ''}`);
      }
    });

  program
    .command('delete-study <studyInstanceUid>')
    .description("delete a study's instances and its jobs' work files from the node now (job history is kept; docs/retention.md)")
    .option('--url <url>', 'node URL (default from the configuration)')
    .action(async (uid: string, opts: Opts) => {
      const r = (await call(`${baseUrl(program, opts)}/api/studies/${encodeURIComponent(uid)}`, { method: 'DELETE' })) as {
        deleted: { instances: number; bytes: number; jobs: number[] };
      };
      print(`${uid}: deleted ${r.deleted.instances} instance(s), ${(r.deleted.bytes / 1048576).toFixed(1)} MB; work folders of job(s) ${r.deleted.jobs.join(', ') || '-'} removed`);
    });
}
