/**
 * Slow and oversized clients against a real node with small configured limits (http.headersTimeoutSeconds,
 * http.keepAliveTimeoutSeconds, http.uploadMinBytesPerSecond / uploadRateWindowSeconds, http.maxUploadBytes):
 * raw sockets for a slow header, a slow body, a chunked trickle and idle sockets; curl for the 413 of an
 * over-limit upload, repeatedly, which must be read by the sender (no connection reset, curl exit 55).
 * Every case is bounded: a socket still open after a few seconds fails the test instead of hanging it.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { multipartContentType, multipartRelated, syntheticMrStudy } from '../../src/testing/synthetic-mr';
import { startTestNode, type TestNode } from './node-fixture';

interface Outcome {
  /** What the server sent before closing. */
  text: string;
  /** ms from connect to close; Infinity when the socket was still open at the deadline. */
  closedAfterMs: number;
}

/** Opens a raw connection, runs `drive` (which writes on its own schedule), and waits for the server to close it. */
function rawClient(port: number, drive: (s: Socket, stopped: () => boolean) => Promise<void> | void, deadlineMs: number): Promise<Outcome> {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const s = connect(port, '127.0.0.1');
    let text = '';
    let done = false;
    const finish = (closedAfterMs: number): void => {
      if (done) return;
      done = true;
      clearTimeout(deadline);
      s.destroy();
      resolve({ text, closedAfterMs });
    };
    const deadline = setTimeout(() => finish(Infinity), deadlineMs);
    s.on('data', (d: Buffer) => (text += d.toString('latin1')));
    s.on('error', () => undefined);
    s.on('close', () => finish(Date.now() - t0));
    s.on('connect', () => void Promise.resolve(drive(s, () => done)).catch(() => undefined));
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Writes `piece` every `everyMs` until the socket closes. */
async function trickle(s: Socket, stopped: () => boolean, piece: string, everyMs: number): Promise<void> {
  while (!stopped() && !s.destroyed) {
    s.write(piece);
    await sleep(everyMs);
  }
}

function curl(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('curl', args, { timeout: 30_000 }, (err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }));
  });
}

describe('slow and oversized HTTP clients', () => {
  let node: TestNode;
  let port: number;
  const dir = mkdtempSync(join(tmpdir(), 'slow-'));
  beforeAll(async () => {
    node = await startTestNode({
      http: { headersTimeoutSeconds: 1, keepAliveTimeoutSeconds: 1, uploadMinBytesPerSecond: 2000, uploadRateWindowSeconds: 1, maxUploadBytes: 1024 * 1024 },
    });
    port = Number(new URL(node.httpUrl).port);
  });
  afterAll(async () => {
    await node?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('closes a connection whose headers never finish (slow header) with 408', async () => {
    const o = await rawClient(port, async (s, stopped) => {
      s.write('GET /healthz HTTP/1.1\r\nHost: x\r\n');
      await trickle(s, stopped, 'X-Slow: a\r\n', 200);
    }, 6000);
    expect(o.closedAfterMs).toBeLessThan(4000);
    expect(o.text).toMatch(/^HTTP\/1\.1 408 /);
  });

  it('closes a connection that sends nothing at all (idle socket)', async () => {
    const o = await rawClient(port, () => undefined, 6000);
    expect(o.closedAfterMs).toBeLessThan(4000);
  });

  it('closes an idle keep-alive connection after its answer', async () => {
    const o = await rawClient(port, (s) => void s.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n'), 6000);
    expect(o.text).toMatch(/^HTTP\/1\.1 200 /);
    expect(o.closedAfterMs).toBeLessThan(4000);
  });

  it('answers 408 and closes a STOW whose body trickles in below the minimum rate (slow body)', async () => {
    const head = `POST /dicom-web/studies HTTP/1.1\r\nHost: x\r\nContent-Type: ${multipartContentType('b0und4ry')}\r\nContent-Length: 500000\r\n\r\n--b0und4ry\r\nContent-Type: application/dicom\r\n\r\n`;
    const o = await rawClient(port, async (s, stopped) => {
      s.write(head);
      await trickle(s, stopped, 'x'.repeat(50), 250);
    }, 8000);
    expect(o.closedAfterMs).toBeLessThan(5000);
    expect(o.text).toMatch(/^HTTP\/1\.1 408 /);
    expect(o.text).toMatch(/Connection: close/i);
    expect(o.text).toMatch(/request body too slow: .* below http\.uploadMinBytesPerSecond \(2000\)/);
  });

  it('answers 408 and closes a chunked STOW that trickles', async () => {
    const head = `POST /dicom-web/studies HTTP/1.1\r\nHost: x\r\nContent-Type: ${multipartContentType('b0und4ry')}\r\nTransfer-Encoding: chunked\r\n\r\n`;
    const o = await rawClient(port, async (s, stopped) => {
      s.write(head);
      await trickle(s, stopped, '5\r\nabcde\r\n', 250);
    }, 8000);
    expect(o.closedAfterMs).toBeLessThan(5000);
    expect(o.text).toMatch(/^HTTP\/1\.1 408 /);
  });

  it('lets a body at a steady rate above the minimum through, however long it takes', async () => {
    const [inst] = syntheticMrStudy({ seed: 'slow-ok', series: 1, slicesPerSeries: 1, rows: 64, columns: 64 });
    const body = multipartRelated([inst!.bytes], 'b0und4ry');
    const head = `POST /dicom-web/studies HTTP/1.1\r\nHost: x\r\nContent-Type: ${multipartContentType('b0und4ry')}\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`;
    const o = await rawClient(port, async (s) => {
      s.write(head);
      // ~8 KB per 250 ms = 32 KB/s, over 2.5 s or more: several watchdog windows.
      const step = Math.ceil(body.length / 10);
      for (let off = 0; off < body.length; off += step) {
        s.write(body.subarray(off, off + step));
        await sleep(250);
      }
    }, 15000);
    expect(o.text).toMatch(/^HTTP\/1\.1 200 /);
  });

  it('keeps answering /healthz while a request of 500,000 empty parts is cut off at the default part limit', async () => {
    const part = '--b0und4ry\r\nContent-Type: application/dicom\r\n\r\n\r\n';
    const body = Buffer.from(part.repeat(500_000) + '--b0und4ry--\r\n', 'latin1');
    let polling = true;
    const latencies: number[] = [];
    const poll = (async () => {
      while (polling) {
        const t0 = Date.now();
        await (await fetch(`${node.httpUrl}/healthz`)).arrayBuffer();
        latencies.push(Date.now() - t0);
        await sleep(20);
      }
    })();
    const t0 = Date.now();
    // Chunked (no Content-Length), so the part limit, not the size limit (1 MiB here), ends it: 10,001 parts are ~490 KB.
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        for (let off = 0; off < body.length; off += 65536) c.enqueue(body.subarray(off, off + 65536));
        c.close();
      },
    });
    const r = await fetch(`${node.dicomwebUrl}/studies`, { method: 'POST', headers: { 'Content-Type': multipartContentType('b0und4ry') }, body: stream, duplex: 'half' });
    const text = await r.text();
    const ms = Date.now() - t0;
    polling = false;
    await poll;
    expect(r.status).toBe(413);
    expect(text).toMatch(/more than http\.maxPartsPerRequest \(10000\) parts/);
    expect(text.length).toBeLessThan(64 * 1024);
    expect(ms).toBeLessThan(20_000);
    // Generous for a shared test machine; the probe saw 3.4 s.
    expect(Math.max(...latencies)).toBeLessThan(1500);
  }, 60_000);

  it('a sender busy uploading still reads the 413 after a while: the node closes gracefully instead of resetting', async () => {
    // The client keeps sending and only looks at the answer after 500 ms. A reset (close with its upload unread)
    // would throw away the answer waiting in its receive buffer.
    const chunk = Buffer.alloc(64 * 1024, 0x41);
    const LENGTH = 4096 * chunk.length; // 256 MiB; the client never sends more than it announced
    const head = `POST /dicom-web/studies HTTP/1.1\r\nHost: x\r\nContent-Type: ${multipartContentType('b0und4ry')}\r\nContent-Length: ${LENGTH}\r\n\r\n`;
    for (const attempt of [1, 2, 3]) {
      let writing = true;
      const got = await new Promise<string>((done) => {
        const s = connect(port, '127.0.0.1');
        const resolve = (v: string): void => {
          writing = false;
          s.destroy();
          done(v);
        };
        let text = '';
        s.pause();
        s.on('error', (e) => resolve(`${text}[${(e as NodeJS.ErrnoException).code}]`));
        s.on('data', (d: Buffer) => (text += d.toString('latin1')));
        s.on('end', () => resolve(text));
        s.on('connect', () => {
          s.write(head);
          let sent = 0;
          const pump = (): void => {
            while (writing && sent < LENGTH) {
              sent += chunk.length;
              if (!s.write(chunk)) break;
            }
            if (writing && sent < LENGTH) s.once('drain', pump);
          };
          pump();
          setTimeout(() => {
            writing = false;
            s.resume();
          }, 500);
        });
      });
      expect({ attempt, answer: got.slice(0, 24) }).toEqual({ attempt, answer: 'HTTP/1.1 413 Payload Too' });
    }
  });

  it('answers an over-limit upload 413 every time, and the sender reads it (curl, Content-Length and chunked)', async () => {
    const big = join(dir, 'big.bin');
    writeFileSync(big, '');
    truncateSync(big, 512 * 1024 * 1024); // sparse: costs no disk
    const url = `${node.dicomwebUrl}/studies`;
    const ct = `Content-Type: ${multipartContentType('b0und4ry')}`;
    for (let i = 0; i < 4; i++) {
      for (const extra of [[], ['-H', 'Expect:'], ['-H', 'Transfer-Encoding: chunked']]) {
        const r = await curl(['-sS', '-o', '/dev/null', '-w', '%{http_code}', '-X', 'POST', '-H', ct, ...extra, '-T', big, url]);
        expect({ extra, code: r.code, status: r.stdout, stderr: r.stderr }).toEqual({ extra, code: 0, status: '413', stderr: '' });
      }
    }
  }, 120_000);
});
