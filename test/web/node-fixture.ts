/** Starts a real node in-process on a free loopback port with its own data folder (for tests of src/web, dicomweb, study, jobs). */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../src/config/load';
import type { ConfigInput } from '../../src/config/schema';
import type { StageOutputMap } from '../../src/jobs/types';
import { startNode, type NodeHandle, type StartNodeOptions } from '../../src/node';

export interface TestNode extends NodeHandle {
  dataDir: string;
  /** close() and delete the data folder */
  destroy(): Promise<void>;
}

export async function startTestNode<M extends StageOutputMap = StageOutputMap>(overrides: ConfigInput = {}, opts: StartNodeOptions<M> = {}, dataDir?: string): Promise<TestNode> {
  const dir = dataDir ?? mkdtempSync(join(tmpdir(), 'node-'));
  const config = parseConfig({
    ...overrides,
    node: { dataDir: dir, ...(overrides.node ?? {}) },
    http: { host: '127.0.0.1', port: 0, ...(overrides.http ?? {}) },
    study: { quietPeriodSeconds: 3600, ...(overrides.study ?? {}) },
    dimse: { enabled: false, ...(overrides.dimse ?? {}) },
  });
  const node = await startNode(config, opts);
  return {
    ...node,
    dataDir: dir,
    async destroy() {
      await node.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
