import { createHash } from 'node:crypto';
import { request } from 'node:http';
import { readdirSync } from 'node:fs';
import { multipartContentType, multipartRelated, syntheticMrStudy, syntheticStudyUid } from '../../src/testing/synthetic-mr';
import { storeLayout } from '../../src/store/paths';
import { startTestNode, type TestNode } from '../web/node-fixture';

type Json = Record<string, { vr: string; Value?: Array<Record<string, { Value?: unknown[] }>> | unknown[] }>;

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

async function stow(node: TestNode, body: Buffer, opts: { path?: string; contentType?: string; boundary?: string } = {}): Promise<{ status: number; json: Json }> {
  const r = await fetch(node.dicomwebUrl + (opts.path ?? '/studies'), {
    method: 'POST',
    headers: { 'Content-Type': opts.contentType ?? multipartContentType(opts.boundary ?? 'b0und4ry'), Accept: 'application/dicom+json' },
    body,
  });
  const text = await r.text();
  return { status: r.status, json: text ? (JSON.parse(text) as Json) : {} };
}

function seq(json: Json, tag: string): Array<Record<string, { Value?: unknown[] }>> {
  return (json[tag]?.Value as Array<Record<string, { Value?: unknown[] }>> | undefined) ?? [];
}
const uidsIn = (items: Array<Record<string, { Value?: unknown[] }>>): string[] => items.map((i) => String(i['00081155']?.Value?.[0]));
const reasonsIn = (items: Array<Record<string, { Value?: unknown[] }>>): number[] => items.map((i) => Number(i['00081197']?.Value?.[0]));
const textsIn = (items: Array<Record<string, { Value?: unknown[] }>>): string[] => items.map((i) => String(i['00091001']?.Value?.[0]));

describe('STOW-RS receiver', () => {
  let node: TestNode;
  beforeAll(async () => {
    node = await startTestNode({ http: { maxUploadBytes: 4 * 1024 * 1024 } });
  });
  afterAll(async () => node?.destroy());

  it('indexes every instance of a 500-instance, 5-series study sent in one request (200)', async () => {
    const insts = syntheticMrStudy({ seed: 'stow-500', series: 5, slicesPerSeries: 100, rows: 8, columns: 8 });
    const res = await stow(node, multipartRelated(insts.map((i) => i.bytes), 'b0und4ry'));
    expect(res.status).toBe(200);
    expect(uidsIn(seq(res.json, '00081199')).sort()).toEqual(insts.map((i) => i.sopInstanceUid).sort());
    expect(res.json['00081198']).toBeUndefined();
    const study = insts[0]!.studyInstanceUid;
    expect(String((res.json['00081190']?.Value as string[])[0])).toBe(`${node.dicomwebUrl}/studies/${study}`);
    expect(node.store.getStudy(study)).toMatchObject({ seriesCount: 5, instanceCount: 500 });
    const stored = node.store.listInstances({ studyInstanceUid: study });
    const bySop = new Map(insts.map((i) => [i.sopInstanceUid, sha(i.bytes)]));
    expect(stored.every((r) => bySop.get(r.sopInstanceUid) === r.sha256)).toBe(true);
    // Sending it again is idempotent: all referenced, nothing new.
    const again = await stow(node, multipartRelated(insts.slice(0, 10).map((i) => i.bytes), 'b0und4ry'));
    expect(again.status).toBe(200);
    expect(node.store.index.instanceCount(study)).toBe(500);
  });

  it('a truncated part and a garbage part fail with their reason; the valid parts are stored (202)', async () => {
    const [a, b, c] = syntheticMrStudy({ seed: 'stow-mixed', series: 1, slicesPerSeries: 3 });
    const body = multipartRelated([a!.bytes, c!.bytes.subarray(0, c!.bytes.length - 40), Buffer.from('this is not DICOM'), b!.bytes], 'xyz');
    const res = await stow(node, body, { boundary: 'xyz' });
    expect(res.status).toBe(202);
    expect(uidsIn(seq(res.json, '00081199')).sort()).toEqual([a!.sopInstanceUid, b!.sopInstanceUid].sort());
    // The truncated instance's header was readable: it is named, with 0xC000 and the reason in text.
    const failed = seq(res.json, '00081198');
    expect(uidsIn(failed)).toEqual([c!.sopInstanceUid]);
    expect(reasonsIn(failed)).toEqual([0xc000]);
    expect(textsIn(failed)[0]).toMatch(/^part 2: truncated: .*\(7FE0,0010\) declares/);
    const other = seq(res.json, '0008119A');
    expect(reasonsIn(other)).toEqual([0xc000]);
    expect(textsIn(other)[0]).toMatch(/^part 3: not-dicom/);
    expect(node.store.getInstance(c!.sopInstanceUid)).toBeUndefined();
  });

  it('nothing stored is 409, with per-instance reasons (wrong study, SOP class not accepted)', async () => {
    const [a] = syntheticMrStudy({ seed: 'stow-409', series: 1, slicesPerSeries: 1 });
    const other = syntheticStudyUid('some-other-study');
    const res = await stow(node, multipartRelated([a!.bytes], 'q'), { boundary: 'q', path: `/studies/${other}` });
    expect(res.status).toBe(409);
    expect(reasonsIn(seq(res.json, '00081198'))).toEqual([0xc409]);
    expect(textsIn(seq(res.json, '00081198'))[0]).toMatch(/study-mismatch: instance belongs to study/);
    // The right study UID in the URL stores it.
    const ok = await stow(node, multipartRelated([a!.bytes], 'q'), { boundary: 'q', path: `/studies/${a!.studyInstanceUid}` });
    expect(ok.status).toBe(200);
  });

  it('refuses unsupported media types (415), malformed multipart (400), a bad study UID (400) and no parts (400)', async () => {
    const [a] = syntheticMrStudy({ seed: 'stow-media', series: 1, slicesPerSeries: 1 });
    const json = await stow(node, Buffer.from('{}'), { contentType: 'application/json' });
    expect(json.status).toBe(415);
    const meta = await stow(node, Buffer.from('{}'), { contentType: 'multipart/related; type="application/dicom+json"; boundary=x' });
    expect(meta.status).toBe(415);
    expect(JSON.stringify(meta.json)).toMatch(/only application\/dicom parts/);
    const noBoundary = await stow(node, a!.bytes, { contentType: 'multipart/related; type="application/dicom"' });
    expect(noBoundary.status).toBe(400);
    const wrongBoundary = await stow(node, multipartRelated([a!.bytes], 'one'), { boundary: 'two' });
    expect(wrongBoundary.status).toBe(400);
    expect(JSON.stringify(wrongBoundary.json)).toMatch(/malformed multipart/);
    const badUid = await stow(node, multipartRelated([a!.bytes], 'q'), { boundary: 'q', path: '/studies/1.2.abc' });
    expect(badUid.status).toBe(400);
    const empty = await stow(node, Buffer.from('--q--\r\n'), { boundary: 'q' });
    expect(empty.status).toBe(400);
    expect(node.store.getInstance(a!.sopInstanceUid)).toBeUndefined();
    // A bare application/dicom body is one instance.
    const single = await stow(node, a!.bytes, { contentType: 'application/dicom' });
    expect(single.status).toBe(200);
  });

  it('a body cut off before the closing boundary: complete parts stored, the cut part failed', async () => {
    const [a, b] = syntheticMrStudy({ seed: 'stow-cut', series: 1, slicesPerSeries: 2, rows: 64, columns: 64 });
    const full = multipartRelated([a!.bytes, b!.bytes], 'cut');
    const res = await stow(node, full.subarray(0, full.length - 2000), { boundary: 'cut' });
    expect(res.status).toBe(202);
    expect(uidsIn(seq(res.json, '00081199'))).toEqual([a!.sopInstanceUid]);
    expect(textsIn(seq(res.json, '0008119A'))[0]).toMatch(/ended inside this part/);
  });

  it('413 on a declared Content-Length over the limit, before reading anything', async () => {
    const res = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(`${node.dicomwebUrl}/studies`, { method: 'POST', headers: { 'Content-Type': multipartContentType('big'), 'Content-Length': String(10 * 1024 * 1024) } }, (r) => {
        let body = '';
        r.on('data', (d: Buffer) => (body += d.toString()));
        r.on('end', () => resolve({ status: r.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.write('--big\r\n'); // and then nothing: the answer must not wait for the body
    });
    expect(res.status).toBe(413);
    expect(res.body).toMatch(/exceeds http.maxUploadBytes/);
  });

  it('413 on a streamed (chunked) body that passes the limit: earlier complete parts kept, nothing partial left', async () => {
    const insts = syntheticMrStudy({ seed: 'stow-413', series: 1, slicesPerSeries: 60, rows: 128, columns: 128 }); // ~33 kB each... x60 ~ 2 MB
    const big = syntheticMrStudy({ seed: 'stow-413-big', series: 1, slicesPerSeries: 1, rows: 1024, columns: 1024 }); // 2 MB
    const body = multipartRelated([...insts.slice(0, 3).map((i) => i.bytes), big[0]!.bytes, big[0]!.bytes, ...insts.slice(3).map((i) => i.bytes)], 'lim');
    expect(body.length).toBeGreaterThan(4 * 1024 * 1024);
    const res = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(`${node.dicomwebUrl}/studies`, { method: 'POST', headers: { 'Content-Type': multipartContentType('lim'), 'Transfer-Encoding': 'chunked' } }, (r) => {
        let text = '';
        r.on('data', (d: Buffer) => (text += d.toString()));
        r.on('end', () => resolve({ status: r.statusCode ?? 0, body: text }));
      });
      req.on('error', reject);
      let off = 0;
      const pump = (): void => {
        while (off < body.length) {
          const chunk = body.subarray(off, off + 65536);
          off += chunk.length;
          if (!req.write(chunk)) return void req.once('drain', pump);
        }
        req.end();
      };
      pump();
    });
    expect(res.status).toBe(413);
    const json = JSON.parse(res.body) as Json;
    const stored = uidsIn(seq(json, '00081199'));
    expect(stored).toEqual(expect.arrayContaining(insts.slice(0, 3).map((i) => i.sopInstanceUid)));
    for (const uid of stored) expect(node.store.getInstance(uid)).toBeDefined();
    expect(node.store.getInstance(insts[59]!.sopInstanceUid)).toBeUndefined();
    expect(readdirSync(storeLayout(node.dataDir).tmp)).toEqual([]);
  });
});
