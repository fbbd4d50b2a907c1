/**
 * Encodes a C-STORE-RSP as a ready-to-send P-DATA-TF PDU (PS3.7 9.3.1.2 command set, PS3.8 9.3.5 PDU).
 *
 * Why not dcmjs-dimse's response path: it builds each response through dcmjs's generic writer, which allocates
 * large buffers per command; at hundreds of instances per second that was the SCP's largest cost after the
 * socket itself. A C-STORE-RSP is seven fixed elements, so we encode it directly. Pure function.
 */

/** Command-set (group 0000) element in Implicit VR Little Endian: tag, 4-byte length, value. */
export function commandElement(tagElement: number, value: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt16LE(0x0000, 0);
  head.writeUInt16LE(tagElement, 2);
  head.writeUInt32LE(value.length, 4);
  return Buffer.concat([head, value]);
}

/** US value. */
export function us(v: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(v & 0xffff, 0);
  return b;
}

/** Text value padded to even length (NUL for UI, space for other string VRs). */
export function text(v: string, pad: 0x00 | 0x20): Buffer {
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
    commandElement(0x0002, text(f.sopClassUid, 0x00)),
    commandElement(0x0100, us(0x8001)), // CommandField: C-STORE-RSP
    commandElement(0x0120, us(f.messageIdBeingRespondedTo)),
    commandElement(0x0800, us(0x0101)), // CommandDataSetType: no data set
    commandElement(0x0900, us(f.status)),
  ];
  if (f.errorComment) body.push(commandElement(0x0902, text(f.errorComment.replace(/[\\\r\n]/g, ' ').slice(0, 64), 0x20)));
  body.push(commandElement(0x1000, text(f.sopInstanceUid, 0x00)));
  const rest = Buffer.concat(body);
  const groupLength = Buffer.alloc(4);
  groupLength.writeUInt32LE(rest.length, 0);
  return Buffer.concat([commandElement(0x0000, groupLength), rest]);
}

/**
 * One P-DATA-TF PDU with a single PDV. Message control header (PS3.8 E.2): bit 0 = command (else data set),
 * bit 1 = last fragment.
 */
export function encodePdvPdu(presentationContextId: number, control: number, data: Buffer): Buffer {
  const pdu = Buffer.alloc(12);
  pdu.writeUInt8(0x04, 0); // P-DATA-TF
  pdu.writeUInt8(0x00, 1);
  pdu.writeUInt32BE(4 + 2 + data.length, 2); // one PDV item: 4-byte length + context id + header + data
  pdu.writeUInt32BE(2 + data.length, 6);
  pdu.writeUInt8(presentationContextId, 10);
  pdu.writeUInt8(control, 11);
  return Buffer.concat([pdu, data]);
}

/** A whole command set in one PDU (command, last fragment). */
export function encodeCommandPdu(presentationContextId: number, command: Buffer): Buffer {
  return encodePdvPdu(presentationContextId, 0x03, command);
}

export function encodeStoreResponsePdu(f: StoreResponseFields): Buffer {
  return encodeCommandPdu(f.presentationContextId, encodeStoreResponseCommand(f));
}
