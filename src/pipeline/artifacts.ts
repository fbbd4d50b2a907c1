/**
 * Inspectable stage artifacts (mercure-style): a stage writes its intermediate data into the job's work folder as
 * `<name>.json` plus one `<name>.<n>.bin` per typed array (voxels, affines, masks), and a later stage — possibly in
 * a later process after a crash — reads it back. Plain JSON stays readable with `cat`; voxel files open in any
 * raw viewer with the dims written next to them.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { z } from 'zod';
import { parseStored, parseStoredJson, StoredDataError } from '../jobs/stored-data';

const TYPED = {
  Float32Array,
  Float64Array,
  Int16Array,
  Uint16Array,
  Uint8Array,
  Int32Array,
  Uint32Array,
  Int8Array,
} as const;
type TypedName = keyof typeof TYPED;
type AnyTyped = InstanceType<(typeof TYPED)[TypedName]>;

interface TypedRef {
  $typed: TypedName;
  file: string;
  length: number;
}

function typedName(v: unknown): TypedName | undefined {
  if (!ArrayBuffer.isView(v) || v instanceof DataView || Buffer.isBuffer(v)) return undefined;
  const n = v.constructor.name;
  return n in TYPED ? (n as TypedName) : undefined;
}

async function atomicWrite(path: string, data: string | Uint8Array): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, data);
  await rename(tmp, path);
}

/** Writes `value` (an object: JSON plus typed arrays nested anywhere below the root) as <dir>/<name>.json + .bin files. */
export async function writeArtifact(dir: string, name: string, value: unknown): Promise<string> {
  await mkdir(dir, { recursive: true });
  const blobs: Array<{ file: string; data: AnyTyped }> = [];
  const json = JSON.stringify(
    value,
    function replacer(this: unknown, _key: string, v: unknown) {
      const t = typedName(v);
      if (t) {
        const file = `${name}.${blobs.length}.bin`;
        blobs.push({ file, data: v as AnyTyped });
        const ref: TypedRef = { $typed: t, file, length: (v as AnyTyped).length };
        return ref;
      }
      if (Buffer.isBuffer(v)) throw new Error(`artifact ${name}: Buffers are not supported, use Uint8Array`);
      return v;
    },
    1,
  );
  for (const b of blobs) await atomicWrite(join(dir, b.file), new Uint8Array(b.data.buffer, b.data.byteOffset, b.data.byteLength));
  // The JSON goes last: its presence means the artifact is complete.
  const path = join(dir, `${name}.json`);
  await atomicWrite(path, json);
  return path;
}

export function hasArtifact(dir: string, name: string): boolean {
  return existsSync(join(dir, `${name}.json`));
}

/**
 * The JSON part of an artifact only (typed arrays stay as {$typed, file, length} references): cheap metadata reads.
 * `schema` checks the part the caller uses.
 */
export async function readArtifactJson<T>(dir: string, name: string, schema: z.ZodType<T>): Promise<T> {
  const file = join(dir, `${name}.json`);
  return parseStored(schema, parseStoredJson(await readFile(file, 'utf8'), file, 'bad-artifact'), file, 'bad-artifact');
}

/** Reads an artifact written by writeArtifact, restoring its typed arrays, and checks it against `schema`. */
export async function readArtifact<T>(dir: string, name: string, schema: z.ZodType<T>): Promise<T> {
  const file = join(dir, `${name}.json`);
  const text = await readFile(file, 'utf8');
  const refs: Array<{ holder: Record<string, unknown>; key: string; ref: TypedRef }> = [];
  const parsed = parseStoredJson(text, file, 'bad-artifact', function reviver(this: unknown, key: string, v: unknown) {
    if (v && typeof v === 'object' && '$typed' in v) refs.push({ holder: this as Record<string, unknown>, key, ref: v as TypedRef });
    return v;
  });
  for (const { holder, key, ref } of refs) {
    if (!(ref.$typed in TYPED) || typeof ref.file !== 'string' || !/^[A-Za-z0-9._-]+$/.test(ref.file)) {
      throw new StoredDataError(`${file}: ${key} is not a valid typed-array reference (${JSON.stringify(ref)})`, 'bad-artifact', file);
    }
    const bytes = await readFile(join(dir, ref.file));
    const Ctor = TYPED[ref.$typed];
    // Copy into a fresh, aligned buffer owned by the typed array.
    const aligned = new Uint8Array(bytes.byteLength);
    aligned.set(bytes);
    const arr = new Ctor(aligned.buffer);
    if (arr.length !== ref.length) throw new Error(`artifact ${name}: ${ref.file} holds ${arr.length} values, expected ${ref.length}`);
    holder[key] = arr;
  }
  return parseStored(schema, parsed, file, 'bad-artifact');
}
