/** `serve --role`: a bad role or a bad cluster section is a usage/configuration error (exit 2) naming the problem. */
import { runCli } from '../helpers/run-cli';

describe('serve --role', () => {
  it('exits 2 for an unknown role, naming the valid ones', async () => {
    const r = await runCli(['serve', '--role', 'conductor']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/role must be one of all, receiver, worker, not "conductor"/);
  });

  it('exits 2 for a worker secret without its user, naming the field', async () => {
    const r = await runCli(['serve', '--role', 'worker'], { NEURO_ONC__CLUSTER__WORKER__RECEIVER_SECRET: 's3cret' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/cluster\.worker\.receiverUser/);
    expect(r.stderr).not.toContain('s3cret');
  });
});
