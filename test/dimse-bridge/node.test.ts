/**
 * The DIMSE bridge inside a running node (startNode): instances that arrive by C-STORE go into the same store,
 * study tracker and job state machine as STOW-RS ones, and the echo route is served by the node's HTTP API.
 */
import { join } from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { parseConfig } from '../../src/config/load';
import { startNode, type NodeHandle } from '../../src/node';
import { runTool } from '../helpers/dcmtk';
import { waitFor } from '../helpers/ports';
import { writeMrStudy } from './helpers/mr-study';

let dir: string;
let node: NodeHandle;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'dimse-node-'));
  node = await startNode(
    parseConfig({
      node: { dataDir: join(dir, 'var') },
      http: { host: '127.0.0.1', port: 0 },
      study: { quietPeriodSeconds: 1 },
      dimse: { host: '127.0.0.1', port: 0, aeTitle: 'NEUROONC', allowedCallingAeTitles: ['MRI1'] },
      destinations: [{ name: 'self', type: 'dimse', host: '127.0.0.1', port: 1, aeTitle: 'NEUROONC' }],
    }),
    { runJobs: false },
  );
});

afterAll(async () => {
  await node?.close();
  rmSync(dir, { recursive: true, force: true });
});

it('a study sent by C-STORE becomes ready through the same study tracker as STOW-RS', async () => {
  const files = writeMrStudy(join(dir, 'in'), { series: 2, slices: 4 });
  const r = await runTool('storescu', ['-aet', 'MRI1', '-aec', 'NEUROONC', '127.0.0.1', String(node.dimse!.port), ...files.map((f) => f.path)]);
  expect(r.code).toBe(0);
  const study = files[0]!.studyUid;
  expect(node.store.listInstances({ studyInstanceUid: study })).toHaveLength(8);
  await waitFor(async () => node.studies.get(study)?.state === 'ready', 15000, 'study ready after the quiet period');
  expect(node.studies.get(study)?.state).toBe('ready');
});

it('serves POST /api/destinations/:name/echo with a specific failure reason', async () => {
  const res = await fetch(`${node.httpUrl}/api/destinations/self/echo`, { method: 'POST' });
  expect(res.status).toBe(502);
  expect(await res.json()).toMatchObject({ ok: false, kind: 'connection-refused' });
  const unknown = await fetch(`${node.httpUrl}/api/destinations/nope/echo`, { method: 'POST' });
  expect(unknown.status).toBe(404);
});
