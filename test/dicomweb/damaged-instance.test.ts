/**
 * WADO-RS frames of an instance whose stored native Pixel Data is shorter than Rows × Columns × samples × bytes ×
 * frames (stored before the store refused such instances at receipt): a 4xx naming the problem, never a 500
 * The file is damaged directly in the store, as an older version would have left it.
 */
import { writeFileSync } from 'node:fs';
import { syntheticMrStudy } from '../../src/testing/synthetic-mr';
import { shortenedPixelData } from '../helpers/damaged-dicom';
import { startTestNode, type TestNode } from '../web/node-fixture';

let node: TestNode;

beforeAll(async () => {
  node = await startTestNode();
});

afterAll(async () => {
  await node.destroy();
});

it('answers 422 with the reason for the frames of a damaged instance, and 200 for its healthy neighbour', async () => {
  const [good, bad] = syntheticMrStudy({ seed: 'wado-damaged', series: 1, slicesPerSeries: 2 });
  for (const i of [good!, bad!]) expect((await node.store.ingestBuffer(i.bytes, { source: 'stow' })).status).toBe('stored');
  writeFileSync(node.store.getInstance(bad!.sopInstanceUid)!.path, shortenedPixelData(bad!.bytes));
  const url = (i: typeof good): string => `${node.dicomwebUrl}/studies/${i!.studyInstanceUid}/series/${i!.seriesInstanceUid}/instances/${i!.sopInstanceUid}/frames/1`;
  const ok = await fetch(url(good), { headers: { Accept: 'multipart/related; type="application/octet-stream"' } });
  expect(ok.status).toBe(200);
  await ok.arrayBuffer();
  const r = await fetch(url(bad), { headers: { Accept: 'multipart/related; type="application/octet-stream"' } });
  expect(r.status).toBe(422);
  const body = (await r.json()) as { error: string };
  expect(body.error).toMatch(/^the stored instance is damaged, its frames cannot be served: Pixel Data holds \d+ bytes, fewer than the \d+ that Rows 16 × Columns 16/);
});
