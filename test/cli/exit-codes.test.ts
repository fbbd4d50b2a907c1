/**
 * Exit codes the README promises: 0 success, 1 runtime error, 2 bad input or configuration. Usage errors
 * (unknown command or option, missing argument) and requests the node refuses (4xx) are bad input.
 */
import { runCli } from '../helpers/run-cli';
import { startTestNode, type TestNode } from '../web/node-fixture';

describe('CLI exit codes', () => {
  let node: TestNode;
  beforeAll(async () => {
    node = await startTestNode();
  });
  afterAll(async () => node?.destroy());

  it('exits 2 for an unknown command, an unknown option and a missing argument, 0 for --help', async () => {
    const [cmd, opt, arg, help] = await Promise.all([runCli(['frobnicate']), runCli(['jobs', '--bogus']), runCli(['retry']), runCli(['--help'])]);
    expect(cmd.code).toBe(2);
    expect(cmd.stderr).toMatch(/unknown command 'frobnicate'/);
    expect(opt.code).toBe(2);
    expect(opt.stderr).toMatch(/unknown option '--bogus'/);
    expect(arg.code).toBe(2);
    expect(arg.stderr).toMatch(/missing required argument 'id'/);
    expect(help.code).toBe(0);
  });

  it('exits 2 when the node refuses the request (4xx), with its reason', async () => {
    const bad = await runCli(['retry', '1', '--from', 'baking', '--url', node.httpUrl]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/400: invalid request body: fromStage: /);
    const missing = await runCli(['job', '42', '--url', node.httpUrl]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/404: no job 42/);
    const ok = await runCli(['jobs', '--url', node.httpUrl]);
    expect(ok.code).toBe(0);
  });

  it('exits 2 for an invalid configuration', async () => {
    const r = await runCli(['config'], { NEURO_ONC__HTTP__PORT: '70000' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/http\.port/);
  });
});
