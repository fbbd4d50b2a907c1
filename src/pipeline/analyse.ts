/** Runs one model on a prepared case and maps its results back onto the display series (imaging inverse mapping). */
import type { Config } from '../config/schema';
import { analyseStudy, type ToReference } from '../ai/engine';
import type { Findings } from '../ai/findings';
import type { LoadedModel } from '../ai/registry';
import type { DeviceQueue } from '../ai/runtime';
import { labelsToSeries, probabilitiesToSeries, seriesTargetGrid } from '../imaging/inverse-map';
import type { SeriesVolume, Vec3, Volume } from '../imaging/volume';
import type { Logger } from '../log/logger';
import type { PreparedCase } from './prepare';

/** Inverse mapping onto the display series: nearest for labels, trilinear for probabilities/uncertainty. */
export function toReferenceVia(sourcePositions: Vec3[] | undefined): ToReference {
  return <T extends Uint8Array | Float32Array>(map: Volume<T>, target: SeriesVolume, mode: 'nearest' | 'linear'): Volume<T> => {
    const tg = seriesTargetGrid(target, sourcePositions);
    const grid = { dims: map.dims, affine: map.affine };
    const data = (mode === 'nearest' ? labelsToSeries(map.data as Uint8Array, grid, tg) : probabilitiesToSeries([map.data as Float32Array], grid, tg)[0]!) as T;
    return { dims: tg.dims, spacing: target.spacing, affine: target.affine, data, ...(target.frameOfReferenceUid ? { frameOfReferenceUid: target.frameOfReferenceUid } : {}) };
  };
}

export interface AnalyseRunOptions {
  tta?: boolean;
  modalityImportance?: boolean;
  queue?: DeviceQueue;
  log?: Logger;
}

export async function analysePrepared(model: LoadedModel, studyInstanceUid: string, prepared: PreparedCase, cfg: Config, opts: AnalyseRunOptions = {}): Promise<Findings> {
  const findings = await analyseStudy(
    model,
    {
      studyInstanceUid,
      grid: prepared.grid,
      inputs: prepared.inputs,
      referenceSeries: prepared.referenceSeries,
      toReference: toReferenceVia(prepared.referenceSourcePositions),
      labelsFromMappedProbabilities: prepared.labelsFromMappedProbabilities ?? false,
      ...(prepared.clinical ? { clinical: prepared.clinical } : {}),
    },
    {
      tta: opts.tta ?? cfg.models.testTimeAugmentation,
      minComponentMl: cfg.models.minComponentMl,
      hierarchicalDecoding: cfg.models.hierarchicalDecoding,
      minBranchProbability: cfg.models.minBranchProbability,
      modalityImportance: opts.modalityImportance ?? cfg.models.modalityImportance,
      modalityImportanceTta: cfg.models.modalityImportanceTta,
      radiomics: cfg.models.radiomics,
      radiomicsBins: cfg.models.radiomicsBins,
      withholdUnvalidatedSegmentation: cfg.models.withholdUnvalidatedSegmentation,
      ...(opts.queue ? { queue: opts.queue } : {}),
      ...(opts.log ? { log: opts.log } : {}),
    },
  );
  findings.warnings.unshift(...prepared.warnings);
  if (prepared.spaceNotes?.length) findings.spatialPreprocessing = [...prepared.spaceNotes];
  if (prepared.registration) findings.registration = prepared.registration;
  return findings;
}
