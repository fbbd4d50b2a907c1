/**
 * The review SR output kind (docs/review.md): the VERIFIED report a radiologist's accept, reject or correction
 * issues, superseding the AI SR. Enabled only when the encoder options carry a review (the review workflow encodes
 * it alone, options.kinds = ['review-sr']); checked like every SR.
 */
import { SopClass } from '../../dicom/constants';
import { defineOutputKind } from '../output-kind';
import { srKind } from './sr-kind';
import { encodeReviewSr, REVIEW_SR_SERIES_NUMBER } from './verified-sr';

export const reviewSrKind = defineOutputKind({
  kind: 'review-sr',
  // Not listed by SOP Class: an SR found among objects is checked by the SR kind, whose checks cover this one too.
  sopClasses: [],
  seriesNumber: REVIEW_SR_SERIES_NUMBER,
  enabled: (_findings, options) => options.review !== undefined,
  encode(ctx) {
    const review = ctx.options.review!;
    const sr = encodeReviewSr(ctx.findings, ctx.header, ctx.options, review, ctx.uids);
    return [{ kind: 'review-sr', sopClassUid: SopClass.ComprehensiveSR, sopInstanceUid: sr.sopInstanceUid, seriesInstanceUid: sr.seriesInstanceUid, studyInstanceUid: ctx.findings.studyInstanceUid, bytes: sr.bytes, fileName: `review-sr-${review.revision}.dcm` }];
  },
  check: (ds, ctx) => srKind.check(ds, ctx),
});
