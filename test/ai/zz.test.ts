/** @jest-environment ./test/ai/ort-environment.js */
import { join } from 'node:path';
import { analyseStudy } from '../../src/ai/engine';
import { loadPackage } from '../../src/ai/registry';
import { makePhantom } from './phantom';
it('x', async () => {
  const glioma = await loadPackage(join(__dirname, '../fixtures/models/tiny-glioma'), { executionProviders: ['cpu'], intraOpNumThreads: 1 });
  const ph = makePhantom();
  const ref = { dims: ph.input.dims, spacing: ph.input.spacing, affine: ph.input.affine, data: new Int16Array(1), seriesInstanceUid: '1', sources: [], imageOrientationPatient: [1,0,0,0,1,0] as [number,number,number,number,number,number] };
  const f = await analyseStudy(glioma, { studyInstanceUid: '1', grid: ph.input, inputs: [], referenceSeries: ref }, { tta: true, minComponentMl: 0.1, modalityImportance: true, radiomics: true });
  console.log(JSON.stringify(f.timings), JSON.stringify(f.modalityImportance));
});
