import { stowToDestination } from '../../src/delivery/dicomweb-sender';
import type { OutgoingObject } from '../../src/delivery/types';
import { SopClass } from '../../src/dicom/constants';
import { writeP10 } from '../../src/dicom/p10';
import { deterministicUid } from '../../src/dicom/uids';
import { startAuthProxy, type AuthProxy } from '../helpers/auth-proxy';
import { startOrthanc, type OrthancPeer } from '../helpers/orthanc';
import { freePort } from '../helpers/ports';

const STUDY = deterministicUid('delivery-test-study');

/** A small, valid Secondary Capture object standing in for a result. */
function resultObject(n: number): OutgoingObject {
  const sop = deterministicUid('delivery-test-object', String(n));
  const bytes = writeP10({
    SOPClassUID: SopClass.SecondaryCapture,
    SOPInstanceUID: sop,
    StudyInstanceUID: STUDY,
    SeriesInstanceUID: deterministicUid('delivery-test-series'),
    Modality: 'OT',
    PatientName: 'SYNTHETIC^DELIVERY',
    PatientID: 'SYN-0001',
    ConversionType: 'WSD',
    SeriesNumber: 901,
    InstanceNumber: n,
    Rows: 8,
    Columns: 8,
    SamplesPerPixel: 1,
    PhotometricInterpretation: 'MONOCHROME2',
    BitsAllocated: 8,
    BitsStored: 8,
    HighBit: 7,
    PixelRepresentation: 0,
    PixelData: new Uint8Array(64).fill(n).buffer,
    _vrMap: { PixelData: 'OB' },
  });
  return { kind: 'sc', sopClassUid: SopClass.SecondaryCapture, sopInstanceUid: sop, studyInstanceUid: STUDY, bytes };
}

async function orthancInstances(pacs: OrthancPeer, auth?: string): Promise<string[]> {
  const r = await fetch(`http://127.0.0.1:${pacs.httpPort}/tools/find`, {
    method: 'POST',
    headers: auth ? { Authorization: 'Basic ' + Buffer.from(auth).toString('base64') } : {},
    body: JSON.stringify({ Level: 'Instance', Query: {}, Expand: true }),
  });
  const list = (await r.json()) as Array<{ MainDicomTags: { SOPInstanceUID: string } }>;
  return list.map((i) => i.MainDicomTags.SOPInstanceUID);
}

describe('STOW-RS delivery through dicomweb-client to a real Orthanc', () => {
  describe('with HTTP basic authentication', () => {
    let pacs: OrthancPeer;
    beforeAll(async () => {
      pacs = await startOrthanc({ extra: { AuthenticationEnabled: true, RegisteredUsers: { radiology: 's3cret' } } });
    });
    afterAll(async () => pacs?.stop());

    it('stores every object and reports each one confirmed; re-sending is harmless', async () => {
      const objects = [resultObject(1), resultObject(2)];
      const dest = { name: 'pacs', type: 'dicomweb' as const, url: pacs.dicomWebUrl, auth: { type: 'basic' as const, username: 'radiology', password: 's3cret' } };
      const first = await stowToDestination(dest, objects);
      expect(first.error).toBeUndefined();
      expect(first.ok).toBe(true);
      expect(first.objects.map((o) => o.stored)).toEqual([true, true]);
      const second = await stowToDestination(dest, objects);
      expect(second.ok).toBe(true);
      const stored = await orthancInstances(pacs, 'radiology:s3cret');
      expect(stored.sort()).toEqual(objects.map((o) => o.sopInstanceUid).sort());
    });

    it('a wrong password is a clear, non-retryable failure', async () => {
      const dest = { name: 'pacs', type: 'dicomweb' as const, url: pacs.dicomWebUrl, auth: { type: 'basic' as const, username: 'radiology', password: 'wrong' } };
      const r = await stowToDestination(dest, [resultObject(3)]);
      expect(r.ok).toBe(false);
      expect(r.error).toMatch(/401/);
      expect(r.retryable).toBe(false);
      expect(r.objects[0]!.stored).toBe(false);
    });
  });

  describe('over TLS with a private CA and a bearer token (real HTTPS proxy in front of Orthanc)', () => {
    let pacs: OrthancPeer;
    let proxy: AuthProxy;
    beforeAll(async () => {
      pacs = await startOrthanc();
      proxy = await startAuthProxy(pacs.url, { tls: true, bearerToken: 'tok-123' });
    });
    afterAll(async () => {
      await proxy?.close();
      await pacs?.stop();
    });

    it('verifies the peer with caFile, authenticates with the token and stores', async () => {
      const r = await stowToDestination({ name: 'tls', type: 'dicomweb', url: `${proxy.url}/dicom-web`, caFile: proxy.caFile!, auth: { type: 'bearer', token: 'tok-123' } }, [resultObject(4)]);
      expect(r.error).toBeUndefined();
      expect(r.ok).toBe(true);
      expect(await orthancInstances(pacs)).toContain(resultObject(4).sopInstanceUid);
    });

    it('refuses a certificate it cannot verify (nothing sent)', async () => {
      const r = await stowToDestination({ name: 'tls', type: 'dicomweb', url: `${proxy.url}/dicom-web`, auth: { type: 'bearer', token: 'tok-123' } }, [resultObject(5)]);
      expect(r.ok).toBe(false);
      expect(r.error).toMatch(/no HTTP response/);
      expect(await orthancInstances(pacs)).not.toContain(resultObject(5).sopInstanceUid);
    });

    it('a missing token is a 401, not retried', async () => {
      const r = await stowToDestination({ name: 'tls', type: 'dicomweb', url: `${proxy.url}/dicom-web`, caFile: proxy.caFile! }, [resultObject(6)]);
      expect(r.error).toMatch(/401/);
      expect(r.retryable).toBe(false);
    });
  });

  it('a peer that is down is a retryable failure', async () => {
    const port = await freePort();
    const r = await stowToDestination({ name: 'down', type: 'dicomweb', url: `http://127.0.0.1:${port}/dicom-web` }, [resultObject(7)]);
    expect(r.ok).toBe(false);
    expect(r.retryable).toBe(true);
    expect(r.objects.every((o) => !o.stored)).toBe(true);
  });
});
