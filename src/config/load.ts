/**
 * Configuration = defaults <- file (JSON or YAML) <- environment variables, validated with zod.
 *
 * Environment variables: NEURO_ONC_CONFIG=path/to/file, and NEURO_ONC__<SECTION>__<FIELD>=value for any field
 * (e.g. NEURO_ONC__HTTP__PORT=8081, NEURO_ONC__DIMSE__ALLOWED_CALLING_AE_TITLES='["MRI1","PACS"]').
 * Values are parsed as JSON when they look like JSON (numbers, booleans, arrays, objects), else kept as strings.
 * A numeric path segment is an array index: NEURO_ONC__DESTINATIONS__0__AUTH__PASSWORD sets the password of the
 * file's first destination (keeping its other fields), so secrets need not be written in the file.
 */
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import YAML from 'yaml';
import { configSchema, type Config, type ConfigInput } from './schema';

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

const ENV_PREFIX = 'NEURO_ONC__';

function camel(s: string): string {
  return s.toLowerCase().replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

function parseEnvValue(v: string): unknown {
  const t = v.trim();
  if (/^(true|false|null|-?\d+(\.\d+)?([eE][+-]?\d+)?)$/.test(t) || t.startsWith('[') || t.startsWith('{')) {
    try {
      return JSON.parse(t);
    } catch {
      return v;
    }
  }
  return v;
}

function setPath(obj: Record<string, unknown>, path: string[], value: unknown): void {
  let cur = obj;
  for (const key of path.slice(0, -1)) {
    const next = cur[key];
    if (next == null || typeof next !== 'object' || Array.isArray(next)) cur[key] = {};
    cur = cur[key] as Record<string, unknown>;
  }
  cur[path[path.length - 1]!] = value;
}

/** Overrides from NEURO_ONC__A__B=value variables. */
export function envOverrides(env: NodeJS.ProcessEnv): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(env)) {
    if (!k.startsWith(ENV_PREFIX) || v == null) continue;
    const path = k.slice(ENV_PREFIX.length).split('__').filter(Boolean).map(camel);
    if (path.length) setPath(out, path, parseEnvValue(v));
  }
  return out;
}

/** An object made by envOverrides from numeric path segments ({"0": {...}}): array elements to merge. */
function isIndexObject(v: unknown): v is Record<string, unknown> {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return false;
  const keys = Object.keys(v);
  return keys.length > 0 && keys.every((k) => /^\d+$/.test(k));
}

function deepMerge(a: unknown, b: unknown): unknown {
  if (b === undefined) return a;
  if (isIndexObject(b) && (a === undefined || Array.isArray(a))) {
    const out: unknown[] = Array.isArray(a) ? [...(a as unknown[])] : [];
    for (const [k, v] of Object.entries(b)) out[Number(k)] = deepMerge(out[Number(k)], v);
    return out;
  }
  if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
    const out: Record<string, unknown> = { ...(a as Record<string, unknown>) };
    for (const [k, v] of Object.entries(b as Record<string, unknown>)) out[k] = deepMerge(out[k], v);
    return out;
  }
  return b;
}

export function readConfigFile(path: string): ConfigInput {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ConfigError(`cannot read config file ${path}: ${(e as Error).message}`);
  }
  try {
    const ext = extname(path).toLowerCase();
    const parsed: unknown = ext === '.json' ? JSON.parse(text) : YAML.parse(text);
    if (parsed != null && (typeof parsed !== 'object' || Array.isArray(parsed))) {
      throw new Error('top level must be an object');
    }
    return (parsed ?? {}) as ConfigInput;
  } catch (e) {
    throw new ConfigError(`config file ${path} is not valid ${extname(path) === '.json' ? 'JSON' : 'YAML'}: ${(e as Error).message}`);
  }
}

/** Validates a config object; throws ConfigError listing every bad field by its path. */
export function parseConfig(input: unknown): Config {
  const res = configSchema.safeParse(input ?? {});
  if (!res.success) {
    const lines = res.error.issues.map((i) => `  - ${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  return res.data;
}

/** Loads the effective configuration: file (if given or NEURO_ONC_CONFIG) merged with env overrides. */
export function loadConfig(opts: { file?: string; env?: NodeJS.ProcessEnv; overrides?: ConfigInput } = {}): Config {
  const env = opts.env ?? process.env;
  const file = opts.file ?? env.NEURO_ONC_CONFIG;
  let merged: unknown = file ? readConfigFile(file) : {};
  merged = deepMerge(merged, envOverrides(env));
  merged = deepMerge(merged, opts.overrides ?? {});
  return parseConfig(merged);
}
