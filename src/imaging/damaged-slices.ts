/**
 * Instances whose native Pixel Data is shorter than their image needs (stored before the store refused them at
 * receipt, or read straight from files) are left out of a volume with a warning, instead of failing the whole
 * series: the stack then has a gap where the slice was, and the missing-slice rule of build-volume.ts applies.
 * Pure function.
 */
import { str } from '../dicom/p10';
import { isNativeSyntax } from '../dicom/pixel-codecs';
import { shortPixelDataMessage } from '../dicom/pixel-length';
import { pixelFormatOf } from './pixel-format';
import type { InstanceData } from './instance-input';
import type { VolumeWarning } from './volume-errors';

export function dropDamagedSlices(instances: InstanceData[]): { kept: InstanceData[]; warnings: VolumeWarning[] } {
  const kept: InstanceData[] = [];
  const warnings: VolumeWarning[] = [];
  for (const inst of instances) {
    const why = isNativeSyntax(inst.transferSyntaxUid) ? shortBy(inst) : undefined;
    if (why) warnings.push({ code: 'damaged-slice-dropped', message: `instance ${str(inst.dataset, 'SOPInstanceUID')} left out: ${why}` });
    else kept.push(inst);
  }
  return { kept, warnings };
}

function shortBy(inst: InstanceData): string | undefined {
  const pd = inst.dataset.PixelData;
  if (pd === undefined) return undefined;
  const parts = (Array.isArray(pd) ? pd : [pd]) as Array<ArrayBuffer | ArrayBufferView>;
  const actual = parts.reduce((s, p) => s + p.byteLength, 0);
  const fmt = pixelFormatOf(inst.dataset);
  return shortPixelDataMessage({ ...fmt, numberOfFrames: Number(inst.dataset.NumberOfFrames ?? 1) || 1 }, actual);
}
