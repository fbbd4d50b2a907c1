import { spawn } from 'node:child_process';
import { syntheticMrStudy } from '../../src/testing/synthetic-mr';
import { UNCHECKED_OUTPUTS } from '../../src/jobs/types';
import { ensureBuilt } from '../helpers/build';
import { startTestNode, type TestNode } from '../web/node-fixture';

function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return ensureBuilt().then(
    ({ root, cliPath }) =>
      new Promise((resolve) => {
        const p = spawn(process.execPath, [cliPath, ...args], { cwd: root, env: { ...process.env, LOG_LEVEL: 'error' } });
        let stdout = '';
        let stderr = '';
        p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
        p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        p.on('close', (code) => resolve({ code, stdout, stderr }));
      }),
  );
}

describe('operator CLI: jobs, job, retry, ready', () => {
  let node: TestNode;
  beforeAll(async () => {
    await ensureBuilt();
    node = await startTestNode({ pipeline: { maxAttempts: 1 } }, {
      stages: {
        handlers: {
          encoding: async () => {
            throw new Error('no encoder today');
          },
        },
        outputs: UNCHECKED_OUTPUTS,
      },
    });
  }, 300000);
  afterAll(async () => node?.destroy());

  it('marks a study ready, lists the failed job with its error, shows it, and retries it', async () => {
    const [a] = syntheticMrStudy({ seed: 'cli-jobs', series: 1, slicesPerSeries: 1 });
    await node.store.ingestBuffer(a!.bytes, { source: 'stow' });
    const ready = await cli(['ready', a!.studyInstanceUid, '--url', node.httpUrl]);
    expect(ready.code).toBe(0);
    expect(ready.stdout).toMatch(/: ready, generation 1, 1 instance\(s\), job 1 /);
    await node.jobs.waitFor(1, ['failed']);
    const list = await cli(['jobs', '--state', 'failed', '--url', node.httpUrl]);
    expect(list.stdout).toMatch(/^\s+1\s+failed\s+gen 1\s+\S+\s+encoding: no encoder today/m);
    const show = await cli(['job', '1', '--url', node.httpUrl]);
    expect(show.stdout).toMatch(/encoding\s+attempt 1\s+error\s+Error: no encoder today/);
    expect(show.stdout).toMatch(/outputs: identifying, preprocessing, inferring/);
    const retry = await cli(['retry', '1', '--from', 'identifying', '--url', node.httpUrl]);
    expect(retry.code).toBe(0);
    expect(retry.stdout).toMatch(/identifying/);
    const bad = await cli(['retry', '99', '--url', node.httpUrl]);
    expect(bad.code).toBe(2); // 4xx: bad input (README exit codes)
    expect(bad.stderr).toMatch(/404: no job 99/);
    const down = await cli(['jobs', '--url', 'http://127.0.0.1:1']);
    expect(down.code).toBe(2);
    // The retried job fails again at encoding; then an operator deletes the study.
    await node.jobs.waitFor(1, ['failed']);
    const del = await cli(['delete-study', a!.studyInstanceUid, '--url', node.httpUrl]);
    expect(del.code).toBe(0);
    expect(del.stdout).toMatch(/: deleted 1 instance\(s\), 0\.\d MB; work folders of job\(s\) 1 removed/);
    expect(node.store.listInstances({ studyInstanceUid: a!.studyInstanceUid })).toEqual([]);
    const again = await cli(['delete-study', a!.studyInstanceUid, '--url', node.httpUrl]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/404: the node holds no instances of study .* \(already deleted\)/);
  });
});
