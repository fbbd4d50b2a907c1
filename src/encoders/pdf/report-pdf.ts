/**
 * The human-readable report as a PDF (pdf-lib, embedded DejaVu Sans, A4): patient/study header, inputs, volumes,
 * classification with probabilities and uncertainty, layered diagnosis, modality importance, key images, the
 * clinician and patient narratives, and provenance. Deterministic for the same inputs and `now`.
 */
import { PDFDocument, StandardFonts, rgb, type PDFFont, type PDFPage } from 'pdf-lib';
import type { Findings } from '../../ai/findings';
import type { StudyAttributes } from '../../dicom/study-attributes';
import { ROLE_NAMES } from '../codes';
import { monthsText, outcomesText } from '../narrative/survival-text';
import { RESEARCH_USE_STATEMENT, type EncoderOptions, type Narrative } from '../options';
import type { RgbImage } from '../sc/bitmap-font';
import { notAssessableRegions, regionText } from '../seg/segment-catalog';
import { encodePng } from './png';
import { BOLD_FONT, embedTrueType, REGULAR_FONT } from './truetype-font';
import { existsSync } from 'node:fs';

const A4: [number, number] = [595.28, 841.89];
const MARGIN = 48;

/** Standard PDF fonts only encode WinAnsi; map the usual typographic characters and drop the rest. */
export function pdfSafe(text: string): string {
  return text
    .replace(/[\u2018\u2019]/g, "'")
    .replace(/[\u201c\u201d]/g, '"')
    .replace(/[\u2013\u2014]/g, '-')
    .replace(/\u2026/g, '...')
    .replace(/[^\n\u0020-\u007e\u00a0-\u00ff]/g, '?');
}

class Layout {
  page!: PDFPage;
  y = 0;
  constructor(
    private readonly doc: PDFDocument,
    private readonly font: PDFFont,
    private readonly bold: PDFFont,
  ) {
    this.newPage();
  }
  newPage(): void {
    this.page = this.doc.addPage(A4);
    this.y = A4[1] - MARGIN;
    this.page.drawText(pdfSafe('RESEARCH USE ONLY - not for diagnosis'), { x: MARGIN, y: 24, size: 8, font: this.bold, color: rgb(0.7, 0, 0) });
  }
  ensure(h: number): void {
    if (this.y - h < MARGIN) this.newPage();
  }
  wrap(text: string, size: number, width: number, font = this.font): string[] {
    const out: string[] = [];
    for (const para of pdfSafe(text).split('\n')) {
      let line = '';
      for (const word of para.split(/\s+/)) {
        const next = line ? `${line} ${word}` : word;
        if (font.widthOfTextAtSize(next, size) > width && line) {
          out.push(line);
          line = word;
        } else line = next;
      }
      out.push(line);
    }
    return out;
  }
  /** A heading, kept on the same page as the first `keepWith` points of what follows. */
  heading(text: string, keepWith = 0): void {
    this.ensure(30 + keepWith);
    this.y -= 10;
    this.page.drawText(pdfSafe(text), { x: MARGIN, y: this.y, size: 12, font: this.bold, color: rgb(0.1, 0.2, 0.45) });
    this.y -= 16;
  }
  paragraph(text: string, size = 9, color = rgb(0, 0, 0), font = this.font): void {
    for (const line of this.wrap(text, size, A4[0] - 2 * MARGIN, font)) {
      this.ensure(size + 3);
      this.page.drawText(line, { x: MARGIN, y: this.y, size, font, color });
      this.y -= size + 3;
    }
  }
  table(rows: string[][], widths: number[], size = 8.5): void {
    rows.forEach((row, r) => {
      const cells = row.map((cell, i) => this.wrap(cell, size, widths[i]! - 4, r === 0 ? this.bold : this.font));
      const h = Math.max(...cells.map((c) => c.length)) * (size + 2) + 2;
      this.ensure(h);
      let x = MARGIN;
      cells.forEach((lines, i) => {
        lines.forEach((l, n) =>
          this.page.drawText(l, { x, y: this.y - n * (size + 2), size, font: r === 0 ? this.bold : this.font }),
        );
        x += widths[i]!;
      });
      this.y -= h;
    });
    this.y -= 4;
  }
  async images(images: RgbImage[]): Promise<void> {
    if (!images.length) return;
    const gap = 8;
    const w = (A4[0] - 2 * MARGIN - gap * (images.length - 1)) / images.length;
    const embedded = await Promise.all(images.map((img) => this.doc.embedPng(encodePng(img))));
    const h = Math.max(...images.map((img) => (img.height * w) / img.width));
    this.ensure(h + 6);
    embedded.forEach((png, i) => {
      const ih = (images[i]!.height * w) / images[i]!.width;
      this.page.drawImage(png, { x: MARGIN + i * (w + gap), y: this.y - ih, width: w, height: ih });
    });
    this.y -= h + 8;
  }
}

const pct = (p: number): string => `${(p * 100).toFixed(0)}%`;

export interface PdfReportInput {
  findings: Findings;
  header: StudyAttributes;
  options: EncoderOptions;
  narrative: Narrative;
  keyImages: RgbImage[];
  references: { srUid: string; segUid?: string };
}

/**
 * DejaVu Sans, embedded (Debian fonts-dejavu-core, probed by scripts/setup.sh); the standard Helvetica, which readers
 * substitute, only where the font files are missing.
 */
async function reportFonts(doc: PDFDocument): Promise<[PDFFont, PDFFont]> {
  if (existsSync(REGULAR_FONT) && existsSync(BOLD_FONT)) {
    return [embedTrueType(doc, REGULAR_FONT, 'DejaVuSans'), embedTrueType(doc, BOLD_FONT, 'DejaVuSans-Bold')];
  }
  return [await doc.embedFont(StandardFonts.Helvetica), await doc.embedFont(StandardFonts.HelveticaBold)];
}

export async function renderReportPdf(input: PdfReportInput): Promise<Uint8Array> {
  const { findings: f, header: h, options, narrative } = input;
  const now = options.now ?? new Date();
  const doc = await PDFDocument.create({ updateMetadata: false });
  doc.setTitle('AI brain tumour MRI report (research use only)');
  doc.setCreator(`neuro-onc-node ${options.node.version}`);
  doc.setProducer('neuro-onc-node (pdf-lib)');
  doc.setCreationDate(now);
  doc.setModificationDate(now);
  const [font, bold] = await reportFonts(doc);
  const L = new Layout(doc, font, bold);

  L.paragraph('AI brain tumour MRI report', 16, rgb(0.1, 0.2, 0.45), bold);
  L.paragraph(RESEARCH_USE_STATEMENT, 9.5, rgb(0.7, 0, 0), bold);
  L.y -= 4;
  L.table(
    [
      ['Patient', 'Patient ID', 'Birth date', 'Sex'],
      [h.PatientName.replace(/\^/g, ' ').trim() || '-', h.PatientID || '-', h.PatientBirthDate || '-', h.PatientSex || '-'],
      ['Study date', 'Accession', 'Study', 'Report created'],
      [h.StudyDate || '-', h.AccessionNumber || '-', h.StudyDescription || '-', now.toISOString().slice(0, 16).replace('T', ' ')],
    ],
    [170, 110, 120, 99],
  );

  L.heading('Inputs');
  L.table(
    [
      ['Role', 'Series', 'Description', 'Images'],
      ...f.inputs.map((s) => [ROLE_NAMES[s.role], s.seriesNumber != null ? String(s.seriesNumber) : '-', s.seriesDescription ?? '-', String(s.sopInstanceUids.length)]),
    ],
    [80, 60, 280, 79],
  );
  if (f.missingModalities.length) L.paragraph(`Missing sequences: ${f.missingModalities.map((r) => ROLE_NAMES[r]).join(', ')}.`);

  if (f.regions.length) {
    // Not assessable is not zero (e.g. enhancement without T1ce): the reason instead of a volume.
    const na = new Map(notAssessableRegions(f).map((n) => [n.key, n.reason]));
    L.heading('Volumes');
    L.table(
      [
        ['Region', 'Volume (mL)', 'Mean voxel uncertainty'],
        ...f.regions.map((r) =>
          na.has(r.key) ? [regionText(r.key), 'not assessable', na.get(r.key)!] : [regionText(r.key), r.volumeMl.toFixed(2), r.meanUncertainty != null ? r.meanUncertainty.toFixed(3) : '-'],
        ),
      ],
      [250, 110, 139],
    );
    if (f.noTumourDetected) L.paragraph('No tumour detected: no voxel was segmented. This does not exclude a tumour the model cannot see.');
  }
  if (f.noTumourDetected?.headsNotApplicable.length) {
    L.heading('Classification (model prediction)');
    L.paragraph(`Not applicable without a segmented tumour: ${f.noTumourDetected.headsNotApplicable.map((x) => x.title).join(', ')}.`);
  }
  if (f.heads.length) {
    L.heading('Classification (model prediction)');
    L.table(
      [
        ['Task', 'Prediction', 'Probabilities', 'Norm. entropy'],
        ...f.heads.map((x) => [
          x.title,
          x.indeterminate ? 'indeterminate' : `${x.predicted} (${pct(x.confidence)})`,
          x.classes.map((c) => `${c.name} ${pct(c.probability)}`).join(', '),
          x.uncertainty.normalisedEntropy.toFixed(2),
        ]),
      ],
      [120, 110, 199, 70],
    );
  }
  if (f.diagnosis) {
    const dx = f.diagnosis;
    L.heading('Integrated diagnosis (WHO CNS5, model-based - not histopathology)');
    L.paragraph(dx.integrated.indeterminate ? 'Indeterminate.' : `${dx.integrated.label} (${pct(dx.integrated.probability)})`, 10, rgb(0, 0, 0), bold);
    if (dx.branches.length) L.paragraph(`Branches: ${dx.branches.map((b) => `${b.label} ${pct(b.probability)}`).join('; ')}`);
    for (const r of dx.reasoning) L.paragraph(`- ${r}`);
  }
  for (const sv of f.survival ?? []) {
    L.heading(`${sv.title} (${outcomesText(sv)} - not a prediction for this patient)`);
    L.paragraph(sv.statement, 9, rgb(0, 0, 0), bold);
    if (sv.status === 'reported') {
      L.table(
        [['Time', 'Survival probability', 'Across TTA passes'], ...sv.timePoints.map((t) => [monthsText(t.months), pct(t.probability), t.std != null && t.min != null && t.max != null ? `SD ${pct(t.std)}, ${pct(t.min)}-${pct(t.max)}` : 'not estimated'])],
        [120, 150, 229],
      );
      if (sv.riskGroup) L.paragraph(`Risk group: ${sv.riskGroup.name} (mean survival at ${monthsText(sv.riskGroup.atMonths)} ${pct(sv.riskGroup.survivalProbability)}).`);
      L.paragraph(`${sv.ageYears != null ? `Age used: ${sv.ageYears} years. ` : ''}Sequences used: ${sv.modalitiesUsed.join(', ') || 'none'}.${sv.uncertainty?.estimated ? '' : ' Uncertainty not estimated (no test-time augmentation).'}`);
      for (const n of sv.notes) L.paragraph(`Note: ${n}`, 9, rgb(0.6, 0.3, 0));
    } else {
      L.paragraph(`${sv.status === 'not-applicable' ? 'Not applicable' : 'Not assessable'}: ${sv.reason ?? ''}`);
    }
  }
  L.heading('Uncertainty');
  L.paragraph(`Overall: ${f.uncertaintySummary.level}. ${f.uncertaintySummary.notes.join(' ')}`);
  for (const w of f.warnings) L.paragraph(`Warning: ${w}`, 9, rgb(0.6, 0.3, 0));
  if (f.modalityImportance?.length) {
    L.heading('Modality importance (leave-one-modality-out)');
    L.table(
      [
        ['Without', 'Probability change per task', 'WT Dice'],
        ...f.modalityImportance.map((m) => [
          ROLE_NAMES[m.role],
          Object.entries(m.headDeltas).map(([k, d]) => `${k} ${d >= 0 ? '+' : ''}${d.toFixed(2)}`).join(', '),
          m.diceToFull != null ? m.diceToFull.toFixed(2) : '-',
        ]),
      ],
      [80, 320, 99],
    );
  }
  if (f.radiomics?.length) {
    L.heading('Radiomic features');
    L.table(
      [
        ['Region', 'Feature', 'Value', 'Sequence'],
        ...f.radiomics.map((r) => [r.region, r.name + (r.ibsiId ? ` (IBSI ${r.ibsiId})` : ''), `${Number(r.value.toPrecision(5))}${r.unit && r.unit !== '1' ? ' ' + r.unit : ''}`, r.sequence ? ROLE_NAMES[r.sequence] : '-']),
      ],
      [60, 260, 100, 79],
    );
  }
  if (input.keyImages.length) {
    const w = (A4[0] - 2 * MARGIN) / input.keyImages.length;
    L.heading('Key images (segmentation overlay)', Math.max(...input.keyImages.map((k) => (k.height * w) / k.width)));
    await L.images(input.keyImages);
  }
  L.heading('Report for clinicians');
  if (narrative.source !== 'template') L.paragraph(`Drafted by ${narrative.source}; the tables above are authoritative.`, 8, rgb(0.4, 0.4, 0.4));
  if (narrative.fallbackReason) L.paragraph(`LLM narrative unavailable (${narrative.fallbackReason}); template used.`, 8, rgb(0.4, 0.4, 0.4));
  L.paragraph(narrative.clinician);
  L.heading('Summary for patients');
  L.paragraph(narrative.patient);
  L.heading('Provenance');
  const m = f.model;
  L.paragraph(
    `Model ${m.name} ${m.version}, model.onnx sha256 ${m.sha256}, execution provider ${m.executionProvider}. ` +
      `Node ${options.node.name} (neuro-onc-node ${options.node.version}). Intended use: ${m.intendedUse} Training data: ${m.trainingData} ` +
      `Structured results: SR ${input.references.srUid}${input.references.segUid ? `, SEG ${input.references.segUid}` : ''}. ` +
      'Produced automatically; not verified by a physician.',
    8,
  );
  return doc.save({ useObjectStreams: false });
}
