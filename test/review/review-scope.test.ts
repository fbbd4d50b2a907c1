/**
 * The `review` scope against a real node with users (docs/security.md): review decisions and tissue results need
 * it; `read` still sees the review state and the monitoring; `operate` does not imply `review`.
 */
import { newSecret } from '../../src/web/access-control';
import { startTestNode, type TestNode } from '../web/node-fixture';

describe('review scope', () => {
  let node: TestNode;
  const reader = newSecret();
  const operator = newSecret();
  const reviewer = newSecret();
  beforeAll(async () => {
    node = await startTestNode({
      http: {
        auth: {
          users: [
            { name: 'reading-room', secretSha256: reader.secretSha256, scopes: ['read'] },
            { name: 'ops', secretSha256: operator.secretSha256, scopes: ['read', 'operate'] },
            { name: 'dr.rita', secretSha256: reviewer.secretSha256, scopes: ['read', 'review'] },
          ],
        },
      },
    });
  });
  afterAll(async () => node?.destroy());

  const call = async (secret: string, method: string, path: string, body?: unknown): Promise<{ status: number; error?: string }> => {
    const r = await fetch(node.httpUrl + path, { method, headers: { authorization: `Bearer ${secret}`, ...(body ? { 'content-type': 'application/json' } : {}) }, ...(body ? { body: JSON.stringify(body) } : {}) });
    const text = await r.text();
    return { status: r.status, ...(r.headers.get('content-type')?.includes('json') ? { error: (JSON.parse(text) as { error?: string }).error } : {}) };
  };

  test('accept / reject and tissue results need the review scope', async () => {
    for (const secret of [reader.secret, operator.secret]) {
      const r = await call(secret, 'POST', '/api/results/1/review', { decision: 'accepted' });
      expect(r.status).toBe(403);
      expect(r.error).toMatch(/lacks the "review" scope/);
      expect((await call(secret, 'POST', '/api/results/1/molecular', { idh: 'mutant' })).status).toBe(403);
    }
    // The reviewer gets through access control; the node has no job 1.
    const r = await call(reviewer.secret, 'POST', '/api/results/1/review', { decision: 'accepted' });
    expect(r).toEqual({ status: 404, error: 'no job 1' });
    expect((await call(reviewer.secret, 'POST', '/api/results/1/molecular', { idh: 'mutant' })).status).toBe(404);
    expect((await call(reviewer.secret, 'POST', '/api/results/x/review', { decision: 'accepted' })).status).toBe(400);
  });

  test('read sees the monitoring (JSON, CSV, page) and the review state', async () => {
    expect((await call(reader.secret, 'GET', '/api/monitoring')).status).toBe(200);
    expect((await call(reader.secret, 'GET', '/api/monitoring.csv')).status).toBe(200);
    expect((await call(reader.secret, 'GET', '/ui/monitoring')).status).toBe(200);
    expect((await call(reader.secret, 'GET', '/api/results/1/review')).status).toBe(404);
  });
});
