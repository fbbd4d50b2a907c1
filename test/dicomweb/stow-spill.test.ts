/** Parts larger than the in-memory limit are spilled to temp files while they arrive; the outcome is the same. */
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import { multipartContentType, multipartRelated, syntheticMrStudy } from '../../src/testing/synthetic-mr';
import { dicomwebRouter } from '../../src/dicomweb/router';
import { createLogger } from '../../src/log/logger';
import { InstanceStore } from '../../src/store/store';

describe('STOW-RS with parts spilled to disk', () => {
  let dir: string;
  let store: InstanceStore;
  let server: Server;
  let url: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'spill-'));
    store = await InstanceStore.open({ dataDir: dir, acceptedSopClasses: ['*'] });
    const app = express();
    app.use('/dicom-web', dicomwebRouter({ store, basePath: '/dicom-web', maxUploadBytes: 1e9, maxInMemoryPartBytes: 1000, logger: createLogger('dicomweb') }));
    server = createServer(app);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/dicom-web`;
  });
  afterAll(async () => {
    await new Promise<void>((r) => server.close(() => r()));
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stores spilled parts byte for byte and refuses a truncated one; no temp file is left', async () => {
    const insts = syntheticMrStudy({ seed: 'spill', series: 1, slicesPerSeries: 4, rows: 64, columns: 64 });
    const parts = [insts[0]!.bytes, insts[1]!.bytes, insts[2]!.bytes.subarray(0, 5000), insts[3]!.bytes];
    const r = await fetch(`${url}/studies`, { method: 'POST', headers: { 'Content-Type': multipartContentType('s') }, body: multipartRelated(parts, 's') });
    expect(r.status).toBe(202);
    const body = (await r.json()) as Record<string, { Value: Array<Record<string, { Value: unknown[] }>> }>;
    expect(body['00081199']!.Value.map((i) => i['00081155']!.Value[0])).toEqual([insts[0]!.sopInstanceUid, insts[1]!.sopInstanceUid, insts[3]!.sopInstanceUid]);
    expect(body['00081198']!.Value.map((i) => i['00081197']!.Value[0])).toEqual([0xc000]);
    for (const i of [insts[0]!, insts[1]!, insts[3]!]) {
      expect(createHash('sha256').update(await store.readInstance(i.sopInstanceUid)).digest('hex')).toBe(createHash('sha256').update(i.bytes).digest('hex'));
    }
    expect(readdirSync(join(dir, 'store', 'tmp'))).toEqual([]);
  });
});
