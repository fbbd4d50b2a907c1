/** A node with nowhere to deliver shows its finished jobs as "done (not delivered)"; with a destination, "done". */
import { syntheticMrStudy } from '../../src/testing/synthetic-mr';
import { startTestNode, type TestNode } from '../web/node-fixture';

async function finishOneJob(node: TestNode, seed: string): Promise<number> {
  const [inst] = syntheticMrStudy({ seed, series: 1, slicesPerSeries: 1, rows: 8, columns: 8 });
  await node.store.ingestBuffer(inst!.bytes, { source: 'stow' });
  node.studies.markReady(inst!.studyInstanceUid);
  const [job] = node.jobs.list({ studyUid: inst!.studyInstanceUid });
  expect((await node.jobs.waitFor(job!.id, ['done', 'failed'])).state).toBe('done');
  return job!.id;
}

describe('jobs of a node without delivery destinations', () => {
  it('are "done (not delivered)" on the dashboard and in its data', async () => {
    const node = await startTestNode();
    try {
      const id = await finishOneJob(node, 'not-delivered');
      const data = (await (await fetch(`${node.httpUrl}/ui/dashboard.json`)).json()) as { jobs: Array<{ id: number; state: string; stateLabel: string }> };
      expect(data.jobs.find((j) => j.id === id)).toMatchObject({ state: 'done', stateLabel: 'done (not delivered)' });
      expect(await (await fetch(`${node.httpUrl}/ui`)).text()).toContain('done (not delivered)');
    } finally {
      await node.destroy();
    }
  });

  it('are plain "done" when a destination is configured', async () => {
    const node = await startTestNode({ destinations: [{ name: 'pacs', type: 'dicomweb', url: 'http://127.0.0.1:9/dicom-web' }], delivery: { to: ['pacs'] } });
    try {
      const id = await finishOneJob(node, 'delivered');
      const data = (await (await fetch(`${node.httpUrl}/ui/dashboard.json`)).json()) as { jobs: Array<{ id: number; stateLabel: string }> };
      expect(data.jobs.find((j) => j.id === id)!.stateLabel).toBe('done');
    } finally {
      await node.destroy();
    }
  });
});
