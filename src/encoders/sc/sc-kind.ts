/** The key-image output kind: Secondary Capture images with the overlay burned in (needs the SEG's segments). */
import { SopClass } from '../../dicom/constants';
import { checkSecondaryCapture } from '../conformance/structural-checks';
import { defineOutputKind } from '../output-kind';
import { encodeKeyImages } from './sc-encoder';

export const scKind = defineOutputKind({
  kind: 'sc',
  // Secondary Capture and its multi-frame variants (1-bit, 8-bit, 16-bit, true colour) count as key images when checking.
  sopClasses: [SopClass.SecondaryCapture, ...[1, 2, 3, 4].map((n) => `${SopClass.SecondaryCapture}.${n}`)],
  seriesNumber: 9003,
  // encodeKeyImages also honours options.keyImages.enabled; without a SEG there is nothing to overlay.
  enabled: (findings) => !!findings.segmentation,
  encode(ctx) {
    const keyImages = ctx.seg ? encodeKeyImages(ctx.findings, ctx.header, ctx.options, ctx.uids, ctx.seg.segments) : [];
    ctx.keyImages = keyImages;
    return keyImages.map((k, i) => ({
      kind: 'sc' as const,
      sopClassUid: SopClass.SecondaryCapture,
      sopInstanceUid: k.sopInstanceUid,
      seriesInstanceUid: k.seriesInstanceUid,
      studyInstanceUid: ctx.findings.studyInstanceUid,
      bytes: k.bytes,
      fileName: `sc-${i + 1}.dcm`,
    }));
  },
  check: checkSecondaryCapture,
});
