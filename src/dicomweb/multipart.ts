/**
 * Streaming multipart/related (RFC 2387 / RFC 2046 5.1) parser. Push-based and synchronous: feed chunks with
 * push(), get back events (part headers, body data slices, part end). Nothing is buffered beyond one chunk plus
 * a delimiter's length, so a multi-gigabyte STOW body streams through in constant memory.
 *
 *   body      := preamble? "--" boundary padding CRLF part ( CRLF "--" boundary padding CRLF part )* CRLF "--" boundary "--" epilogue
 *   part      := header-lines CRLF body-octets
 */

export class MultipartError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MultipartError';
  }
}

export type MultipartEvent =
  | { kind: 'part-start'; headers: Record<string, string> }
  | { kind: 'part-data'; data: Buffer }
  /** complete=false: the body ended inside this part (no closing delimiter). */
  | { kind: 'part-end'; complete: boolean };

const CRLF = Buffer.from('\r\n');
const MAX_HEADER_BYTES = 16 * 1024;

type State = 'preamble' | 'after-boundary' | 'headers' | 'body' | 'epilogue';

export class MultipartRelatedParser {
  /** "\r\n--boundary": the delimiter between parts. */
  private readonly delimiter: Buffer;
  private state: State = 'preamble';
  private carry: Buffer = Buffer.alloc(0);
  private headerBytes = 0;
  private parts = 0;
  /** A framing error found after some events of the same chunk: those are returned first, the error next call. */
  private pendingError?: MultipartError;

  constructor(boundary: string) {
    // RFC 2046 caps boundaries at 70 characters, but real senders exceed it (Orthanc's STOW client uses 73).
    if (!boundary || boundary.length > 256 || /[\r\n]/.test(boundary)) throw new MultipartError(`invalid multipart boundary ${JSON.stringify(boundary.slice(0, 300))}`);
    this.delimiter = Buffer.from(`\r\n--${boundary}`, 'latin1');
  }

  get partCount(): number {
    return this.parts;
  }

  get finished(): boolean {
    return this.state === 'epilogue';
  }

  /**
   * Feeds the next chunk; returns the events it completes, in order. Throws MultipartError on malformed input; when
   * the chunk completed parts before the error, those come back first and the error is thrown by the next call, so
   * that how the body was split into chunks never changes what is stored.
   */
  push(chunk: Buffer): MultipartEvent[] {
    if (this.pendingError) throw this.pendingError;
    const events: MultipartEvent[] = [];
    try {
      return this.parse(chunk, events);
    } catch (e) {
      if (!(e instanceof MultipartError) || !events.length) throw e;
      this.pendingError = e;
      return events;
    }
  }

  private parse(chunk: Buffer, events: MultipartEvent[]): MultipartEvent[] {
    let buf = this.carry.length ? Buffer.concat([this.carry, chunk]) : chunk;
    this.carry = Buffer.alloc(0);
    for (;;) {
      switch (this.state) {
        case 'preamble': {
          // The first boundary may start the body (no CRLF before it) or follow a preamble.
          const first = this.delimiter.subarray(2);
          if (buf.length >= first.length && buf.subarray(0, first.length).equals(first)) {
            buf = buf.subarray(first.length);
            this.state = 'after-boundary';
            continue;
          }
          const at = buf.indexOf(this.delimiter);
          if (at >= 0) {
            buf = buf.subarray(at + this.delimiter.length);
            this.state = 'after-boundary';
            continue;
          }
          if (buf.length > MAX_HEADER_BYTES + this.delimiter.length && this.parts === 0) {
            throw new MultipartError('no multipart boundary found at the start of the body (is the boundary parameter right?)');
          }
          this.carry = buf.subarray(Math.max(0, buf.length - this.delimiter.length + 1));
          return events;
        }
        case 'after-boundary': {
          // "--" closes the body; otherwise optional whitespace (transport padding) then CRLF.
          if (buf.length < 2) {
            this.carry = buf;
            return events;
          }
          if (buf[0] === 0x2d && buf[1] === 0x2d) {
            this.state = 'epilogue';
            return events;
          }
          const eol = buf.indexOf(CRLF);
          if (eol < 0) {
            if (buf.length > 256) throw new MultipartError('multipart boundary line is not followed by CRLF');
            this.carry = buf;
            return events;
          }
          if (!/^[ \t]*$/.test(buf.subarray(0, eol).toString('latin1'))) {
            throw new MultipartError('unexpected characters after a multipart boundary');
          }
          buf = buf.subarray(eol + 2);
          this.state = 'headers';
          this.headerBytes = 0;
          continue;
        }
        case 'headers': {
          // A part with no header lines starts with CRLF directly.
          if (buf.length >= 2 && buf[0] === 0x0d && buf[1] === 0x0a) {
            buf = buf.subarray(2);
            this.startPart({}, events);
            continue;
          }
          const end = buf.indexOf('\r\n\r\n', 0, 'latin1');
          if (end < 0) {
            this.headerBytes += buf.length;
            if (this.headerBytes > MAX_HEADER_BYTES) throw new MultipartError(`multipart part headers longer than ${MAX_HEADER_BYTES} bytes`);
            this.carry = buf;
            return events;
          }
          this.startPart(parseHeaderLines(buf.subarray(0, end).toString('latin1')), events);
          buf = buf.subarray(end + 4);
          continue;
        }
        case 'body': {
          const at = buf.indexOf(this.delimiter);
          if (at >= 0) {
            if (at > 0) events.push({ kind: 'part-data', data: buf.subarray(0, at) });
            events.push({ kind: 'part-end', complete: true });
            buf = buf.subarray(at + this.delimiter.length);
            this.state = 'after-boundary';
            continue;
          }
          // Keep the tail that could be the start of a delimiter split across chunks.
          const keep = Math.min(buf.length, this.delimiter.length - 1);
          const safe = buf.length - keep;
          if (safe > 0) events.push({ kind: 'part-data', data: buf.subarray(0, safe) });
          this.carry = Buffer.from(buf.subarray(safe));
          return events;
        }
        case 'epilogue':
          return events;
      }
    }
  }

  /** Signals the end of the body. A body cut inside a part yields part-end(complete=false); other cuts throw. */
  end(): MultipartEvent[] {
    if (this.pendingError) throw this.pendingError;
    switch (this.state) {
      case 'epilogue':
        return [];
      case 'body': {
        const events: MultipartEvent[] = [];
        if (this.carry.length) events.push({ kind: 'part-data', data: this.carry });
        this.carry = Buffer.alloc(0);
        events.push({ kind: 'part-end', complete: false });
        this.state = 'epilogue';
        return events;
      }
      case 'preamble':
        throw new MultipartError(this.parts === 0 ? 'no multipart boundary found in the body' : 'multipart body ended unexpectedly');
      default:
        if (this.parts === 0 && this.state === 'after-boundary') {
          throw new MultipartError('multipart body has a boundary but no parts and no closing delimiter');
        }
        throw new MultipartError('multipart body ended without its closing delimiter ("--boundary--")');
    }
  }

  private startPart(headers: Record<string, string>, events: MultipartEvent[]): void {
    this.parts++;
    this.state = 'body';
    events.push({ kind: 'part-start', headers });
  }
}

/** "Content-Type: x\r\nContent-Location: y" -> { 'content-type': 'x', 'content-location': 'y' } (folded lines joined). */
function parseHeaderLines(text: string): Record<string, string> {
  const headers: Record<string, string> = {};
  let last: string | undefined;
  for (const line of text.split('\r\n')) {
    if (/^[ \t]/.test(line) && last) {
      headers[last] += ' ' + line.trim();
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) throw new MultipartError(`malformed part header line ${JSON.stringify(line.slice(0, 80))}`);
    last = line.slice(0, colon).trim().toLowerCase();
    headers[last] = line.slice(colon + 1).trim();
  }
  return headers;
}

/** A parsed media type: "multipart/related; type=\"application/dicom\"; boundary=x" */
export interface MediaType {
  type: string;
  params: Record<string, string>;
}

/** Parses a Content-Type / Accept media range (RFC 9110 8.3.1); parameter names lower-cased, quotes removed. */
export function parseMediaType(value: string): MediaType {
  const s = value.trim();
  const semi = s.indexOf(';');
  const type = (semi < 0 ? s : s.slice(0, semi)).trim().toLowerCase();
  const params: Record<string, string> = {};
  let rest = semi < 0 ? '' : s.slice(semi + 1);
  const re = /^\s*([^=;\s]+)\s*=\s*("((?:[^"\\]|\\.)*)"|[^;]*)\s*;?/;
  while (rest.trim()) {
    const m = re.exec(rest);
    if (!m) break;
    params[m[1]!.toLowerCase()] = m[3] !== undefined ? m[3].replace(/\\(.)/g, '$1') : m[2]!.trim();
    rest = rest.slice(m[0].length);
  }
  return { type, params };
}
