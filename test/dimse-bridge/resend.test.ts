/**
 * Re-sends through a real node: real storescu from two allowed AEs, STOW after C-STORE,
 * a re-wrapped File Meta Information, a different data set under a stored UID (warning, and storescu goes on with
 * the rest of the study), and an instance with short Pixel Data refused over both protocols with its reason.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeP10 } from '../../src/dicom/p10';
import { SopClass } from '../../src/dicom/constants';
import { buildFileMetaHeader } from '../../src/dimse-bridge/file-meta';
import { splitP10 } from '../../src/dimse-bridge/p10-split';
import { runTool } from '../helpers/dcmtk';
import { waitFor } from '../helpers/ports';
import { multipartRelated } from '../helpers/stow';
import { startTestNode, type TestNode } from '../web/node-fixture';
import { writeMrStudy } from './helpers/mr-study';
import { captureLogs, type LogCapture } from './helpers/log-capture';

let node: TestNode;
let logs: LogCapture;

beforeAll(async () => {
  node = await startTestNode({ dimse: { enabled: true, port: 0, allowedCallingAeTitles: ['MRI1', 'MRI2'] } });
  logs = captureLogs();
});

afterAll(async () => {
  logs.stop();
  await node.destroy();
});

function storescu(calling: string, files: string[]) {
  return runTool('storescu', ['-v', '-aet', calling, '-aec', 'NEUROONC', '127.0.0.1', String(node.dimse!.port), ...files]);
}

async function stowParts(parts: Buffer[]): Promise<{ status: number; body: Record<string, { Value?: Array<Record<string, { Value?: unknown[] }>> }> }> {
  const { body, contentType } = multipartRelated(parts);
  const r = await fetch(`${node.dicomwebUrl}/studies`, { method: 'POST', headers: { 'Content-Type': contentType, Accept: 'application/dicom+json' }, body });
  return { status: r.status, body: (await r.json()) as never };
}

function rewrapped(bytes: Buffer): Buffer {
  const p = splitP10(bytes);
  const head = buildFileMetaHeader({ sopClassUid: p.sopClassUid, sopInstanceUid: p.sopInstanceUid, transferSyntaxUid: p.transferSyntaxUid, sourceAeTitle: 'ROUTER' });
  head.fill(0x55, 0, 128);
  return Buffer.concat([head, bytes.subarray(p.datasetOffset)]);
}

it('a study re-sent by a second AE, by STOW after C-STORE and with another meta header is success everywhere', async () => {
  const dir = join(node.dataDir, 'in1');
  const files = writeMrStudy(dir, { series: 2, slices: 4 });
  const first = await storescu('MRI1', files.map((f) => f.path));
  expect(first.code).toBe(0);
  const second = await storescu('MRI2', files.map((f) => f.path));
  expect(second.code).toBe(0);
  expect(second.stdout + second.stderr).not.toMatch(/Unknown Status|0x0111|Warning|Error/i);
  expect((second.stdout + second.stderr).match(/Received Store Response \(Success\)/g)).toHaveLength(files.length);
  const stow = await stowParts(files.map((f) => rewrapped(readFileSync(f.path))));
  expect(stow.status).toBe(200);
  expect(stow.body['00081199']!.Value).toHaveLength(files.length);
  expect(node.store.listInstances({ studyInstanceUid: files[0]!.studyUid })).toHaveLength(files.length);
  const audit = logs.lines.filter((l) => l.includes('instance received again')).map((l) => JSON.parse(l) as Record<string, string>);
  expect(audit.filter((a) => a.callingAeTitle === 'MRI2')).toHaveLength(files.length);
  expect(audit.filter((a) => a.source === 'stow')).toHaveLength(files.length);
});

it('a different data set under a stored UID gets warning 0xB000 and storescu sends the rest of the study', async () => {
  const dir = join(node.dataDir, 'in2');
  const files = writeMrStudy(dir, { series: 1, slices: 3 });
  expect((await storescu('MRI1', [files[0]!.path])).code).toBe(0);
  // Same UIDs, other content: the technologist edited a header and pushed again.
  const edited = join(dir, 'edited.dcm');
  writeFileSync(edited, readFileSync(files[0]!.path));
  const r = await runTool('dcmodify', ['-nb', '-m', '(0008,103e)=EDITED', edited]);
  expect(r.code).toBe(0);
  const out = await storescu('MRI2', [edited, files[1]!.path, files[2]!.path]);
  expect(out.code).toBe(0);
  const text = out.stdout + out.stderr;
  expect(text).toMatch(/Received Store Response \(Warning: CoercionOfDataElements\)/);
  expect(node.store.listInstances({ studyInstanceUid: files[0]!.studyUid })).toHaveLength(3);
  expect(node.store.getInstance(files[0]!.sopInstanceUid)!.callingAeTitle).toBe('MRI1');
  // STOW: the same warning per instance, status 202.
  const stow = await stowParts([readFileSync(edited)]);
  expect(stow.status).toBe(202);
  const item = stow.body['00081199']!.Value![0]!;
  expect(item['00081196']!.Value).toEqual([0xb000]);
  expect(String(item['00091001']!.Value![0])).toMatch(/different data set \(element \(0008,103E\) differs\); the first copy is kept/);
});

it('short Pixel Data is refused over C-STORE (0xA900) and STOW (FailedSOPSequence 0xA900) with the reason; nothing stored', async () => {
  const dir = join(node.dataDir, 'in3');
  mkdirSync(dir, { recursive: true });
  const bytes = writeP10({
    SOPClassUID: SopClass.MRImage,
    SOPInstanceUID: '1.2.826.0.1.3680043.10.998.1',
    StudyInstanceUID: '1.2.826.0.1.3680043.10.998.2',
    SeriesInstanceUID: '1.2.826.0.1.3680043.10.998.3',
    Modality: 'MR',
    Rows: 64,
    Columns: 32,
    SamplesPerPixel: 1,
    PhotometricInterpretation: 'MONOCHROME2',
    BitsAllocated: 16,
    BitsStored: 12,
    HighBit: 11,
    PixelRepresentation: 0,
    PixelData: new Uint16Array(32 * 32).buffer,
  });
  const path = join(dir, 'short.dcm');
  writeFileSync(path, bytes);
  const out = await storescu('MRI1', [path]);
  expect(out.stdout + out.stderr).toMatch(/Received Store Response \(Error: DataSetDoesNotMatchSOPClass\)/);
  expect(logs.lines.join('')).toMatch(/Pixel Data holds 2048 bytes, fewer than the 4096 that Rows 64/);
  const stow = await stowParts([bytes]);
  expect(stow.status).toBe(409);
  const failed = stow.body['00081198']!.Value![0]!;
  expect(failed['00081197']!.Value).toEqual([0xa900]);
  expect(String(failed['00091001']!.Value![0])).toMatch(/short-pixel-data: Pixel Data holds 2048 bytes, fewer than the 4096/);
  expect(node.store.getInstance('1.2.826.0.1.3680043.10.998.1')).toBeUndefined();
});

it('node.duplicatePolicy replace: a different data set replaces the stored copy and the ready study opens a new generation', async () => {
  const other = await startTestNode({ node: { duplicatePolicy: 'replace' }, dimse: { enabled: true, port: 0, allowedCallingAeTitles: ['MRI1', 'MRI2'] } });
  try {
    const dir = join(other.dataDir, 'in4');
    const files = writeMrStudy(dir, { series: 1, slices: 2 });
    const send = (calling: string, paths: string[]) =>
      runTool('storescu', ['-v', '-aet', calling, '-aec', 'NEUROONC', '127.0.0.1', String(other.dimse!.port), ...paths]);
    expect((await send('MRI1', files.map((f) => f.path))).code).toBe(0);
    const study = files[0]!.studyUid;
    await waitFor(async () => other.studies.get(study) !== undefined, 5000, 'the study to be tracked');
    other.studies.markReady(study);
    expect(other.studies.get(study)).toMatchObject({ state: 'ready', generation: 1 });
    const edited = join(dir, 'edited.dcm');
    writeFileSync(edited, readFileSync(files[0]!.path));
    expect((await runTool('dcmodify', ['-nb', '-m', '(0008,103e)=EDITED', edited])).code).toBe(0);
    const out = await send('MRI2', [edited]);
    expect(out.stdout + out.stderr).toMatch(/Received Store Response \(Success\)/);
    expect(other.store.getInstance(files[0]!.sopInstanceUid)).toMatchObject({ callingAeTitle: 'MRI2' });
    await waitFor(async () => other.studies.get(study)?.generation === 2, 5000, 'a new generation of the study');
    expect(other.studies.get(study)!.state).toBe('receiving');
  } finally {
    await other.destroy();
  }
});
