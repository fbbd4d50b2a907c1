/**
 * The malformed STOW-RS input corpus of the reliability probe, with the answer each one must get: a clear status,
 * a reason naming the problem (error text, or FailureReason plus explanation per part), never a 5xx, and the node
 * still answering afterwards. One real node; every request is small, so the suite runs in seconds.
 */
import { request } from 'node:http';
import { multipartContentType, syntheticMrStudy } from '../../src/testing/synthetic-mr';
import { startTestNode, type TestNode } from '../web/node-fixture';

interface Case {
  name: string;
  path?: string;
  headers?: Record<string, string>;
  body: Buffer | string;
  status: number;
  /** Matched against the JSON error, or the explanations (0009,1001) of the failure items. */
  says: RegExp;
  /** FailureReason codes (0008,1197) of the failure items, in order. */
  reasons?: number[];
}

const B = 'b0und4ry';
const CT = multipartContentType(B);
const part = (bytes: Buffer | string, type = 'application/dicom'): Buffer => Buffer.concat([Buffer.from(`--${B}\r\nContent-Type: ${type}\r\n\r\n`), Buffer.from(bytes), Buffer.from('\r\n')]);
const close = Buffer.from(`--${B}--\r\n`);

function post(url: string, c: Case): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url + (c.path ?? '/studies'), { method: 'POST', headers: { 'Content-Type': CT, ...c.headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => resolve({ status: res.statusCode!, text: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    if (c.headers?.['Content-Type'] === '') req.removeHeader('Content-Type');
    req.end(c.body);
  });
}

function explain(text: string): { says: string; reasons: number[] } {
  const json = JSON.parse(text) as Record<string, { Value?: Array<Record<string, { Value?: unknown[] }>> } | string>;
  if (typeof json.error === 'string') return { says: json.error, reasons: [] };
  const items = [...((json['00081198'] as { Value?: [] } | undefined)?.Value ?? []), ...((json['0008119A'] as { Value?: [] } | undefined)?.Value ?? [])] as Array<Record<string, { Value?: unknown[] }>>;
  return { says: items.map((i) => String(i['00091001']?.Value?.[0])).join(' | ') + ' ' + JSON.stringify(json['00091001'] ?? ''), reasons: items.map((i) => Number(i['00081197']?.Value?.[0])) };
}

describe('malformed STOW-RS input corpus', () => {
  let node: TestNode;
  const [a, b] = syntheticMrStudy({ seed: 'malformed', series: 1, slicesPerSeries: 2, rows: 8, columns: 8 });
  beforeAll(async () => {
    node = await startTestNode({ http: { maxUploadBytes: 256 * 1024, maxPartsPerRequest: 50 } });
  });
  afterAll(async () => node?.destroy());

  const cases: Case[] = [
    { name: 'no Content-Type', headers: { 'Content-Type': '' }, body: 'x', status: 415, says: /missing Content-Type/ },
    { name: 'text/plain', headers: { 'Content-Type': 'text/plain' }, body: 'x', status: 415, says: /unsupported Content-Type text\/plain/ },
    { name: 'metadata + bulk data STOW', headers: { 'Content-Type': `multipart/related; type="application/dicom+json"; boundary=${B}` }, body: 'x', status: 415, says: /only application\/dicom parts/ },
    { name: 'no boundary parameter', headers: { 'Content-Type': 'multipart/related; type="application/dicom"' }, body: 'x', status: 400, says: /no boundary parameter/ },
    { name: 'boundary of 300 characters', headers: { 'Content-Type': `multipart/related; type="application/dicom"; boundary=${'x'.repeat(300)}` }, body: 'x', status: 400, says: /invalid multipart boundary/ },
    { name: 'Accept the node cannot answer', headers: { Accept: 'text/html' }, body: Buffer.concat([part(a!.bytes), close]), status: 406, says: /Accept "text\/html"/ },
    { name: 'study UID in the URL not a UID', path: '/studies/1.2.abc', body: Buffer.concat([part(a!.bytes), close]), status: 400, says: /not a valid UID/ },
    { name: 'empty body', body: '', status: 400, says: /no multipart boundary found/ },
    { name: 'body with another boundary', body: `--other\r\nContent-Type: application/dicom\r\n\r\nxx\r\n--other--\r\n`, status: 400, says: /no multipart boundary found/ },
    { name: 'only the closing delimiter', body: close, status: 400, says: /contains no parts/ },
    { name: 'malformed part header line', body: Buffer.concat([Buffer.from(`--${B}\r\nno colon here\r\n\r\nxx\r\n`), close]), status: 400, says: /malformed part header line/ },
    { name: 'part headers over 16 KB', body: Buffer.from(`--${B}\r\nX-Long: ${'a'.repeat(20_000)}`), status: 400, says: /part headers longer than 16384 bytes/ },
    { name: 'junk after a boundary', body: Buffer.from(`--${B}junk\r\n\r\nxx\r\n--${B}--\r\n`), status: 400, says: /unexpected characters after a multipart boundary/ },
    { name: 'a text/plain part', body: Buffer.concat([part('hello', 'text/plain'), close]), status: 409, says: /part 1: not-dicom: part Content-Type text\/plain/, reasons: [0xc000] },
    { name: 'an empty part', body: Buffer.concat([part(''), close]), status: 409, says: /part 1: not-dicom: empty part/, reasons: [0xc000] },
    { name: 'a garbage part', body: Buffer.concat([part('garbage garbage garbage'), close]), status: 409, says: /part 1: not-dicom/, reasons: [0xc000] },
    { name: 'half an instance', body: Buffer.concat([part(a!.bytes.subarray(0, Math.floor(a!.bytes.length / 2))), close]), status: 409, says: /part 1: (truncated|missing-pixel-data)/ },
    { name: 'body cut inside a part', body: Buffer.concat([part(a!.bytes), Buffer.from(`--${B}\r\nContent-Type: application/dicom\r\n\r\n`), b!.bytes.subarray(0, 100)]), status: 202, says: /part 2: truncated: the request body ended inside this part/, reasons: [0xc000] },
    { name: 'framing broken after a good part', body: Buffer.concat([part(a!.bytes), Buffer.from(`--${B}\r\nno colon\r\n\r\nxx\r\n`), close]), status: 202, says: /malformed multipart\/related body after part 1: malformed part header line/, reasons: [0xc000] },
    { name: 'instance of another study than the URL names', path: '/studies/1.2.3.4', body: Buffer.concat([part(a!.bytes), close]), status: 409, says: /study-mismatch: instance belongs to study/, reasons: [0xc409] },
    { name: 'a bare application/dicom body that is not DICOM', headers: { 'Content-Type': 'application/dicom' }, body: 'not dicom', status: 409, says: /part 1: not-dicom/, reasons: [0xc000] },
    { name: 'Content-Length over http.maxUploadBytes', body: Buffer.concat([part(Buffer.alloc(300 * 1024)), close]), status: 413, says: /exceeds http\.maxUploadBytes \(262144\)/ },
    { name: 'more parts than http.maxPartsPerRequest', body: Buffer.concat([...Array.from({ length: 60 }, () => part('')), close]), status: 413, says: /more than http\.maxPartsPerRequest \(50\) parts/ },
  ];

  it.each(cases)('$name: $status', async (c) => {
    const r = await post(node.dicomwebUrl, c);
    const e = explain(r.text);
    expect({ status: r.status, says: e.says }).toEqual({ status: c.status, says: expect.stringMatching(c.says) });
    if (c.reasons) expect(e.reasons).toEqual(c.reasons);
  });

  it('still answers, and stored only the whole instances of the corpus', async () => {
    expect((await fetch(`${node.httpUrl}/healthz`)).status).toBe(200);
    expect(node.store.listInstances({ studyInstanceUid: a!.studyInstanceUid }).map((i) => i.sopInstanceUid)).toEqual([a!.sopInstanceUid]);
  });
});
