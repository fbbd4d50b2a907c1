/**
 * Findings as JSON for people and scripts (`neuro-onc-node infer --json`): everything except the voxel arrays,
 * which are replaced by a short description (grid, label counts, uncertainty statistics).
 */
import type { Findings } from './findings';
import type { Volume } from '../imaging/volume';

function describeVolume(v: Volume): Record<string, unknown> {
  return {
    dims: v.dims,
    spacing: v.spacing.map((x) => +x.toFixed(4)),
    affine: Array.from(v.affine, (x) => +x.toFixed(4)),
    ...(v.frameOfReferenceUid ? { frameOfReferenceUid: v.frameOfReferenceUid } : {}),
  };
}

export function summariseFindings(f: Findings): Record<string, unknown> {
  const { referenceSeries, segmentation, inputs, radiomics, ...rest } = f;
  const out: Record<string, unknown> = {
    ...rest,
    inputs: inputs.map(({ sopInstanceUids, geometry, ...i }) => {
      const { positions: _positions, ...g } = geometry ?? { positions: {} };
      return { ...i, instances: sopInstanceUids.length, ...(geometry ? { geometry: g } : {}) };
    }),
    ...(radiomics ? { radiomics } : {}),
    referenceSeries: {
      seriesInstanceUid: referenceSeries.seriesInstanceUid,
      ...describeVolume(referenceSeries),
      slices: referenceSeries.sources.length,
    },
  };
  if (segmentation) {
    const counts: Record<string, number> = {};
    for (const l of segmentation.labelmap.data) if (l) counts[l] = (counts[l] ?? 0) + 1;
    let unc: Record<string, number> | undefined;
    if (segmentation.uncertainty) {
      let max = 0;
      let sum = 0;
      for (const u of segmentation.uncertainty.data) {
        sum += u;
        if (u > max) max = u;
      }
      unc = { mean: sum / segmentation.uncertainty.data.length, max };
    }
    out.segmentation = {
      labelmap: { ...describeVolume(segmentation.labelmap), voxelsPerLabel: counts },
      ...(unc ? { uncertainty: unc } : {}),
      segments: segmentation.segments,
    };
  }
  return out;
}
