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

/** 1-based line and column of a character offset. */
function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, Math.max(0, Math.min(offset, text.length)));
  const line = before.split('\n').length;
  return { line, column: offset - before.lastIndexOf('\n') };
}

export function readConfigFile(path: string): ConfigInput {
  return readConfigFileWithSource(path).data;
}

/**
 * Reads a JSON or YAML config file. Syntax errors name the file, line and column; the returned `locate` gives the
 * line and column of a value by its path, so schema errors can point into the file too.
 */
function readConfigFileWithSource(path: string): { data: ConfigInput; locate: (p: readonly PropertyKey[]) => string | undefined } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ConfigError(`cannot read config file ${path}: ${(e as Error).message}`);
  }
  const json = extname(path).toLowerCase() === '.json';
  let parsed: unknown;
  try {
    parsed = json ? JSON.parse(text) : YAML.parse(text, { prettyErrors: false });
  } catch (e) {
    const err = e as Error & { pos?: [number, number] };
    // JSON.parse says "at position N"; yaml gives pos (character offsets).
    const at = err.pos?.[0] ?? Number(/position (\d+)/.exec(err.message)?.[1] ?? NaN);
    const where = Number.isFinite(at) ? (({ line, column }) => `:${line}:${column}`)(lineColumn(text, at)) : '';
    throw new ConfigError(`config file ${path}${where} is not valid ${json ? 'JSON' : 'YAML'}: ${err.message.split('\n')[0]}`);
  }
  if (parsed != null && (typeof parsed !== 'object' || Array.isArray(parsed))) {
    throw new ConfigError(`config file ${path} is not valid ${json ? 'JSON' : 'YAML'}: top level must be an object`);
  }
  // JSON is YAML: one parser finds value positions for both.
  const doc = YAML.parseDocument(text);
  const locate = (p: readonly PropertyKey[]): string | undefined => {
    for (let n = p.length; n > 0; n--) {
      const node = doc.getIn(p.slice(0, n) as unknown[], true) as { range?: [number, number, number] } | undefined;
      if (node?.range) {
        const { line, column } = lineColumn(text, node.range[0]);
        return `${path}:${line}:${column}`;
      }
    }
    return undefined;
  };
  return { data: (parsed ?? {}), locate };
}

/**
 * Validates a config object; throws ConfigError listing every bad field by its path, and by file:line:column when
 * `locate` finds it in the config file (a value set by an environment variable has no place in the file).
 */
export function parseConfig(input: unknown, locate?: (path: readonly PropertyKey[]) => string | undefined): Config {
  const res = configSchema.safeParse(input ?? {});
  if (!res.success) {
    const lines = res.error.issues.map((i) => {
      const at = i.path.length ? locate?.(i.path) : undefined;
      return `  - ${i.path.length ? i.path.join('.') : '(root)'}${at ? ` (${at})` : ''}: ${i.message}`;
    });
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  return res.data;
}

/** Loads the effective configuration: file (if given or NEURO_ONC_CONFIG) merged with env overrides. */
export function loadConfig(opts: { file?: string; env?: NodeJS.ProcessEnv; overrides?: ConfigInput } = {}): Config {
  const env = opts.env ?? process.env;
  const file = opts.file ?? env.NEURO_ONC_CONFIG;
  const fromFile = file ? readConfigFileWithSource(file) : undefined;
  const fromEnv = envOverrides(env);
  let merged: unknown = fromFile?.data ?? {};
  merged = deepMerge(merged, fromEnv);
  merged = deepMerge(merged, opts.overrides ?? {});
  // A value overridden by the environment is not where the file says: point into the file only for file values.
  const inEnv = (p: readonly PropertyKey[]): boolean => {
    let cur: unknown = fromEnv;
    for (const k of p) {
      if (cur == null || typeof cur !== 'object') return false;
      cur = (cur as Record<string, unknown>)[String(k)];
    }
    return cur !== undefined;
  };
  return parseConfig(merged, fromFile && ((p) => (inEnv(p) ? 'from the environment' : fromFile.locate(p))));
}
