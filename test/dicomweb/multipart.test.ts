import { MultipartError, MultipartRelatedParser, parseMediaType, type MultipartEvent } from '../../src/dicomweb/multipart';

interface Part {
  headers: Record<string, string>;
  body: Buffer;
  complete: boolean;
}

/** Feeds `body` in the given chunk sizes and reassembles the parts. */
function parse(body: Buffer, boundary: string, chunk: (i: number) => number): Part[] {
  const p = new MultipartRelatedParser(boundary);
  const parts: Part[] = [];
  let cur: { headers: Record<string, string>; chunks: Buffer[] } | undefined;
  const apply = (evs: MultipartEvent[]): void => {
    for (const e of evs) {
      if (e.kind === 'part-start') cur = { headers: e.headers, chunks: [] };
      else if (e.kind === 'part-data') cur!.chunks.push(Buffer.from(e.data));
      else parts.push({ headers: cur!.headers, body: Buffer.concat(cur!.chunks), complete: e.complete });
    }
  };
  for (let off = 0, i = 0; off < body.length; i++) {
    const n = Math.max(1, chunk(i));
    apply(p.push(body.subarray(off, off + n)));
    off += n;
  }
  apply(p.end());
  return parts;
}

/** Payloads that contain near-boundaries, CRLFs and dashes, to catch off-by-one splitting. */
function payloads(boundary: string): Buffer[] {
  return [
    Buffer.from(`\r\n--${boundary.slice(0, -1)}X\r\n--`, 'latin1'),
    Buffer.alloc(0),
    Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 31) & 0xff)),
    Buffer.from(`--${boundary}`, 'latin1'), // a boundary not preceded by CRLF is data
  ];
}

function body(boundary: string, parts: Buffer[], opts: { preamble?: string; epilogue?: string } = {}): Buffer {
  const out: Buffer[] = [Buffer.from(opts.preamble ?? '', 'latin1')];
  parts.forEach((p, i) => {
    out.push(Buffer.from(`${i === 0 && !opts.preamble ? '' : '\r\n'}--${boundary}  \r\nContent-Type: application/dicom\r\nContent-ID: <p${i}>\r\n\r\n`, 'latin1'), p);
  });
  out.push(Buffer.from(`\r\n--${boundary}--${opts.epilogue ?? ''}`, 'latin1'));
  return Buffer.concat(out);
}

describe('multipart/related parser', () => {
  const boundary = 'DICOMwebBoundary-42';

  it.each([
    ['one chunk', () => 1e9],
    ['1-byte chunks', () => 1],
    ['7-byte chunks', () => 7],
    ['pseudo-random chunks', (i: number) => ((i * 2654435761) >>> 0) % 97],
  ])('reassembles every part byte for byte with %s', (_name, chunk) => {
    const ps = payloads(boundary);
    const parts = parse(body(boundary, ps, { preamble: 'ignored preamble', epilogue: '\r\nepilogue' }), boundary, chunk);
    expect(parts.map((p) => p.body.toString('hex'))).toEqual(ps.map((p) => p.toString('hex')));
    expect(parts.every((p) => p.complete)).toBe(true);
    expect(parts[2]!.headers).toEqual({ 'content-type': 'application/dicom', 'content-id': '<p2>' });
  });

  it('reports a body that ends inside a part as incomplete', () => {
    const b = body(boundary, [Buffer.from('first'), Buffer.from('second part')]);
    const parts = parse(b.subarray(0, b.length - 30), boundary, () => 5);
    expect(parts.map((p) => [p.body.toString(), p.complete])).toEqual([
      ['first', true],
      ['second', false],
    ]);
  });

  it('throws MultipartError for bodies without the boundary, bad headers, or a missing closing delimiter', () => {
    expect(() => parse(Buffer.from('no boundary anywhere'), boundary, () => 100)).toThrow(/no multipart boundary/);
    expect(() => parse(Buffer.from(`--${boundary}\r\nbroken header line\r\n\r\nx\r\n--${boundary}--`), boundary, () => 100)).toThrow(MultipartError);
    expect(() => parse(Buffer.from(`--${boundary}\r\nContent-Type: a/b\r\n`), boundary, () => 100)).toThrow(/closing delimiter/);
    expect(() => new MultipartRelatedParser('')).toThrow(/invalid multipart boundary/);
    // Longer than RFC 2046's 70 characters, as Orthanc's STOW-RS client sends: accepted.
    const long = '9fdf1c6e-1d3a-41c1-b6a8-7bebcfb92ed2-9fdf1c6e-1d3a-41c1-b6a8-7bebcfb92ed2';
    expect(parse(body(long, [Buffer.from('x')]), long, () => 10).map((p) => p.body.toString())).toEqual(['x']);
  });

  it('parses media types with quoted parameters', () => {
    expect(parseMediaType('Multipart/Related; type="application/dicom"; boundary="a b;c"')).toEqual({
      type: 'multipart/related',
      params: { type: 'application/dicom', boundary: 'a b;c' },
    });
    expect(parseMediaType('multipart/related;boundary=xyz;type=application/dicom').params).toEqual({ boundary: 'xyz', type: 'application/dicom' });
  });
});
