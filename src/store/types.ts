/** Public types of the instance store (src/store). Receivers, the study tracker and later stages code against these. */
import type { NaturalDataset } from '../dicom/p10';
import type { SeriesFields } from './index-fields';
import type { RejectReason } from './reasons';

export type IngestSource = 'stow' | 'dimse' | 'recovered';

/** Who sent an instance and what the receiver expects of it. */
export interface IngestContext {
  source: 'stow' | 'dimse';
  /** DIMSE: the peer's calling AE title. */
  callingAeTitle?: string;
  /** DIMSE: our AE title as the peer called it. */
  calledAeTitle?: string;
  /** Peer IP address (STOW and DIMSE). */
  remoteAddress?: string;
  /** STOW-RS: the authenticated HTTP user (http.auth), when there is one. */
  user?: string;
  /** STOW-RS /studies/{uid}: refuse instances of any other study ('study-mismatch'). */
  expectedStudyUid?: string;
}

export type IngestStatus = 'stored' | 'duplicate' | 'rejected';

/**
 * What happened to one instance. 'stored' and 'duplicate' both mean "the node holds this SOP Instance durably"
 * (safe to acknowledge); 'rejected' says why not. UIDs are present whenever the object could be parsed that far.
 * 'duplicate' is the same data set as the stored one (same-dataset.ts), unless `conflict` is set: then the content
 * differed and the stored copy was kept (node.duplicatePolicy keep-first; receivers answer with a warning).
 */
export interface IngestOutcome {
  status: IngestStatus;
  /** 'duplicate' with different content: why the sent copy was not kept (the receivers' warning text). */
  conflict?: string;
  /** 'stored' over a different stored copy of the same SOP Instance (node.duplicatePolicy replace). */
  replaced?: boolean;
  reason?: RejectReason;
  /** Human-readable explanation (no PHI), e.g. "truncated DICOM file: element (7FE0,0010) declares ...". */
  message?: string;
  sopInstanceUid?: string;
  sopClassUid?: string;
  seriesInstanceUid?: string;
  studyInstanceUid?: string;
  transferSyntaxUid?: string;
  sizeBytes?: number;
  sha256?: string;
}

/** Emitted once per newly stored instance, after it is durable (not for duplicates or rejections). */
export interface StoredEvent {
  sopInstanceUid: string;
  sopClassUid: string;
  seriesInstanceUid: string;
  studyInstanceUid: string;
  source: IngestSource;
  /** ms since epoch */
  receivedAt: number;
}

/** One indexed instance: the header fields later stages need, plus where and how it arrived. */
export interface InstanceRecord {
  sopInstanceUid: string;
  sopClassUid: string;
  seriesInstanceUid: string;
  studyInstanceUid: string;
  transferSyntaxUid: string;
  instanceNumber?: number;
  /** (0020,0032) x\y\z in mm */
  imagePositionPatient?: number[];
  /** (0020,0037) six direction cosines */
  imageOrientationPatient?: number[];
  /** (0028,0030) row spacing \ column spacing in mm */
  pixelSpacing?: number[];
  sliceThickness?: number;
  rows?: number;
  columns?: number;
  numberOfFrames?: number;
  bitsAllocated?: number;
  acquisitionTime?: string;
  acquisitionNumber?: number;
  /** Byte offset of the top-level Pixel Data element's tag in the file (for frame / bulk data retrieval). */
  pixelDataOffset?: number;
  /** Absolute path of the stored Part 10 file. */
  path: string;
  sizeBytes: number;
  sha256: string;
  /** ms since epoch */
  receivedAt: number;
  source: IngestSource;
  callingAeTitle?: string;
  remoteAddress?: string;
  /** STOW-RS: the authenticated user that sent it. */
  user?: string;
}

/** One indexed series: its header fields plus what the index counts. */
export interface SeriesRecord extends SeriesFields {
  studyInstanceUid: string;
  instanceCount: number;
  /** ms since epoch of the last stored instance */
  lastReceivedAt: number;
}

export interface StudyRecord {
  studyInstanceUid: string;
  /** Patient attributes are stored (QIDO needs them) but must never be logged. */
  patientId: string;
  patientName: string;
  patientBirthDate: string;
  patientSex: string;
  studyDate: string;
  studyTime: string;
  studyId: string;
  accessionNumber: string;
  studyDescription: string;
  referringPhysicianName: string;
  modalitiesInStudy: string[];
  seriesCount: number;
  instanceCount: number;
  firstReceivedAt: number;
  lastReceivedAt: number;
}

/** An instance with its full header (every attribute before Pixel Data, naturalized), for series-id and imaging. */
export interface InstanceHeader extends InstanceRecord {
  /** dcmjs-naturalized header: keyword -> value (e.g. dataset.SeriesDescription, dataset.EchoTime). */
  dataset: NaturalDataset;
}

/** DICOM JSON model (PS3.18 F.2) of one data set, as stored for WADO-RS metadata and QIDO. */
export type DicomJson = Record<string, { vr: string; Value?: unknown[]; BulkDataURI?: string; InlineBinary?: string }>;
