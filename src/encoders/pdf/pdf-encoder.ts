/**
 * Encapsulated PDF Storage (1.2.840.10008.5.1.4.1.1.104.1): the report PDF inside a DICOM object, filed in the
 * same study so any PACS viewer can open it.
 */
import type { StudyAttributes } from '../../dicom/study-attributes';
import { SopClass } from '../../dicom/constants';
import { codeItem, MISC } from '../codes';
import { equipment, patientAndStudy, sopCommon, withCharacterSet } from '../common-modules';
import type { EncoderOptions } from '../options';
import { writePart10, type DicomJson } from '../../dicom/part10-writer';
import type { OutputUids } from '../uid-scheme';

export interface EncodedPdf {
  bytes: Buffer;
  sopInstanceUid: string;
  seriesInstanceUid: string;
}

export const PDF_DOCUMENT_TITLE = 'AI brain tumour MRI report - RESEARCH USE ONLY';

export function encodePdf(
  pdf: Uint8Array,
  header: StudyAttributes,
  options: EncoderOptions,
  uids: OutputUids,
  modelName: string,
  /** Instances whose content the PDF shows (the SR). */
  sources: Array<{ sopClassUid: string; sopInstanceUid: string }>,
): EncodedPdf {
  const now = options.now ?? new Date();
  const ds: DicomJson = {
    ...sopCommon(SopClass.EncapsulatedPDF, uids.pdf, uids.series.pdf, uids.seriesNumbers.pdf, 1, now),
    ...patientAndStudy(header),
    ...equipment(options, modelName),
    Modality: 'DOC',
    ConversionType: 'WSD',
    SeriesDescription: 'AI report (PDF) - RESEARCH USE ONLY',
    AcquisitionDateTime: '',
    BurnedInAnnotation: 'YES',
    DocumentTitle: PDF_DOCUMENT_TITLE,
    ConceptNameCodeSequence: [codeItem(MISC.diagnosticImagingReport)],
    MIMETypeOfEncapsulatedDocument: 'application/pdf',
    SourceInstanceSequence: sources.map((s) => ({ ReferencedSOPClassUID: s.sopClassUid, ReferencedSOPInstanceUID: s.sopInstanceUid })),
    EncapsulatedDocument: pdf,
    EncapsulatedDocumentLength: pdf.length,
    _vrMap: { EncapsulatedDocument: 'OB' },
  };
  return { bytes: writePart10(withCharacterSet(ds)), sopInstanceUid: uids.pdf, seriesInstanceUid: uids.series.pdf };
}
