/**
 * Idempotent outputs: the same inputs and model give the same UIDs (and, with the same `now`, the same bytes), so a
 * retried delivery never duplicates results; new inputs (a late series) or another model give new UIDs.
 */
import { isValidUid, randomUid, uuidOfUid } from '../../src/dicom/uids';
import { encodeResults } from '../../src/encoders';
import type { EncoderOptions } from '../../src/encoders/options';
import { outputUids } from '../../src/encoders/uid-scheme';
import { AXIAL, syntheticCase } from '../../src/testing/synthetic-findings';

const GRID = { columns: 16, rows: 16, slices: 8, spacing: [1, 1, 2] as [number, number, number], ...AXIAL, origin: [0, 0, 0] as [number, number, number] };
const OPTS: EncoderOptions = { node: { name: 'uid-test', version: '0.1.0' }, now: new Date('2026-03-01T10:00:00') };

function allUids(u: ReturnType<typeof outputUids>): string[] {
  return [u.seg, u.sr, u.pdf, u.sc(1), u.sc(2), u.dimensionOrganization, ...Object.values(u.series)];
}

test('same inputs, same model: identical UIDs and byte-identical objects', async () => {
  const a = await encodeResults(syntheticCase({ grid: GRID, key: 'same' }).findings, syntheticCase({ grid: GRID, key: 'same' }).header, OPTS);
  const c2 = syntheticCase({ grid: GRID, key: 'same' });
  const b = await encodeResults(c2.findings, c2.header, OPTS);
  expect(b.objects.map((o) => o.sopInstanceUid)).toEqual(a.objects.map((o) => o.sopInstanceUid));
  b.objects.forEach((o, i) => expect(o.bytes.equals(a.objects[i]!.bytes)).toBe(true));
  for (const uid of allUids(a.uids)) expect(isValidUid(uid)).toBe(true);
  expect(new Set(allUids(a.uids)).size).toBe(allUids(a.uids).length);
});

test('a late series (new inputs) or another model version gives new UIDs; tracking UIDs stay', () => {
  const c = syntheticCase({ grid: GRID, key: 'late', roles: ['flair', 't2'] });
  const before = outputUids(c.findings, OPTS);
  const late = syntheticCase({ grid: GRID, key: 'late', roles: ['flair', 't2', 't1ce'] });
  const after = outputUids(late.findings, OPTS);
  expect(after.seg).not.toBe(before.seg);
  expect(after.sr).not.toBe(before.sr);
  expect(after.series.sr).not.toBe(before.series.sr);
  expect(after.tracking('WT')).toBe(before.tracking('WT'));
  const retrained = { ...c.findings, model: { ...c.findings.model, sha256: 'b'.repeat(64) } };
  expect(outputUids(retrained, OPTS).sr).not.toBe(before.sr);
  // Input order does not matter (sorted), only the set.
  const reordered = { ...c.findings, inputs: [...c.findings.inputs].reverse() };
  expect(outputUids(reordered, OPTS).sr).toBe(before.sr);
  // Content-changing options change the UIDs too.
  expect(outputUids(c.findings, { ...OPTS, compositeSegments: true }).seg).not.toBe(before.seg);
});

test('every 2.25 UID is a real UUID (PS3.5 B.2): version 8 (SHA-256 name-based) or 4 (random), variant 0b10', () => {
  const c = syntheticCase({ grid: GRID, key: 'uuid' });
  const u = outputUids(c.findings, OPTS);
  const uids = [...allUids(u), u.tracking('WT'), u.tracking('BIDIM-ET'), u.deviceObserver, c.findings.studyInstanceUid];
  for (const uid of uids) {
    const hex = uuidOfUid(uid);
    expect(hex).toBeDefined();
    expect(hex![12]).toBe('8'); // version nibble
    expect(['8', '9', 'a', 'b']).toContain(hex![16]); // variant 10xx
  }
  for (let i = 0; i < 20; i++) {
    const hex = uuidOfUid(randomUid())!;
    expect([hex[12], ['8', '9', 'a', 'b'].includes(hex[16]!)]).toEqual(['4', true]);
  }
  expect(uuidOfUid('1.2.840.10008.1.2')).toBeUndefined();
});
