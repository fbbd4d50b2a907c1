/**
 * `neuro-onc-node --version`: what an operator needs to say which node is running: the node's version, the Node.js
 * and onnxruntime-node versions, the execution providers (configured order, and which this onnxruntime-node build
 * carries, and which of the configured ones start on this host), and every model package under models.dir with its
 * version and whether its weights match the manifest's sha256. Reads manifests only; the providers are started on a
 * one-node model (probeProviders), not on the model packages, so it answers in well under a second.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { listSupportedBackends } from 'onnxruntime-node';
import type { Config } from '../config/schema';
import { sha256File } from '../ai/registry';
import { probeProviders, providerUnavailable, type ProviderProbe } from '../ai/runtime';

export interface ModelVersionLine {
  dir: string;
  name?: string;
  version?: string;
  /** "ok", "sha256 mismatch", "no weights", or why the manifest could not be read. */
  status: string;
}

export interface VersionReport {
  node: string;
  nodejs: string;
  onnxruntime: string;
  configuredProviders: readonly string[];
  /** Providers compiled into this onnxruntime-node build, with whether their libraries are installed. */
  runtimeProviders: Array<{ name: string; installed: boolean }>;
  /** The configured providers, each started once on this host: which start, and why the others do not. */
  startedProviders: ProviderProbe[];
  modelsDir: string;
  models: ModelVersionLine[];
}

function packageVersion(pkg: string): string {
  try {
    return (JSON.parse(readFileSync(require.resolve(`${pkg}/package.json`), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

function nodeVersion(): string {
  // dist/cli/version.js and src/cli/version.ts both sit two folders below the package root.
  const pkg = resolve(__dirname, '..', '..', 'package.json');
  return (JSON.parse(readFileSync(pkg, 'utf8')) as { version: string }).version;
}

/** One line per package folder (a folder with manifest.json); examples/ holds contract-only manifests and is skipped. */
export function describeModels(dir: string): ModelVersionLine[] {
  if (!existsSync(dir)) return [];
  const lines: ModelVersionLine[] = [];
  for (const name of readdirSync(dir).sort()) {
    const pkgDir = join(dir, name);
    const manifestPath = join(pkgDir, 'manifest.json');
    if (!statSync(pkgDir).isDirectory() || !existsSync(manifestPath)) continue;
    try {
      const m = JSON.parse(readFileSync(manifestPath, 'utf8')) as { name?: string; version?: string; model?: { file?: string; sha256?: string | null } };
      const line: ModelVersionLine = { dir: pkgDir, status: 'ok', ...(m.name ? { name: m.name } : {}), ...(m.version ? { version: m.version } : {}) };
      const file = m.model?.file ? join(pkgDir, m.model.file) : undefined;
      if (!m.model?.sha256 || !file) line.status = 'no weights';
      else if (!existsSync(file)) line.status = `${m.model.file} missing`;
      else if (sha256File(file) !== m.model.sha256) line.status = 'sha256 mismatch';
      lines.push(line);
    } catch (e) {
      lines.push({ dir: pkgDir, status: `manifest unreadable: ${(e as Error).message}` });
    }
  }
  return lines;
}

export async function versionReport(config: Config): Promise<VersionReport> {
  const modelsDir = resolve(config.models.dir);
  return {
    node: nodeVersion(),
    nodejs: process.version,
    onnxruntime: packageVersion('onnxruntime-node'),
    configuredProviders: config.models.executionProviders,
    // CUDA is never bundled in the npm package; `--onnxruntime-node-install=cuda12` puts its library beside the binding.
    runtimeProviders: listSupportedBackends().map((b) => ({ name: b.name, installed: b.name === 'cuda' ? providerUnavailable('cuda') === undefined : b.bundled })),
    startedProviders: await probeProviders(config.models.executionProviders, { intraOpNumThreads: 1, webgpu: config.models.webgpu }),
    modelsDir,
    models: describeModels(modelsDir),
  };
}

export function formatVersionReport(r: VersionReport): string {
  const out = [
    `neuro-onc-node ${r.node} (research use only)`,
    `Node.js ${r.nodejs}, onnxruntime-node ${r.onnxruntime}`,
    `execution providers: configured ${r.configuredProviders.join(' -> ')}; this runtime: ${r.runtimeProviders
      .map((p) => `${p.name}${p.installed ? '' : ' (not installed)'}`)
      .join(', ')}`,
    `started on this host: ${r.startedProviders.filter((p) => p.started).map((p) => p.name).join(', ') || 'none'}`,
    ...r.startedProviders.filter((p) => !p.started).map((p) => `  ${p.name} did not start: ${p.reason}`),
    `models (${r.modelsDir}):`,
  ];
  if (r.models.length === 0) out.push('  none');
  for (const m of r.models) out.push(`  ${m.name ?? m.dir} ${m.version ?? '?'}  ${m.status}`);
  return out.join('\n') + '\n';
}
