/**
 * A deliberately minimal DICOM upper-layer client that writes PDUs by hand (PS3.8 9.3), to produce faults no real
 * SCU produces on purpose: a C-STORE whose data set stops half-way before the connection drops.
 */
import { connect, type Socket } from 'node:net';
import { once } from 'node:events';
import { TransferSyntax } from '../../../src/dicom/constants';
import { splitP10 } from '../../../src/dimse-bridge/p10-split';
import { commandElement, encodePdvPdu as pData, text, us } from '../../../src/dimse-bridge/store-response';

function item(type: number, body: Buffer): Buffer {
  const h = Buffer.alloc(4);
  h[0] = type;
  h.writeUInt16BE(body.length, 2);
  return Buffer.concat([h, body]);
}

function ae(title: string): Buffer {
  return Buffer.from(title.padEnd(16, ' ').slice(0, 16), 'latin1');
}

/** A-ASSOCIATE-RQ with one presentation context (id 1) for `sopClassUid` in one transfer syntax (Explicit VR LE). */
export function associateRq(calling: string, called: string, sopClassUid: string, transferSyntaxUid: string = TransferSyntax.ExplicitVRLittleEndian): Buffer {
  const pc = Buffer.concat([Buffer.from([1, 0, 0, 0]), item(0x30, Buffer.from(sopClassUid)), item(0x40, Buffer.from(transferSyntaxUid))]);
  const maxLen = Buffer.alloc(4);
  maxLen.writeUInt32BE(16384, 0);
  const variable = Buffer.concat([item(0x10, Buffer.from('1.2.840.10008.3.1.1.1')), item(0x20, pc), item(0x50, item(0x51, maxLen))]);
  const fixed = Buffer.alloc(68);
  fixed.writeUInt16BE(1, 0);
  ae(called).copy(fixed, 4);
  ae(calling).copy(fixed, 20);
  const body = Buffer.concat([fixed, variable]);
  const head = Buffer.alloc(6);
  head[0] = 0x01;
  head.writeUInt32BE(body.length, 2);
  return Buffer.concat([head, body]);
}

/** C-STORE-RQ command set (Implicit VR LE). */
export function cStoreRqCommand(sopClassUid: string, sopInstanceUid: string, messageId: number): Buffer {
  const rest = Buffer.concat([
    commandElement(0x0002, text(sopClassUid, 0x00)),
    commandElement(0x0100, us(0x0001)), // C-STORE-RQ
    commandElement(0x0110, us(messageId)),
    commandElement(0x0700, us(0)), // priority medium
    commandElement(0x0800, us(0x0000)), // a data set follows
    commandElement(0x1000, text(sopInstanceUid, 0x00)),
  ]);
  const gl = Buffer.alloc(4);
  gl.writeUInt32LE(rest.length, 0);
  return Buffer.concat([commandElement(0x0000, gl), rest]);
}

/** Reads PDUs from a socket. */
export class PduReader {
  private buf = Buffer.alloc(0);
  private waiters: Array<() => void> = [];
  constructor(sock: Socket) {
    sock.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      this.waiters.splice(0).forEach((w) => w());
    });
  }
  async next(timeoutMs = 5000): Promise<Buffer> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.buf.length >= 6) {
        const len = this.buf.readUInt32BE(2) + 6;
        if (this.buf.length >= len) {
          const pdu = this.buf.subarray(0, len);
          this.buf = this.buf.subarray(len);
          return pdu;
        }
      }
      if (Date.now() > deadline) throw new Error('no PDU from peer');
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 50);
      });
    }
  }
}

/**
 * Associates, stores `complete` files fully (waiting for each C-STORE-RSP status), then sends the command and
 * half of `partial`'s data set and drops the connection. Returns the statuses of the complete ones.
 */
export async function storeThenDropMidTransfer(port: number, calling: string, called: string, complete: Buffer[], partial: Buffer): Promise<number[]> {
  const sock = connect({ host: '127.0.0.1', port, noDelay: true });
  await once(sock, 'connect');
  const reader = new PduReader(sock);
  const sopClass = splitP10(partial).sopClassUid;
  sock.write(associateRq(calling, called, sopClass));
  const ac = await reader.next();
  if (ac[0] !== 0x02) throw new Error(`association not accepted (PDU type ${ac[0]})`);
  const statuses: number[] = [];
  let msg = 1;
  for (const file of complete) {
    const p = splitP10(file);
    sock.write(pData(1, 0x03, cStoreRqCommand(p.sopClassUid, p.sopInstanceUid, msg++)));
    sock.write(pData(1, 0x02, file.subarray(p.datasetOffset)));
    statuses.push(statusOf(await reader.next()));
  }
  const p = splitP10(partial);
  const data = partial.subarray(p.datasetOffset);
  sock.write(pData(1, 0x03, cStoreRqCommand(p.sopClassUid, p.sopInstanceUid, msg++)));
  sock.write(pData(1, 0x00, data.subarray(0, Math.floor(data.length / 2)))); // not the last fragment
  await new Promise((r) => setTimeout(r, 200));
  sock.destroy();
  return statuses;
}

/** (0000,0900) Status of a C-STORE-RSP PDU (one PDV): walks the command elements after the PDV header. */
function statusOf(rsp: Buffer): number {
  for (let pos = 12; pos + 8 <= rsp.length; pos += 8 + rsp.readUInt32LE(pos + 4)) {
    if (rsp.readUInt16LE(pos) === 0x0000 && rsp.readUInt16LE(pos + 2) === 0x0900) return rsp.readUInt16LE(pos + 8);
  }
  throw new Error('no Status (0000,0900) in the response');
}

/**
 * Sends Part 10 objects of one SOP class and transfer syntax (taken from the first one's File Meta Information) in
 * one association, their data set bytes exactly as they are (in 16 KiB PDVs), and returns each C-STORE-RSP status
 * (undefined where none came). Unlike an SCU library it never parses or re-encodes what it sends: for fuzzing.
 */
export async function storeRaw(port: number, calling: string, called: string, files: Buffer[], timeoutMs = 10000): Promise<Array<number | undefined>> {
  const first = splitP10(files[0]!);
  const sock = connect({ host: '127.0.0.1', port, noDelay: true });
  sock.on('error', () => undefined);
  await once(sock, 'connect');
  const reader = new PduReader(sock);
  sock.write(associateRq(calling, called, first.sopClassUid, first.transferSyntaxUid));
  const ac = await reader.next(timeoutMs);
  if (ac[0] !== 0x02) throw new Error(`association not accepted (PDU type ${ac[0]})`);
  const statuses: Array<number | undefined> = [];
  try {
    let msg = 1;
    for (const file of files) {
      const p = splitP10(file);
      const data = file.subarray(p.datasetOffset);
      sock.write(pData(1, 0x03, cStoreRqCommand(p.sopClassUid, p.sopInstanceUid, msg++)));
      for (let o = 0; o < data.length || o === 0; o += 16384) {
        const last = o + 16384 >= data.length;
        sock.write(pData(1, last ? 0x02 : 0x00, data.subarray(o, o + 16384)));
        if (last) break;
      }
      const rsp = await reader.next(timeoutMs).catch(() => undefined);
      statuses.push(rsp && rsp[0] === 0x04 ? statusOf(rsp) : undefined);
      if (!rsp || rsp[0] !== 0x04) break;
    }
    sock.write(Buffer.from([0x05, 0, 0, 0, 0, 4, 0, 0, 0, 0])); // A-RELEASE-RQ
    await reader.next(timeoutMs).catch(() => undefined);
  } finally {
    sock.destroy();
  }
  return statuses;
}
