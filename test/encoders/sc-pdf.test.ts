/**
 * Fallback objects for PACS without SEG/SR support: Secondary Capture key images (overlay + burned-in research
 * banner) and the Encapsulated PDF report (re-opened with pdf-lib, its text read back from the content streams).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { PDFDocument, PDFName, PDFRawStream, PDFArray, type PDFPage } from 'pdf-lib';
import { readP10 } from '../../src/dicom/p10';
import { encodeResults } from '../../src/encoders';
import { drawText, type RgbImage } from '../../src/encoders/sc/bitmap-font';
import { keySlices } from '../../src/encoders/sc/key-images';
import { orthogonalKeyPlanes, planeName, planeRaster } from '../../src/encoders/sc/key-planes';
import { orientationLetters } from '../../src/encoders/sc/sc-encoder';
import { pixelBytes } from '../../src/encoders/seg/seg-decoder';
import { dicomLabToRgb, rgbToDicomLab } from '../../src/encoders/seg/segment-catalog';
import type { EncoderOptions } from '../../src/encoders/options';
import { syntheticSurvival } from '../../src/testing/synthetic-survival';
import { AXIAL, syntheticCase } from '../../src/testing/synthetic-findings';

const OPTS: EncoderOptions = { node: { name: 'sc-test', version: '0.1.0' }, now: new Date('2026-03-01T10:00:00') };
const c = syntheticCase({ grid: { columns: 48, rows: 40, slices: 12, spacing: [1, 1, 2], ...AXIAL, origin: [0, 0, 0] }, key: 'sc' });

function pageText(page: PDFPage): string {
  const contents = page.node.Contents();
  const streams = contents instanceof PDFArray ? contents.asArray().map((r) => page.doc.context.lookup(r)) : [contents];
  let text = '';
  for (const s of streams) {
    if (!(s instanceof PDFRawStream)) continue;
    const raw = s.dict.get(PDFName.of('Filter')) ? inflateSync(s.contents) : Buffer.from(s.contents);
    for (const m of raw.toString('latin1').matchAll(/<([0-9A-Fa-f]+)> Tj/g)) text += Buffer.from(m[1]!, 'hex').toString('latin1') + '\n';
  }
  return text;
}

test('key slices are the ones with the most tumour, in slice order', () => {
  const lm = new Uint8Array(4 * 5);
  lm.set([1, 1, 0, 0], 0);
  lm.set([1, 1, 1, 1], 8);
  lm.set([1, 0, 0, 0], 12);
  expect(keySlices(lm, 4, 5, 2)).toEqual([{ slice: 0, voxels: 2 }, { slice: 2, voxels: 4 }]);
  expect(keySlices(new Uint8Array(20), 4, 5, 3)).toEqual([]);
});

test('key slices are spread over the tumour, not adjacent: one per third of its extent, the fullest slice among them', () => {
  // A tumour over slices 10..39 of 50, fullest at slice 24 (a smooth profile, as a real lesion has).
  const frame = 100;
  const lm = new Uint8Array(frame * 50);
  for (let k = 10; k < 40; k++) lm.fill(1, k * frame, k * frame + Math.max(1, 60 - 3 * Math.abs(k - 24)));
  const picks = keySlices(lm, frame, 50, 3).map((p) => p.slice);
  expect(picks).toHaveLength(3);
  expect(picks).toContain(24);
  expect(picks[0]).toBeLessThan(20);
  expect(picks[2]).toBeGreaterThanOrEqual(30);
  for (let i = 1; i < picks.length; i++) expect(picks[i]! - picks[i - 1]!).toBeGreaterThan(1);
  expect(keySlices(lm, frame, 50, 1)).toEqual([{ slice: 24, voxels: 60 }]);
});

test('SC key images: RGB, banner burned in, overlay colours on tumour pixels', async () => {
  const out = await encodeResults(c.findings, c.header, OPTS);
  const scs = out.objects.filter((o) => o.kind === 'sc');
  expect(scs).toHaveLength(3);
  const ds = readP10(scs[0]!.bytes).dataset;
  expect(ds.PhotometricInterpretation).toBe('RGB');
  expect(ds.BurnedInAnnotation).toBe('YES');
  expect(ds.PatientID).toBe(c.header.PatientID);
  const px = pixelBytes(ds.PixelData);
  const w = Number(ds.Columns);
  // The banner rows hold the yellow text colour.
  let yellow = 0;
  for (let y = 0; y < 20; y++) for (let x = 0; x < w; x++) if (px[(y * w + x) * 3] === 255 && px[(y * w + x) * 3 + 1] === 210) yellow++;
  expect(yellow).toBeGreaterThan(50);
  // Some pixel carries an overlay tint (not grey).
  let tinted = 0;
  for (let i = 0; i < px.length; i += 3) if (Math.abs(px[i]! - px[i + 1]!) > 40 || Math.abs(px[i + 1]! - px[i + 2]!) > 40) tinted++;
  expect(tinted).toBeGreaterThan(100);
});

test('key planes: the acquired, and the two reformatted planes with the most tumour', () => {
  const dims: [number, number, number] = [6, 5, 4];
  const lm = new Uint8Array(6 * 5 * 4);
  const at = (i: number, j: number, k: number): number => i + 6 * (j + 5 * k);
  for (const [i, j, k] of [[1, 3, 2], [2, 3, 2], [4, 3, 2], [2, 1, 2], [2, 3, 0], [2, 3, 1]]) lm[at(i!, j!, k!)] = 1;
  // Most tumour: slice k = 2 (4 voxels), row j = 3 (5), column i = 2 (4).
  expect(orthogonalKeyPlanes(lm, dims)).toEqual([{ axis: 2, index: 2, voxels: 4 }, { axis: 1, index: 3, voxels: 5 }, { axis: 0, index: 2, voxels: 4 }]);
  expect(orthogonalKeyPlanes(new Uint8Array(120), dims)).toEqual([]);
});

test('reformatted planes: square pixels, head up, patient left on the right, named by the nearest patient plane', () => {
  // Axial stack: columns run to the patient's left (+x), rows to posterior (+y), slices 3 mm apart towards the head.
  const affine = new Float64Array([1, 0, 0, -10, 0, 1, 0, -10, 0, 0, 3, -20, 0, 0, 0, 1]);
  const vol = { dims: [6, 5, 4] as [number, number, number], spacing: [1, 1, 3] as [number, number, number], affine };
  const coronal = planeRaster(vol, { axis: 1, index: 3, voxels: 0 });
  expect([coronal.width, coronal.height]).toEqual([6, 12]); // 4 slices x 3 mm = 12 pixels of 1 mm
  expect(coronal.right).toEqual([1, 0, 0]);
  expect(coronal.down).toEqual([-0, -0, -1]); // towards the feet: the top row is the highest slice
  expect(coronal.voxel(0, 0)).toBe(0 + 6 * (3 + 5 * 3));
  expect(coronal.voxel(5, 11)).toBe(5 + 6 * (3 + 5 * 0));
  expect(planeName(coronal)).toBe('CORONAL');
  const sagittal = planeRaster(vol, { axis: 0, index: 2, voxels: 0 });
  expect([sagittal.width, sagittal.height]).toEqual([5, 12]);
  expect(sagittal.right).toEqual([0, 1, 0]);
  expect(planeName(sagittal)).toBe('SAGITTAL');
  const axial = planeRaster(vol, { axis: 2, index: 1, voxels: 0 });
  expect(planeName(axial)).toBe('AXIAL');
  expect(axial.voxel(2, 3)).toBe(2 + 6 * (3 + 5 * 1)); // the acquired plane as stored
});

test('SC key images are three orthogonal planes through the tumour, each referencing the source slices it shows', async () => {
  const out = await encodeResults(c.findings, c.header, OPTS);
  const scs = out.objects.filter((o) => o.kind === 'sc').map((o) => readP10(o.bytes).dataset);
  expect(scs).toHaveLength(3);
  const names = scs.map((ds) => String(ds.DerivationDescription).includes('reformatted'));
  expect(names).toEqual([false, true, true]);
  // Three different patient planes: the orientation pairs differ.
  const orient = scs.map((ds) => [ds.PatientOrientation].flat().join('\\'));
  expect(new Set(orient).size).toBe(3);
  expect(orient[1]).toBe('L\\F'); // coronal: patient left to the right, feet down
  expect(orient[2]).toBe('P\\F'); // sagittal: posterior to the right, feet down
  const lm = c.findings.segmentation!.labelmap.data;
  const frame = c.findings.referenceSeries.dims[0] * c.findings.referenceSeries.dims[1];
  const sources = c.findings.referenceSeries.sources;
  for (const ds of scs) {
    const refs = ds.SourceImageSequence as Array<{ ReferencedSOPInstanceUID: string }>;
    expect(refs.length).toBeGreaterThan(0);
    for (const r of refs) {
      const k = sources.findIndex((s) => s.sopInstanceUid === r.ReferencedSOPInstanceUID);
      expect(lm.subarray(k * frame, (k + 1) * frame).some((v) => v)).toBe(true); // every referenced slice holds tumour
    }
  }
  // The old choice stays available: acquired slices spread over the tumour.
  const spread = await encodeResults(c.findings, c.header, { ...OPTS, keyImages: { planes: 'spread' } });
  const spreadDs = spread.objects.filter((o) => o.kind === 'sc').map((o) => readP10(o.bytes).dataset);
  expect(spreadDs.every((ds) => !String(ds.DerivationDescription).includes('reformatted'))).toBe(true);
});

test('bitmap font draws the glyphs and CIELab colours round-trip', () => {
  const img: RgbImage = { width: 12, height: 7, data: new Uint8Array(12 * 7 * 3) };
  drawText(img, 'I', 0, 0, 1, [255, 255, 255]);
  // "I" = vertical bar in column 2, full height.
  for (let y = 0; y < 7; y++) expect(img.data[(y * 12 + 2) * 3]).toBe(255);
  expect(img.data[(3 * 12 + 0) * 3]).toBe(0);
  for (const rgb of [[220, 40, 40], [40, 200, 60], [250, 220, 0]] as Array<[number, number, number]>) {
    dicomLabToRgb(rgbToDicomLab(rgb)).forEach((v, i) => expect(Math.abs(v - rgb[i]!)).toBeLessThanOrEqual(1));
  }
  expect(orientationLetters([1, 0, 0])).toBe('L');
  expect(orientationLetters([0, -0.8, 0.6])).toBe('AH');
});

test('Encapsulated PDF: opens in pdf-lib, shows patient, volumes, diagnosis, narratives and the research statement', async () => {
  const out = await encodeResults(c.findings, c.header, OPTS);
  const obj = out.objects.find((o) => o.kind === 'pdf')!;
  const ds = readP10(obj.bytes).dataset;
  expect(ds.MIMETypeOfEncapsulatedDocument).toBe('application/pdf');
  // The document title, coded (CID 7020), not an empty ConceptNameCodeSequence.
  expect((ds.ConceptNameCodeSequence as Array<Record<string, unknown>>)[0]).toMatchObject({ CodeValue: '18748-4', CodingSchemeDesignator: 'LN', CodeMeaning: 'Diagnostic Imaging Report' });
  const pdfBytes = pixelBytes(ds.EncapsulatedDocument).subarray(0, Number(ds.EncapsulatedDocumentLength));
  const pdf = await PDFDocument.load(pdfBytes);
  expect(pdf.getTitle()).toContain('research use only');
  const text = pdf.getPages().map(pageText).join('\n');
  expect(text).toContain('SYNTHETIC PATIENT');
  expect(text).toContain('RESEARCH USE ONLY');
  expect(text).toContain('Whole tumour (NCR + ED + ET)');
  expect(text).toContain(c.findings.regions.find((r) => r.key === 'WT')!.volumeMl.toFixed(2));
  expect(text).toContain('Glioblastoma, IDH-wildtype, CNS WHO grade 4 (58%)');
  expect(text).toContain('Summary for patients');
  expect(text).toContain(out.uids.sr);
  // Same inputs and time: the same PDF bytes (idempotent re-encoding).
  const again = await encodeResults(c.findings, c.header, OPTS);
  expect(again.objects.find((o) => o.kind === 'pdf')!.bytes.equals(obj.bytes)).toBe(true);
});

test('Encapsulated PDF with a survival head: the statement, S at each time with its TTA spread, the risk group and the age', async () => {
  const out = await encodeResults({ ...c.findings, survival: [syntheticSurvival()] }, c.header, OPTS);
  const ds = readP10(out.objects.find((o) => o.kind === 'pdf')!.bytes).dataset;
  const pdf = await PDFDocument.load(pixelBytes(ds.EncapsulatedDocument).subarray(0, Number(ds.EncapsulatedDocumentLength)));
  const text = pdf.getPages().map(pageText).join('\n');
  expect(text).toContain('Overall survival (synthetic outcomes, population statistics - not a prediction for this patient)');
  expect(text).toContain('These are population figures, not a prediction for this patient.');
  for (const row of ['1 year', '78%', 'SD 2%, 75%-81%', '5 years', '20%']) expect(text).toContain(row);
  expect(text).toContain('Risk group: intermediate (mean survival at 2 years 51%).');
  expect(text).toContain('Age used: 54 years.');
  const na = await encodeResults({ ...c.findings, survival: [syntheticSurvival('not-assessable')] }, c.header, OPTS);
  const naDs = readP10(na.objects.find((o) => o.kind === 'pdf')!.bytes).dataset;
  const naText = (await PDFDocument.load(pixelBytes(naDs.EncapsulatedDocument).subarray(0, Number(naDs.EncapsulatedDocumentLength)))).getPages().map(pageText).join('\n');
  expect(naText).toContain('Not assessable: patient age unknown: no PatientAge, PatientBirthDate/StudyDate');
});

test('PDF fonts are embedded (DejaVu Sans subsets, pdffonts) and the text reads back with its Latin-1 letters (pdftotext)', async () => {
  const header = { ...c.header, PatientName: 'MÜLLER^JOSÉ' };
  const out = await encodeResults(c.findings, header, OPTS);
  const ds = readP10(out.objects.find((o) => o.kind === 'pdf')!.bytes).dataset;
  const dir = mkdtempSync(join(tmpdir(), 'pdf-fonts-'));
  try {
    const file = join(dir, 'report.pdf');
    writeFileSync(file, pixelBytes(ds.EncapsulatedDocument).subarray(0, Number(ds.EncapsulatedDocumentLength)));
    const fonts = spawnSync('pdffonts', [file], { encoding: 'utf8' });
    expect(fonts.status).toBe(0);
    const rows = fonts.stdout.trim().split('\n').slice(2).map((l) => l.trim().split(/\s+/));
    expect(rows.map((r) => r[0]).sort()).toEqual(['NEUROO+DejaVuSans', 'NEUROO+DejaVuSans-Bold']);
    for (const r of rows) expect(r.slice(-5, -3)).toEqual(['yes', 'yes']); // emb, sub
    const text = spawnSync('pdftotext', ['-enc', 'UTF-8', file, '-'], { encoding: 'utf8' });
    expect(text.status).toBe(0);
    expect(text.stdout).toContain('MÜLLER JOSÉ');
    expect(text.stdout).toContain('Whole tumour (NCR + ED + ET)');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
