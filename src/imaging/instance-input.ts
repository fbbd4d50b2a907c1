/**
 * The inputs the volume builder accepts: parsed instances (naturalized data set + transfer syntax), the ParsedP10
 * shape readP10 returns, Part 10 bytes, or file paths. Reading files is the only side effect, kept here at the edge.
 */
import { readFile as readFileCb } from 'node:fs';
import { promisify } from 'node:util';
import { str, type NaturalDataset } from '../dicom/p10';
import { readImageInstance, type InstanceData } from './p10-image-reader';

// The callback readFile is measurably faster than fs/promises' for many small files (Node 20).
const readFile = promisify(readFileCb);

export type { InstanceData } from './p10-image-reader';

export type InstanceSource = InstanceData | { meta: NaturalDataset; dataset: NaturalDataset } | Uint8Array | string;

function isInstanceData(x: unknown): x is InstanceData {
  return typeof x === 'object' && x != null && 'dataset' in x && 'transferSyntaxUid' in x;
}

/** Normalises one already-in-memory source (no I/O). */
export function toInstanceData(src: Exclude<InstanceSource, string>): InstanceData {
  // Bytes go through the lean image reader (only the attributes volume building needs, pixel views, no copies).
  if (src instanceof Uint8Array) return readImageInstance(src);
  if (isInstanceData(src)) return src;
  return { dataset: src.dataset, transferSyntaxUid: str(src.meta, 'TransferSyntaxUID') };
}

/** Loads every source; file paths are read from disk, several at a time (errors name the file). */
export async function loadInstances(sources: readonly InstanceSource[], concurrency = 16): Promise<InstanceData[]> {
  const out: InstanceData[] = new Array(sources.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < sources.length; i = next++) {
      const s = sources[i]!;
      if (typeof s !== 'string') {
        out[i] = toInstanceData(s);
        continue;
      }
      const buf = await readFile(s);
      try {
        out[i] = toInstanceData(buf);
      } catch (e) {
        (e as Error).message = `${s}: ${(e as Error).message}`;
        throw e;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, sources.length) }, worker));
  return out;
}
