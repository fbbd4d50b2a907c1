/**
 * Copies of a study under new Study/Series/SOP Instance UIDs (deterministic from `salt`), so a test that needs many
 * studies synthesises one and sends it many times as different studies (synthesis is the slow part).
 */
import { readP10, writeP10 } from '../../src/dicom/p10';
import { deterministicUid } from '../../src/dicom/uids';

export function withNewUids(files: Buffer[], salt: string): { studyInstanceUid: string; files: Buffer[] } {
  const uid = (old: unknown): string => deterministicUid('re-uid', salt, String(old));
  let studyInstanceUid = '';
  const out = files.map((f) => {
    const { meta, dataset } = readP10(f);
    dataset.StudyInstanceUID = studyInstanceUid = uid(dataset.StudyInstanceUID);
    dataset.SeriesInstanceUID = uid(dataset.SeriesInstanceUID);
    dataset.SOPInstanceUID = uid(dataset.SOPInstanceUID);
    return writeP10(dataset, { transferSyntaxUid: String(meta.TransferSyntaxUID) });
  });
  return { studyInstanceUid, files: out };
}
