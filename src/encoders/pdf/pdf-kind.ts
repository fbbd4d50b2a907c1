/** The PDF output kind: the clinician and patient report as an Encapsulated PDF (shows the SR's content and the key images). */
import { SopClass } from '../../dicom/constants';
import { checkEncapsulatedPdf } from '../conformance/structural-checks';
import { defineOutputKind } from '../output-kind';
import { encodePdf } from './pdf-encoder';
import { renderReportPdf } from './report-pdf';

export const pdfKind = defineOutputKind({
  kind: 'pdf',
  sopClasses: [SopClass.EncapsulatedPDF],
  seriesNumber: 9004,
  enabled: (_findings, options) => options.pdf?.enabled !== false,
  async encode(ctx) {
    const sr = ctx.sr;
    if (!sr) throw new Error('the PDF output kind comes after the SR in the registry (it shows the SR)');
    const pdfBytes = await renderReportPdf({
      findings: ctx.findings,
      header: ctx.header,
      options: ctx.options,
      narrative: ctx.narrative,
      keyImages: (ctx.keyImages ?? []).map((k) => k.image),
      references: { srUid: sr.sopInstanceUid, segUid: ctx.seg?.sopInstanceUid },
    });
    const pdf = encodePdf(pdfBytes, ctx.header, ctx.options, ctx.uids, ctx.findings.model.name, [sr]);
    return [{ kind: 'pdf', sopClassUid: SopClass.EncapsulatedPDF, sopInstanceUid: pdf.sopInstanceUid, seriesInstanceUid: pdf.seriesInstanceUid, studyInstanceUid: ctx.findings.studyInstanceUid, bytes: pdf.bytes, fileName: 'report-pdf.dcm' }];
  },
  check: checkEncapsulatedPdf,
});
