/**
 * Public API of the durable instance store (see docs/dicomweb.md "Store API" for the contract).
 *
 *   const store = await InstanceStore.open({ dataDir, acceptedSopClasses });
 *   const out = await store.ingestFile(store.createTempPath(), { source: 'dimse', callingAeTitle, remoteAddress });
 *   // out.status: 'stored' | 'duplicate' (both durable, safe to acknowledge) | 'rejected' (out.reason, out.message)
 *   cStoreStatus(out.reason)  // C-STORE response status for a rejection; stowFailureReason() for STOW-RS
 *   store.onStored((e) => ...)                      // after each newly stored instance is durable
 *   store.listInstances({ studyInstanceUid })       // InstanceRecord[] (geometry, sizes, path, sha256, ...)
 *   store.instanceHeaders({ seriesInstanceUid })    // + naturalized header for series-id / imaging
 *   store.readInstance(sop) / store.openInstanceStream(sop)
 */
export { InstanceStore, type StoreOptions } from './store';
export { cStoreStatus, stowFailureReason, hex4, type RejectReason } from './reasons';
export { openDatabase, type Db } from './database';
export type { RecoveryReport } from './recovery';
export type {
  DicomJson,
  IngestContext,
  IngestOutcome,
  IngestSource,
  IngestStatus,
  InstanceHeader,
  InstanceRecord,
  SeriesRecord,
  StoredEvent,
  StudyRecord,
} from './types';
