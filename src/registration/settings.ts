/** Site config + model manifest -> the inter-series stage's settings for one model. */
import type { ModelManifest } from '../ai/manifest';
import type { Config } from '../config/schema';
import { DEFAULT_INTER_SERIES, type InterSeriesSettings } from './inter-series';

export function interSeriesSettings(site: Config['registration'] | undefined, manifest: ModelManifest): InterSeriesSettings {
  const m = manifest.preprocessing.registration;
  const off = !site || site.interSeries === 'off' || m?.interSeries === 'none';
  return {
    ...DEFAULT_INTER_SERIES,
    mode: off ? 'off' : 'rigid',
    referenceRoles: m?.referenceRoles ?? DEFAULT_INTER_SERIES.referenceRoles,
    samplingMm: site?.samplingMm ?? DEFAULT_INTER_SERIES.samplingMm,
  };
}
