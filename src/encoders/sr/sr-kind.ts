/** The SR output kind: the TID 1500 measurement report (always written; references the SEG when there is one). */
import { SopClass } from '../../dicom/constants';
import { checkReaderRules } from '../conformance/reader-rules';
import { checkSr } from '../conformance/structural-checks';
import { defineOutputKind } from '../output-kind';
import { encodeSr } from './sr-encoder';

export const srKind = defineOutputKind({
  kind: 'sr',
  // Every SR class counts as an SR when checking objects; the encoder writes Comprehensive SR.
  sopClasses: [SopClass.ComprehensiveSR, SopClass.BasicTextSR, SopClass.EnhancedSR, SopClass.Comprehensive3DSR],
  seriesNumber: 9002,
  enabled: () => true,
  encode(ctx) {
    const seg = ctx.seg;
    const sr = encodeSr(ctx.findings, ctx.header, ctx.options, ctx.uids, ctx.narrative, seg && { sopInstanceUid: seg.sopInstanceUid, segments: seg.segments, emptySegments: seg.plan.emptySegments });
    ctx.sr = { sopClassUid: SopClass.ComprehensiveSR, sopInstanceUid: sr.sopInstanceUid };
    return [{ kind: 'sr', sopClassUid: SopClass.ComprehensiveSR, sopInstanceUid: sr.sopInstanceUid, seriesInstanceUid: sr.seriesInstanceUid, studyInstanceUid: ctx.findings.studyInstanceUid, bytes: sr.bytes, fileName: 'sr.dcm' }];
  },
  check: (ds, ctx) => [...checkSr(ds, ctx), ...checkReaderRules(ds, ctx)],
});
