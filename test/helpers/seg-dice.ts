/**
 * Scores a SEG as a viewer would show it: decoded onto the native series it references (first
 * ReferencedSeriesSequence item, built from the study's own files) and compared with the synthetic ground truth
 * resampled onto that series.
 */
import { dice } from '../../src/ai/postprocess';
import { readP10, type NaturalDataset } from '../../src/dicom/p10';
import { decodeSeg, segToLabelmap } from '../../src/encoders';
import { buildSeriesVolume } from '../../src/imaging/build-volume';
import { resampleNearest } from '../../src/imaging/resample';
import { labelVolume } from '../../src/synth/ground-truth';
import type { SynthStudy } from '../../src/synth/study';

export interface SegDice {
  wt: number;
  tc: number;
}

export async function segDiceOnDisplaySeries(seg: NaturalDataset, study: SynthStudy): Promise<SegDice> {
  const refs = seg.ReferencedSeriesSequence as NaturalDataset | NaturalDataset[];
  const refSeries = String((Array.isArray(refs) ? refs[0] : refs)!.SeriesInstanceUID);
  const files = study.files.filter((f) => readP10(f.buffer, { headerOnly: true }).dataset.SeriesInstanceUID === refSeries);
  if (!files.length) throw new Error(`the SEG references series ${refSeries}, which is not in the study`);
  const { volume } = await buildSeriesVolume(files.map((f) => f.buffer));
  const labels = segToLabelmap(decodeSeg(seg), volume.sources);
  const truth = resampleNearest(labelVolume(study), { dims: volume.dims, affine: volume.affine }) as Uint8Array;
  return { wt: dice(labels, [1, 2, 3], truth, [1, 2, 3]), tc: dice(labels, [1, 3], truth, [1, 3]) };
}
