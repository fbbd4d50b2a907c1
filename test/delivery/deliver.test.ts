import { createServer, request as httpRequest, type Server } from 'node:http';
import { backoffMs, deadLetters, deliverAll, resetDeadLetters, type Sender } from '../../src/delivery/deliver';
import { stowToDestination } from '../../src/delivery/dicomweb-sender';
import type { OutgoingObject } from '../../src/delivery/types';
import { SopClass } from '../../src/dicom/constants';
import { writeP10 } from '../../src/dicom/p10';
import { deterministicUid } from '../../src/dicom/uids';
import { startOrthanc, type OrthancPeer } from '../helpers/orthanc';
import { freePort } from '../helpers/ports';

const STUDY = deterministicUid('deliver-all-study');
function obj(n: number): OutgoingObject {
  const sop = deterministicUid('deliver-all', String(n));
  const bytes = writeP10({
    SOPClassUID: SopClass.SecondaryCapture, SOPInstanceUID: sop, StudyInstanceUID: STUDY,
    SeriesInstanceUID: deterministicUid('deliver-all-series'), Modality: 'OT', PatientName: 'SYNTHETIC^RETRY', PatientID: 'SYN-2',
    ConversionType: 'WSD', Rows: 4, Columns: 4, SamplesPerPixel: 1, PhotometricInterpretation: 'MONOCHROME2',
    BitsAllocated: 8, BitsStored: 8, HighBit: 7, PixelRepresentation: 0, PixelData: new Uint8Array(16).buffer, _vrMap: { PixelData: 'OB' },
  });
  return { kind: 'sc', sopClassUid: SopClass.SecondaryCapture, sopInstanceUid: sop, studyInstanceUid: STUDY, bytes };
}

const fastPolicy = { maxAttempts: 4, initialBackoffSeconds: 0.05, maxBackoffSeconds: 0.2 };

describe('delivery retries and dead letters', () => {
  it('backs off exponentially with a cap', () => {
    const p = { maxAttempts: 6, initialBackoffSeconds: 10, maxBackoffSeconds: 60 };
    expect([1, 2, 3, 4, 5, 6].map((a) => backoffMs(a, p))).toEqual([0, 10000, 20000, 40000, 60000, 60000]);
  });

  it('keeps retrying a peer that is down and delivers once it comes up (real Orthanc)', async () => {
    // The PACS is an Orthanc behind a front door that answers 503 for the first two requests (a PACS restarting).
    const pacs: OrthancPeer = await startOrthanc();
    let calls = 0;
    const front: Server = createServer((req, res) => {
      calls += 1;
      if (calls <= 2) {
        req.resume();
        res.writeHead(503).end('starting up');
        return;
      }
      const up = httpRequest({ host: '127.0.0.1', port: pacs.httpPort, method: req.method, path: req.url, headers: req.headers }, (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      });
      req.pipe(up);
    });
    const port = await freePort();
    await new Promise<void>((r) => front.listen(port, '127.0.0.1', r));
    try {
      const dest = { name: 'pacs', type: 'dicomweb' as const, url: `http://127.0.0.1:${port}/dicom-web` };
      const persisted: unknown[] = [];
      const state = await deliverAll({ destinations: [dest], objects: [obj(1), obj(2)], policy: fastPolicy, senders: { dicomweb: stowToDestination as Sender }, persist: (s) => void persisted.push(structuredClone(s)) });
      expect(state.destinations.pacs!.attempts).toBe(3);
      expect(state.destinations.pacs!.confirmed.sort()).toEqual([obj(1).sopInstanceUid, obj(2).sopInstanceUid].sort());
      expect(deadLetters(state)).toEqual([]);
      expect(persisted).toHaveLength(3);
      const found = await pacs.rest<string[]>('GET', '/instances');
      expect(found).toHaveLength(2);
    } finally {
      await new Promise<void>((r) => front.close(() => r()));
      await pacs.stop();
    }
  });

  it('dead-letters after maxAttempts for a peer that never answers, and a reset allows a new round', async () => {
    const port = await freePort();
    const dest = { name: 'gone', type: 'dicomweb' as const, url: `http://127.0.0.1:${port}/dicom-web` };
    const state = await deliverAll({ destinations: [dest], objects: [obj(3)], policy: fastPolicy, senders: { dicomweb: stowToDestination as Sender } });
    const dl = deadLetters(state);
    expect(dl).toHaveLength(1);
    expect(dl[0]!.attempts).toBe(4);
    expect(dl[0]!.error).toMatch(/no HTTP response/);
    const reset = resetDeadLetters(state);
    expect(reset.destinations.gone).toEqual({ attempts: 0, confirmed: [], deadLetter: false });
  });

  it('dead-letters at once on a non-retryable refusal (HTTP 401)', async () => {
    const pacs = await startOrthanc({ extra: { AuthenticationEnabled: true, RegisteredUsers: { u: 'p' } } });
    try {
      const dest = { name: 'pacs', type: 'dicomweb' as const, url: pacs.dicomWebUrl };
      const state = await deliverAll({ destinations: [dest], objects: [obj(4)], policy: fastPolicy, senders: { dicomweb: stowToDestination as Sender } });
      expect(deadLetters(state)).toEqual([expect.objectContaining({ destination: 'pacs', attempts: 1, error: expect.stringMatching(/401/) })]);
    } finally {
      await pacs.stop();
    }
  });
});
