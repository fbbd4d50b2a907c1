/**
 * The pure parts of the audit trail: canonical serialisation (the bytes the hash covers), receipts grouped by
 * study, and bursts (one record per C-STORE burst or viewer session, ended by quiet time or flush).
 */
import { canonicalJson } from '../../src/audit/chain';
import type { AuditEvent } from '../../src/audit';
import { AuditRecorder, receiptsOf } from '../../src/audit/recorder';
import type { IngestOutcome } from '../../src/store/types';

const A = '1.2.3.1';
const B = '1.2.3.2';
const MR = '1.2.840.10008.5.1.4.1.1.4';

describe('canonicalJson', () => {
  it('is the same for the same value whatever the key order, and leaves out undefined', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, 'x'], c: undefined, b: null } })).toBe('{"a":{"b":null,"d":[1,"x"]},"b":1}');
    expect(canonicalJson({ a: { b: null, d: [1, 'x'] }, b: 1 })).toBe(canonicalJson({ b: 1, a: { d: [1, 'x'], b: null } }));
  });
});

describe('receipts', () => {
  const out = (o: Partial<IngestOutcome>): IngestOutcome => ({ status: 'stored', ...o });

  it('one receipt per study in a STOW request; refused objects without a study are grouped on their own', () => {
    const r = receiptsOf({ source: 'stow', user: 'router', remoteAddress: '10.1.1.1' }, [
      out({ studyInstanceUid: A, sopClassUid: MR }),
      out({ studyInstanceUid: A, sopClassUid: MR, status: 'duplicate' }),
      out({ studyInstanceUid: B, sopClassUid: MR }),
      out({ status: 'rejected', reason: 'not-dicom' }),
      out({ studyInstanceUid: A, status: 'rejected', reason: 'sop-class-not-accepted', sopClassUid: '1.2.9' }),
    ]);
    expect(r).toEqual([
      { type: 'receipt', channel: 'stow', actor: { user: 'router', address: '10.1.1.1' }, studyInstanceUid: A, stored: 1, duplicates: 1, rejected: { 'sop-class-not-accepted': 1 }, sopClasses: { [MR]: 2 } },
      { type: 'receipt', channel: 'stow', actor: { user: 'router', address: '10.1.1.1' }, studyInstanceUid: B, stored: 1, duplicates: 0, rejected: {}, sopClasses: { [MR]: 1 } },
      { type: 'receipt', channel: 'stow', actor: { user: 'router', address: '10.1.1.1' }, stored: 0, duplicates: 0, rejected: { 'not-dicom': 1 }, sopClasses: {} },
    ]);
  });

  it('C-STOREs of one AE and study become one record per burst; another AE is another record', async () => {
    const got: AuditEvent[] = [];
    const rec = new AuditRecorder({ record: (e) => got.push(e) }, { receiptQuietMs: 50 });
    const ctx = { source: 'dimse' as const, callingAeTitle: 'MRI1', calledAeTitle: 'NODE', remoteAddress: '10.0.0.5' };
    for (let i = 0; i < 5; i++) rec.received(ctx, [out({ studyInstanceUid: A, sopClassUid: MR })]);
    rec.received({ ...ctx, callingAeTitle: 'MRI2' }, [out({ studyInstanceUid: A, sopClassUid: MR })]);
    expect(got).toEqual([]);
    await new Promise((r) => setTimeout(r, 150));
    expect(got).toEqual([
      expect.objectContaining({ type: 'receipt', channel: 'dimse', actor: { aeTitle: 'MRI1', address: '10.0.0.5' }, calledAeTitle: 'NODE', studyInstanceUid: A, stored: 5 }),
      expect.objectContaining({ actor: { aeTitle: 'MRI2', address: '10.0.0.5' }, stored: 1 }),
    ]);
  });

  it('a viewer fetching frames is one access record per user and study, counting distinct instances; flush ends it', () => {
    const got: AuditEvent[] = [];
    const rec = new AuditRecorder({ record: (e) => got.push(e) }, { accessQuietMs: 60_000 });
    const who = { user: 'dr', address: '10.0.0.9' };
    for (let f = 0; f < 10; f++) rec.accessed('wado', who, [{ studyInstanceUid: A, seriesInstanceUid: '1.2.3.1.1', sopInstanceUid: `1.2.3.1.1.${f % 3}` }]);
    rec.accessed('wado', { user: 'other' }, [{ studyInstanceUid: A }]);
    expect(got).toEqual([]);
    rec.flush();
    expect(got).toEqual([
      { type: 'access', channel: 'wado', actor: who, studyInstanceUid: A, requests: 10, seriesInstanceUids: ['1.2.3.1.1'], instances: 3 },
      { type: 'access', channel: 'wado', actor: { user: 'other' }, studyInstanceUid: A, requests: 1, seriesInstanceUids: [], instances: 0 },
    ]);
  });
});
