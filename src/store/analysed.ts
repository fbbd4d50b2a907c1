/** What the store learns about an object before storing it, shared by the store and its ingest batches. */
import type { IndexFields } from './index-fields';
import type { DicomJson, IngestOutcome } from './types';

/** The result of analysing an object before it is stored. */
export interface Analysed {
  fields: IndexFields;
  transferSyntaxUid: string;
  pixelDataOffset?: number;
  metadata: DicomJson;
  size: number;
}

/** The UIDs and identity of an analysed object, as an outcome (status to be set). */
export function outcomeOf(a: Analysed, sha256: string): IngestOutcome {
  return {
    status: 'stored',
    sopInstanceUid: a.fields.instance.sopInstanceUid,
    sopClassUid: a.fields.instance.sopClassUid,
    seriesInstanceUid: a.fields.series.seriesInstanceUid,
    studyInstanceUid: a.fields.study.studyInstanceUid,
    transferSyntaxUid: a.transferSyntaxUid,
    sizeBytes: a.size,
    sha256,
  };
}
