import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { syntheticMrStudy } from '../../src/testing/synthetic-mr';
import { InstanceStore } from '../../src/store/store';
import { instancePath, storeLayout } from '../../src/store/paths';

/** Simulates a crash: the database handle goes away without close() (no CLEAN marker is written). */
function crash(store: InstanceStore): void {
  store.db.close();
}

describe('store start-up recovery', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'store-rec-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('after a crash: temp files go, a renamed-but-unindexed file is indexed, a lost file leaves the index, strays are quarantined', async () => {
    const insts = syntheticMrStudy({ seed: 'recovery', series: 1, slicesPerSeries: 3 });
    const L = storeLayout(dir);
    let store = await InstanceStore.open({ dataDir: dir, acceptedSopClasses: ['*'] });
    expect(store.recovery).toMatchObject({ clean: false, indexedFromDisk: 0 });
    await store.ingestBuffer(insts[0]!.bytes, { source: 'stow' });
    await store.ingestBuffer(insts[1]!.bytes, { source: 'stow' });
    crash(store);
    // State a crash can leave: a half-written upload in tmp/, and an instance renamed into place but not indexed.
    writeFileSync(join(L.tmp, 'part-1-x.tmp'), insts[2]!.bytes.subarray(0, 500));
    const p2 = instancePath(L, insts[2]!.studyInstanceUid, insts[2]!.seriesInstanceUid, insts[2]!.sopInstanceUid);
    writeFileSync(p2, insts[2]!.bytes);
    // And damage only a disk failure could cause: a stored file vanished; a stray file in a series folder.
    rmSync(instancePath(L, insts[1]!.studyInstanceUid, insts[1]!.seriesInstanceUid, insts[1]!.sopInstanceUid));
    writeFileSync(join(dirname(p2), 'notes.txt'), 'stray');

    store = await InstanceStore.open({ dataDir: dir, acceptedSopClasses: ['*'] });
    expect(store.recovery).toEqual({ clean: false, tempFilesRemoved: 1, indexedFromDisk: 1, missingFiles: 1, quarantined: 1 });
    expect(readdirSync(L.tmp)).toEqual([]);
    expect(store.listInstances({ studyInstanceUid: insts[0]!.studyInstanceUid }).map((i) => i.sopInstanceUid).sort()).toEqual(
      [insts[0]!.sopInstanceUid, insts[2]!.sopInstanceUid].sort(),
    );
    expect(store.getInstance(insts[2]!.sopInstanceUid)!.source).toBe('recovered');
    // The lost instance can be sent again.
    expect((await store.ingestBuffer(insts[1]!.bytes, { source: 'stow' })).status).toBe('stored');
    await store.close();

    // A clean close skips reconciliation (no scan), but tmp/ is still emptied.
    writeFileSync(join(L.tmp, 'part-2-y.tmp'), 'x');
    store = await InstanceStore.open({ dataDir: dir, acceptedSopClasses: ['*'] });
    expect(store.recovery).toEqual({ clean: true, tempFilesRemoved: 1, indexedFromDisk: 0, missingFiles: 0, quarantined: 0 });
    expect(store.index.instanceCount()).toBe(3);
    await store.close();
  });

  it('a corrupt file at a UID path is quarantined, not indexed', async () => {
    const [a] = syntheticMrStudy({ seed: 'recovery-corrupt', series: 1, slicesPerSeries: 1 });
    const L = storeLayout(dir);
    const p = instancePath(L, a!.studyInstanceUid, a!.seriesInstanceUid, a!.sopInstanceUid);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, a!.bytes.subarray(0, a!.bytes.length - 7));
    const store = await InstanceStore.open({ dataDir: dir, acceptedSopClasses: ['*'] });
    expect(store.recovery!.quarantined).toBe(1);
    expect(store.index.instanceCount()).toBe(0);
    expect(existsSync(p)).toBe(false);
    expect(readdirSync(L.quarantine)).toHaveLength(1);
    await store.close();
  });
});
