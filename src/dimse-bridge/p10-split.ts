/**
 * Splits a Part 10 file into its File Meta Information (the few UIDs the SCU needs) and the offset where the data
 * set starts, without parsing the data set. The SCU sends the data set bytes from that offset unchanged, in the
 * transfer syntax the file already has. Pure function; throws a DicomParseError with a specific reason.
 */
import { DicomParseError, hasP10Magic } from '../dicom/p10';

export interface P10Parts {
  transferSyntaxUid: string;
  sopClassUid: string;
  sopInstanceUid: string;
  /** Byte offset of the first data set element (just after group 0002). */
  datasetOffset: number;
}

const LONG_LENGTH_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV']);

function uidValue(buf: Buffer, start: number, length: number): string {
  return buf.toString('latin1', start, start + length).replace(/[\0 ]+$/, '');
}

export function splitP10(buf: Buffer): P10Parts {
  if (!hasP10Magic(buf)) throw new DicomParseError('not a DICOM Part 10 file (no "DICM" magic at offset 128)', 'not-dicom');
  let pos = 132;
  const found: Record<number, string> = {};
  // Group 0002 is always Explicit VR Little Endian (PS3.10 7.1).
  while (pos + 8 <= buf.length && buf.readUInt16LE(pos) === 0x0002) {
    const element = buf.readUInt16LE(pos + 2);
    const vr = buf.toString('latin1', pos + 4, pos + 6);
    let length: number;
    let valueStart: number;
    if (LONG_LENGTH_VRS.has(vr)) {
      if (pos + 12 > buf.length) break;
      length = buf.readUInt32LE(pos + 8);
      valueStart = pos + 12;
    } else {
      length = buf.readUInt16LE(pos + 6);
      valueStart = pos + 8;
    }
    if (valueStart + length > buf.length) throw new DicomParseError('truncated File Meta Information (group 0002)', 'truncated');
    if (element === 0x0002 || element === 0x0003 || element === 0x0010) found[element] = uidValue(buf, valueStart, length);
    pos = valueStart + length;
  }
  const transferSyntaxUid = found[0x0010];
  const sopClassUid = found[0x0002];
  const sopInstanceUid = found[0x0003];
  if (!transferSyntaxUid || !sopClassUid || !sopInstanceUid) {
    throw new DicomParseError(
      'File Meta Information lacks TransferSyntaxUID, MediaStorageSOPClassUID or MediaStorageSOPInstanceUID',
      'invalid',
    );
  }
  return { transferSyntaxUid, sopClassUid, sopInstanceUid, datasetOffset: pos };
}
