/**
 * Reads the mricron-data anatomy templates (ch2.nii.gz, ch2bet.nii.gz) through the imaging NIfTI reader, with an
 * error that says which Debian package provides them.
 */
import { existsSync } from 'node:fs';
import { niftiScaledValues, readNifti } from '../imaging/nifti';
import type { Volume } from '../imaging/volume';

export const MRICRON_TEMPLATES = '/usr/share/mricron/templates';

export class TemplateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateError';
  }
}

/** A template as a Volume with an LPS affine; values scaled (uint8 kept as is when unscaled). */
export function readTemplate(path: string): Volume<Uint8Array | Float32Array> {
  if (!existsSync(path)) {
    throw new TemplateError(`anatomy template ${path} not found; install the Debian package mricron-data`);
  }
  const img = readNifti(path);
  const data = img.data instanceof Uint8Array && img.sclSlope === 1 && img.sclInter === 0 ? img.data : niftiScaledValues(img);
  return { dims: img.dims, spacing: img.spacing, affine: img.affine, data };
}
