/**
 * DIMSE abuse cases against the real SCP over the real store: an A-ASSOCIATE-RQ that declares
 * 0xFFFFFFF0 bytes and keeps streaming, a connection that never associates, a flood of unassociated connections,
 * a first PDU that is not an A-ASSOCIATE-RQ and an over-long P-DATA-TF inside an association. Each must end with an
 * A-ABORT (or a close) within about a second, hold no data, and leave the SCP answering echoscu. Plus the safe
 * defaults of the configuration (loopback, allow-list on a network address).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type Socket } from 'node:net';
import { once } from 'node:events';
import { parseConfig } from '../../src/config/load';
import { InstanceStore } from '../../src/store/store';
import { SopClass } from '../../src/dicom/constants';
import { startDimseService } from '../../src/dimse-bridge/service';
import type { DimseScp } from '../../src/dimse-bridge/scp';
import { PduLengthGuard, pduLimits } from '../../src/dimse-bridge/pdu-guard';
import { runTool } from '../helpers/dcmtk';
import { waitFor } from '../helpers/ports';
import { captureLogs, type LogCapture } from './helpers/log-capture';
import { associateRq, PduReader } from './helpers/raw-association';

let dir: string;
let store: InstanceStore;
let scp: DimseScp;
let logs: LogCapture;
const MAX_PDU = 16384;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'dimse-abuse-'));
  const config = parseConfig({
    node: { dataDir: join(dir, 'var') },
    dimse: { port: 0, maxPduLength: MAX_PDU, associationTimeoutSeconds: 1, maxUnassociatedConnections: 8 },
  });
  store = await InstanceStore.open({ dataDir: config.node.dataDir, acceptedSopClasses: config.node.acceptedSopClasses });
  scp = (await startDimseService(config, store))!;
  logs = captureLogs();
});

afterAll(async () => {
  logs.stop();
  await scp.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

async function open(): Promise<{ sock: Socket; reader: PduReader; closed: Promise<number> }> {
  const sock = connect({ host: '127.0.0.1', port: scp.port, noDelay: true });
  sock.on('error', () => undefined); // EPIPE / ECONNRESET once the SCP closes: expected here
  const t0 = Date.now();
  const closed = new Promise<number>((r) => sock.once('close', () => r(Date.now() - t0)));
  await once(sock, 'connect');
  return { sock, reader: new PduReader(sock), closed };
}

/** Writes `total` bytes in 64 KiB chunks, honouring back-pressure, until done or the socket closes. */
async function stream(sock: Socket, total: number): Promise<number> {
  const chunk = Buffer.alloc(64 * 1024, 0x41);
  let sent = 0;
  while (sent < total && !sock.destroyed && sock.writable) {
    if (!sock.write(chunk)) await new Promise((r) => ['drain', 'close', 'error'].forEach((ev) => sock.once(ev, r)));
    sent += chunk.length;
  }
  return sent;
}

async function echoWorks(): Promise<boolean> {
  const r = await runTool('echoscu', ['-aet', 'ECHOSCU', '-aec', 'NEUROONC', '127.0.0.1', String(scp.port)]);
  return r.code === 0;
}

it('aborts an A-ASSOCIATE-RQ declaring 0xFFFFFFF0 bytes at once, six times over, without buffering what follows', async () => {
  const before = process.memoryUsage().arrayBuffers;
  const runs = await Promise.all(
    Array.from({ length: 6 }, async () => {
      const c = await open();
      const head = Buffer.from([0x01, 0x00, 0xff, 0xff, 0xff, 0xf0]);
      c.sock.write(head);
      const sent = stream(c.sock, 16 * 1024 * 1024);
      const abort = await c.reader.next(3000);
      const ms = await c.closed;
      await sent;
      return { abort, ms };
    }),
  );
  for (const r of runs) {
    expect([...r.abort]).toEqual([0x07, 0, 0, 0, 0, 4, 0, 0, 2, 6]); // A-ABORT, service provider, invalid parameter
    expect(r.ms).toBeLessThan(3000);
  }
  // Before the fix every connection held all it had received (96 MB here) until a 30 s timeout.
  expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(48 * 1024 * 1024);
  expect(logs.lines.join('')).toMatch(/DIMSE connection aborted: PDU type 0x01 declares 4294967280 bytes, over the limit of 65536/);
  await waitFor(async () => scp.activeAssociations() === 0, 2000, 'the aborted connections to close');
  expect(await echoWorks()).toBe(true);
});

it('closes a connection that sends no A-ASSOCIATE-RQ within dimse.associationTimeoutSeconds', async () => {
  const c = await open();
  const ms = await c.closed;
  expect(ms).toBeGreaterThanOrEqual(900);
  expect(ms).toBeLessThan(4000);
  expect(logs.lines.join('')).toMatch(/no A-ASSOCIATE-RQ within 1 s of connecting/);
});

it('closes connections beyond dimse.maxUnassociatedConnections at once, and associates again afterwards', async () => {
  const idle = await Promise.all(Array.from({ length: 8 }, () => open()));
  const extra = await open();
  const ms = await extra.closed;
  expect(ms).toBeLessThan(500);
  expect(logs.lines.join('')).toMatch(/8 connections are already negotiating \(dimse.maxUnassociatedConnections\)/);
  idle.forEach((c) => c.sock.destroy());
  await Promise.all(idle.map((c) => c.closed));
  await new Promise((r) => setTimeout(r, 50));
  expect(await echoWorks()).toBe(true);
});

it('aborts a connection whose first PDU is not an A-ASSOCIATE-RQ', async () => {
  const c = await open();
  c.sock.write(Buffer.from([0x04, 0, 0, 0, 0, 8, 0, 0, 0, 4, 1, 3, 0, 0]));
  const abort = await c.reader.next(2000);
  expect(abort[0]).toBe(0x07);
  expect(abort[9]).toBe(2); // unexpected PDU
  expect(await c.closed).toBeLessThan(2000);
});

it('aborts an association whose P-DATA-TF declares more than dimse.maxPduLength', async () => {
  const c = await open();
  c.sock.write(associateRq('RAWSCU', 'NEUROONC', SopClass.MRImage));
  const ac = await c.reader.next();
  expect(ac[0]).toBe(0x02);
  const head = Buffer.alloc(6);
  head[0] = 0x04;
  head.writeUInt32BE(MAX_PDU + 1, 2);
  c.sock.write(head);
  void stream(c.sock, 4 * 1024 * 1024);
  const abort = await c.reader.next(2000);
  expect(abort[0]).toBe(0x07);
  expect(abort[9]).toBe(6);
  expect(await c.closed).toBeLessThan(2000);
  expect(logs.lines.join('')).toMatch(new RegExp(`P-DATA-TF declares ${MAX_PDU + 1} bytes, over the limit of ${MAX_PDU}`));
  expect(await echoWorks()).toBe(true);
});

describe('PDU framing guard', () => {
  it('follows PDU boundaries across chunk splits, and accepts PDUs at the limit', () => {
    const g = new PduLengthGuard(pduLimits(MAX_PDU));
    const rq = associateRq('A', 'B', SopClass.MRImage);
    const pdata = Buffer.alloc(6 + MAX_PDU);
    pdata[0] = 0x04;
    pdata.writeUInt32BE(MAX_PDU, 2);
    const all = Buffer.concat([rq, pdata, pdata]);
    for (let i = 0; i < all.length; i += 5) expect(g.feed(all.subarray(i, i + 5))).toBeUndefined();
    const over = Buffer.from([0x04, 0, 0, 0, 0x40, 0x01]);
    expect(g.feed(over.subarray(0, 3))).toBeUndefined();
    expect(g.feed(over.subarray(3))?.message).toMatch(/P-DATA-TF declares 16385 bytes/);
  });

  it('refuses an unknown PDU type', () => {
    const g = new PduLengthGuard(pduLimits(MAX_PDU));
    expect(g.feed(Buffer.from([0x47, 0x45, 0x54, 0x20, 0x2f, 0x20]))?.abortReason).toBe(1); // "GET / "
  });
});

describe('safe defaults', () => {
  it('binds DIMSE to loopback unless dimse.host is set', () => {
    expect(parseConfig({}).dimse.host).toBe('127.0.0.1');
  });

  it('on a network address requires an allow-list or dimse.allowAnyCallingAe', () => {
    expect(() => parseConfig({ dimse: { host: '0.0.0.0' } })).toThrow(/dimse\.host 0\.0\.0\.0 is reachable from the network but dimse\.allowedCallingAeTitles is empty/);
    expect(parseConfig({ dimse: { host: '0.0.0.0', allowedCallingAeTitles: ['MRI1'] } }).dimse.host).toBe('0.0.0.0');
    expect(parseConfig({ dimse: { host: '10.1.2.3', allowAnyCallingAe: true } }).dimse.allowAnyCallingAe).toBe(true);
    expect(parseConfig({ dimse: { host: '0.0.0.0', enabled: false } }).dimse.enabled).toBe(false);
  });
});
