/**
 * Encodes a C-STORE-RSP as a ready-to-send P-DATA-TF PDU (PS3.7 9.3.1.2 command set, PS3.8 9.3.5 PDU).
 *
 * Why not dcmjs-dimse's response path: it builds each response through dcmjs's generic writer, which allocates
 * large buffers per command; at hundreds of instances per second that was the SCP's largest cost after the
 * socket itself. A C-STORE-RSP is seven fixed elements, so we encode it directly. Pure function.
 */

/** Implicit VR Little Endian element: tag, 4-byte length, value. */
function element(tagElement: number, value: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt16LE(0x0000, 0);
  head.writeUInt16LE(tagElement, 2);
  head.writeUInt32LE(value.length, 4);
  return Buffer.concat([head, value]);
}

function us(v: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(v & 0xffff, 0);
  return b;
}

function text(v: string, pad: 0x00 | 0x20): Buffer {
  const b = Buffer.from(v, 'latin1');
  return b.length % 2 === 0 ? b : Buffer.concat([b, Buffer.from([pad])]);
}

export interface StoreResponseFields {
  presentationContextId: number;
  messageIdBeingRespondedTo: number;
  sopClassUid: string;
  sopInstanceUid: string;
  status: number;
  /** (0000,0902) Error Comment, for failures: at most 64 characters (LO). */
  errorComment?: string;
}

/** The C-STORE-RSP command set (group 0000, Implicit VR LE, with its group length). */
export function encodeStoreResponseCommand(f: StoreResponseFields): Buffer {
  const body = [
    element(0x0002, text(f.sopClassUid, 0x00)),
    element(0x0100, us(0x8001)), // CommandField: C-STORE-RSP
    element(0x0120, us(f.messageIdBeingRespondedTo)),
    element(0x0800, us(0x0101)), // CommandDataSetType: no data set
    element(0x0900, us(f.status)),
  ];
  if (f.errorComment) body.push(element(0x0902, text(f.errorComment.replace(/[\\\r\n]/g, ' ').slice(0, 64), 0x20)));
  body.push(element(0x1000, text(f.sopInstanceUid, 0x00)));
  const rest = Buffer.concat(body);
  const groupLength = Buffer.alloc(4);
  groupLength.writeUInt32LE(rest.length, 0);
  return Buffer.concat([element(0x0000, groupLength), rest]);
}

/** Wraps a command set in one P-DATA-TF PDU with a single PDV (command, last fragment). */
export function encodeCommandPdu(presentationContextId: number, command: Buffer): Buffer {
  const pdu = Buffer.alloc(12);
  pdu.writeUInt8(0x04, 0); // P-DATA-TF
  pdu.writeUInt8(0x00, 1);
  pdu.writeUInt32BE(4 + 2 + command.length, 2); // one PDV item: 4-byte length + context id + header + data
  pdu.writeUInt32BE(2 + command.length, 6);
  pdu.writeUInt8(presentationContextId, 10);
  pdu.writeUInt8(0x03, 11); // message control header: command, last fragment
  return Buffer.concat([pdu, command]);
}

export function encodeStoreResponsePdu(f: StoreResponseFields): Buffer {
  return encodeCommandPdu(f.presentationContextId, encodeStoreResponseCommand(f));
}
