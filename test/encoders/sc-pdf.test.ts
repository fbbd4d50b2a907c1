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
import { orientationLetters } from '../../src/encoders/sc/sc-encoder';
import { pixelBytes } from '../../src/encoders/seg/seg-decoder';
import { dicomLabToRgb, rgbToDicomLab } from '../../src/encoders/seg/segment-catalog';
import type { EncoderOptions } from '../../src/encoders/options';
import { AXIAL, syntheticCase } from '../../src/encoders/testing/synthetic-findings';

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
