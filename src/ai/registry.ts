/**
 * Model registry: loads every package under models.dir at start-up (manifest, sha256, graph check, one warm
 * session each), reports and skips broken packages, and routes a study to the models that should run.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type * as ort from 'onnxruntime-node';
import type { Logger } from '../log/logger';
import type { ModelRole } from '../series-id/roles';
import { ModelPackageError } from './errors';
import { NodeStoppingError } from './native-gate';
import { checkGraph } from './graph-check';
import { auxiliaryFeeds } from './feeds';
import { ManifestError, parseManifest, type ModelManifest } from './manifest';
import { tensorSpatialShape } from './patch';
import { openSession, type ExecutionProviderName, type SessionOptions } from './runtime';

export interface LoadedModel {
  name: string;
  dir: string;
  manifest: ModelManifest;
  session: ort.InferenceSession;
  executionProvider: ExecutionProviderName;
  /** Providers tried before the one in use, with their errors. */
  fallbacks: string[];
  sha256: string;
  /**
   * Tensor class matching the session's runtime (default onnxruntime-node's). The S5 benchmark swaps in an
   * onnxruntime-web session and its Tensor to run the same engine on wasm.
   */
  Tensor?: typeof ort.Tensor;
}

export interface PackageReport {
  dir: string;
  name?: string;
  ok: boolean;
  reason?: string;
  message?: string;
  executionProvider?: ExecutionProviderName;
  /** Milliseconds of the warm-up forward, when the model was warmed at load. */
  warmUpMs?: number;
}

export function sha256File(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/**
 * One forward on zeros of the window shape, so the first study does not pay onnxruntime's first-run cost
 * (arena allocation, weight pre-packing: about 2x a steady forward, perf.md §1.5).
 */
export async function warmUp(model: LoadedModel): Promise<number> {
  const m = model.manifest;
  const T = model.Tensor ?? (await import('onnxruntime-node')).Tensor;
  const patch = m.tiling.mode === 'whole' ? m.preprocessing.space.grid.size : m.tiling.patchSize;
  const spatial = tensorSpatialShape(patch, m.inputs.image.axes);
  const c = m.inputs.image.channels.length;
  const feeds: Record<string, ort.Tensor> = {
    [m.inputs.image.name]: new T('float32', new Float32Array(c * spatial[0] * spatial[1] * spatial[2]), [1, c, ...spatial]),
  };
  Object.assign(feeds, auxiliaryFeeds(m, T, { mask: new Float32Array(c).fill(1) }));
  if (m.inputs.wholeImage) {
    const g = tensorSpatialShape(m.preprocessing.space.grid.size, m.inputs.image.axes);
    feeds[m.inputs.wholeImage.name] = new T('float32', new Float32Array(c * g[0] * g[1] * g[2]), [1, c, ...g]);
  }
  const t = performance.now();
  await model.session.run(feeds);
  return performance.now() - t;
}

/** Loads and checks one package; throws ModelPackageError naming the package and the problem. */
export async function loadPackage(dir: string, opts: SessionOptions, log?: Logger): Promise<LoadedModel> {
  const manifestPath = join(dir, 'manifest.json');
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(manifestPath, 'utf8'));
  } catch (e) {
    throw new ModelPackageError('manifest-unreadable', dir, `${manifestPath}: ${(e as Error).message}`);
  }
  let manifest: ModelManifest;
  try {
    manifest = parseManifest(raw, manifestPath);
  } catch (e) {
    if (e instanceof ManifestError) throw new ModelPackageError('manifest-invalid', dir, e.message);
    throw e;
  }
  const tag = `model package ${manifest.name} (${dir})`;
  if (manifest.model.sha256 === null) {
    throw new ModelPackageError('no-weights', dir, `${tag}: model.sha256 is null (a contract-only manifest without weights)`);
  }
  const modelPath = join(dir, manifest.model.file);
  if (!existsSync(modelPath)) throw new ModelPackageError('model-file-missing', dir, `${tag}: ${manifest.model.file} not found`);
  const sha = sha256File(modelPath);
  if (sha !== manifest.model.sha256) {
    throw new ModelPackageError(
      'sha256-mismatch',
      dir,
      `${tag}: sha256 of ${manifest.model.file} is ${sha}, manifest says ${manifest.model.sha256} (file changed or corrupted)`,
    );
  }
  let opened;
  try {
    opened = await openSession(modelPath, opts, log);
  } catch (e) {
    if (e instanceof NodeStoppingError) throw e;
    throw new ModelPackageError('session-failed', dir, `${tag}: ${(e as Error).message}`);
  }
  const problems = checkGraph(
    manifest,
    opened.session.inputMetadata,
    opened.session.outputMetadata,
  );
  if (problems.length) {
    await opened.session.release().catch(() => undefined);
    throw new ModelPackageError('graph-mismatch', dir, `${tag}: manifest does not match the ONNX graph:\n  - ${problems.join('\n  - ')}`);
  }
  return {
    name: manifest.name,
    dir,
    manifest,
    session: opened.session,
    executionProvider: opened.executionProvider,
    fallbacks: opened.fallbacks,
    sha256: sha,
  };
}

export interface RoutingRule {
  model: string;
  whenRoles: readonly ModelRole[];
  whenStudyMatches?: string;
}

export interface StudyRoutingFacts {
  roles: readonly ModelRole[];
  studyDescription?: string;
  reasonForStudy?: string;
  /** Models asked for explicitly (API/CLI), run in addition to the rules. */
  requested?: readonly string[];
}

export interface RoutingDecision {
  models: string[];
  /** Rules that matched but whose model is not loaded, and unknown requested models. */
  skipped: string[];
}

/**
 * Pure routing: a rule fires when every role in whenRoles was identified and, if whenStudyMatches is set, the
 * case-insensitive regex matches StudyDescription or ReasonForStudy. Models run once each, in rule order.
 */
export function routeStudy(rules: readonly RoutingRule[], facts: StudyRoutingFacts, available: ReadonlySet<string>): RoutingDecision {
  const models: string[] = [];
  const skipped: string[] = [];
  const add = (name: string, why: string): void => {
    if (models.includes(name)) return;
    if (available.has(name)) models.push(name);
    else if (!skipped.some((s) => s.startsWith(`${name}:`))) skipped.push(`${name}: ${why} but the model is not loaded`);
  };
  for (const r of rules) {
    if (!r.whenRoles.every((role) => facts.roles.includes(role))) continue;
    if (r.whenStudyMatches) {
      const re = new RegExp(r.whenStudyMatches, 'i');
      if (!re.test(facts.studyDescription ?? '') && !re.test(facts.reasonForStudy ?? '')) continue;
    }
    add(r.model, `routing rule matched (roles ${r.whenRoles.join('+') || 'any'}${r.whenStudyMatches ? `, /${r.whenStudyMatches}/i` : ''})`);
  }
  for (const name of facts.requested ?? []) add(name, 'requested');
  return { models, skipped };
}

export class ModelRegistry {
  private constructor(
    private readonly models: Map<string, LoadedModel>,
    readonly reports: PackageReport[],
  ) {}

  /**
   * Loads every sub-folder of `dir` that holds a manifest.json. Broken packages are logged and listed in
   * `reports`, never fatal to the others. A missing folder gives an empty registry (logged).
   */
  /**
   * Loads every package under `dir`. `warmUp`: run one forward per model at load (true), only for the named models
   * (the ones routing can choose; an unrouted package such as a second glioma model is loaded but not warmed), or not.
   */
  static async load(dir: string, opts: SessionOptions & { warmUp?: boolean | readonly string[] }, log?: Logger): Promise<ModelRegistry> {
    const root = resolve(dir);
    const models = new Map<string, LoadedModel>();
    const reports: PackageReport[] = [];
    if (!existsSync(root)) {
      log?.warn('models folder does not exist; no models loaded', { dir: root });
      return new ModelRegistry(models, reports);
    }
    const dirs = readdirSync(root)
      .sort()
      .map((n) => join(root, n))
      .filter((p) => statSync(p).isDirectory() && existsSync(join(p, 'manifest.json')));
    for (const p of dirs) {
      try {
        const m = await loadPackage(p, opts, log);
        if (models.has(m.name)) {
          await m.session.release().catch(() => undefined);
          throw new ModelPackageError('manifest-invalid', p, `model name "${m.name}" already loaded from ${models.get(m.name)!.dir}`);
        }
        let warmUpMs: number | undefined;
        if (opts.warmUp === true || (Array.isArray(opts.warmUp) && opts.warmUp.includes(m.name))) {
          try {
            warmUpMs = Math.round(await warmUp(m));
          } catch (e) {
            await m.session.release().catch(() => undefined);
            if (e instanceof NodeStoppingError) throw e;
            throw new ModelPackageError('session-failed', p, `model package ${m.name} (${p}): warm-up forward failed: ${(e as Error).message}`);
          }
        }
        models.set(m.name, m);
        reports.push({ dir: p, name: m.name, ok: true, executionProvider: m.executionProvider, ...(warmUpMs !== undefined ? { warmUpMs } : {}) });
        log?.info('model package loaded', { model: m.name, version: m.manifest.version, executionProvider: m.executionProvider, ...(warmUpMs !== undefined ? { warmUpMs } : {}) });
      } catch (e) {
        // The worker is being stopped: stop loading (the remaining packages are not broken).
        if (e instanceof NodeStoppingError) throw e;
        const err = e as Error;
        const reason = e instanceof ModelPackageError ? e.reason : 'load-failed';
        reports.push({ dir: p, ok: false, reason, message: err.message });
        log?.error('model package skipped', { dir: p, reason, error: err.message });
      }
    }
    return new ModelRegistry(models, reports);
  }

  get(name: string): LoadedModel | undefined {
    return this.models.get(name);
  }

  names(): string[] {
    return [...this.models.keys()];
  }

  route(rules: readonly RoutingRule[], facts: StudyRoutingFacts): RoutingDecision {
    return routeStudy(rules, facts, new Set(this.models.keys()));
  }

  async close(): Promise<void> {
    for (const m of this.models.values()) await m.session.release().catch(() => undefined);
    this.models.clear();
  }
}
