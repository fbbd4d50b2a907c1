/** The SEG output kind: the label map as a DICOM Segmentation on the display series (encoded first: the SR references it). */
import { SopClass } from '../../dicom/constants';
import { checkSeg } from '../conformance/structural-checks';
import { defineOutputKind } from '../output-kind';
import { encodeSeg } from './seg-encoder';

export const segKind = defineOutputKind({
  kind: 'seg',
  sopClasses: [SopClass.Segmentation],
  seriesNumber: 9001,
  enabled: (findings) => !!findings.segmentation,
  encode(ctx) {
    const seg = encodeSeg(ctx.findings, ctx.header, ctx.options, ctx.uids);
    ctx.seg = seg;
    if (seg.plan.emptySegments.length) ctx.notes.push(`empty segments (no frames): ${seg.plan.emptySegments.join(', ')}`);
    if (seg.plan.placeholder) ctx.notes.push('nothing segmented: one all-zero placeholder frame written');
    return [{ kind: 'seg', sopClassUid: SopClass.Segmentation, sopInstanceUid: seg.sopInstanceUid, seriesInstanceUid: seg.seriesInstanceUid, studyInstanceUid: ctx.findings.studyInstanceUid, bytes: seg.bytes, fileName: 'seg.dcm' }];
  },
  check: checkSeg,
});
