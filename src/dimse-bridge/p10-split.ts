/**
 * Splits a Part 10 file into its File Meta Information (the few UIDs the SCU needs) and the offset where the data
 * set starts, without parsing the data set. The SCU sends the data set bytes from that offset unchanged, in the
 * transfer syntax the file already has. Pure function; throws a DicomParseError with a specific reason.
 */
import { readFileMetaOf } from '../dicom/element-walker';
import { DicomParseError, hasP10Magic } from '../dicom/p10';

export interface P10Parts {
  transferSyntaxUid: string;
  sopClassUid: string;
  sopInstanceUid: string;
  /** Byte offset of the first data set element (just after group 0002). */
  datasetOffset: number;
}

export function splitP10(buf: Buffer): P10Parts {
  if (!hasP10Magic(buf)) throw new DicomParseError('not a DICOM Part 10 file (no "DICM" magic at offset 128)', 'not-dicom');
  const meta = readFileMetaOf(buf);
  const { transferSyntaxUid, mediaStorageSopClassUid: sopClassUid, mediaStorageSopInstanceUid: sopInstanceUid } = meta;
  if (!transferSyntaxUid || !sopClassUid || !sopInstanceUid) {
    throw new DicomParseError(
      'File Meta Information lacks TransferSyntaxUID, MediaStorageSOPClassUID or MediaStorageSOPInstanceUID',
      'invalid',
    );
  }
  return { transferSyntaxUid, sopClassUid, sopInstanceUid, datasetOffset: meta.datasetOffset };
}
