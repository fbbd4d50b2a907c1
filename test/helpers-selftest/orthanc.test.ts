import { startOrthanc, type OrthancPeer } from '../helpers/orthanc';
import { runTool } from '../helpers/dcmtk';

describe('test harness: real Orthanc with DICOMweb', () => {
  let pacs: OrthancPeer;
  beforeAll(async () => {
    pacs = await startOrthanc();
  });
  afterAll(async () => {
    await pacs?.stop();
  });

  it('answers REST, DICOMweb QIDO and C-ECHO from DCMTK echoscu', async () => {
    const sys = await pacs.rest<{ DicomAet: string }>('GET', '/system');
    expect(sys.DicomAet).toBe('TESTPACS');
    const qido = await fetch(`${pacs.dicomWebUrl}/studies`);
    expect(qido.status).toBe(200);
    const echo = await runTool('echoscu', ['-aec', 'TESTPACS', '127.0.0.1', String(pacs.dicomPort)]);
    expect(echo.code).toBe(0);
  });
});
