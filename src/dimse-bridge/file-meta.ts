/**
 * Builds the Part 10 header (128-byte preamble, "DICM", File Meta Information group 0002) for a data set received
 * over DIMSE. The SCP writes this header followed by the data set bytes exactly as they arrived, so a stored file
 * keeps the transfer syntax and the encoded bytes the sender chose (JPEG, JPEG-LS, RLE, deflate...): no transcoding.
 * Pure function; group 0002 is always Explicit VR Little Endian (PS3.10 7.1).
 */
import { IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME } from '../dicom/constants';

export interface FileMetaFields {
  sopClassUid: string;
  sopInstanceUid: string;
  transferSyntaxUid: string;
  /** Calling AE title of the association the instance came from (Source Application Entity Title). */
  sourceAeTitle?: string;
}

function padded(value: string, pad: 0x00 | 0x20): Buffer {
  const b = Buffer.from(value, 'latin1');
  return b.length % 2 === 0 ? b : Buffer.concat([b, Buffer.from([pad])]);
}

/** One explicit-VR LE element with a 2-byte length field (UI, SH, AE, UL). */
function shortElement(element: number, vr: string, value: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt16LE(0x0002, 0);
  head.writeUInt16LE(element, 2);
  head.write(vr, 4, 'latin1');
  head.writeUInt16LE(value.length, 6);
  return Buffer.concat([head, value]);
}

/** (0002,0001) File Meta Information Version, OB with a 4-byte length. */
function versionElement(): Buffer {
  const b = Buffer.alloc(14);
  b.writeUInt16LE(0x0002, 0);
  b.writeUInt16LE(0x0001, 2);
  b.write('OB', 4, 'latin1');
  b.writeUInt32LE(2, 8);
  b[12] = 0x00;
  b[13] = 0x01;
  return b;
}

/** Preamble + "DICM" + group 0002, ready to be followed by the data set bytes. */
export function buildFileMetaHeader(f: FileMetaFields): Buffer {
  const elements = [
    versionElement(),
    shortElement(0x0002, 'UI', padded(f.sopClassUid, 0x00)),
    shortElement(0x0003, 'UI', padded(f.sopInstanceUid, 0x00)),
    shortElement(0x0010, 'UI', padded(f.transferSyntaxUid, 0x00)),
    shortElement(0x0012, 'UI', padded(IMPLEMENTATION_CLASS_UID, 0x00)),
    shortElement(0x0013, 'SH', padded(IMPLEMENTATION_VERSION_NAME, 0x20)),
  ];
  const ae = f.sourceAeTitle?.trim();
  if (ae) elements.push(shortElement(0x0016, 'AE', padded(ae, 0x20)));
  const body = Buffer.concat(elements);
  const groupLength = Buffer.alloc(4);
  groupLength.writeUInt32LE(body.length, 0);
  const preamble = Buffer.alloc(132);
  preamble.write('DICM', 128, 'latin1');
  return Buffer.concat([preamble, shortElement(0x0000, 'UL', groupLength), body]);
}
