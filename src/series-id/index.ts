/** Series identification: public API. See docs/series-identification.md. */
export { classifyStudy, DEFAULT_MIN_CONFIDENCE, DEFAULT_MIN_IMAGES } from './classify';
export type { ClassifyOptions, RoleScores, SeriesClassification, StudyClassification } from './classify';
export type { SeriesHeader, SeriesTimestamp } from './header';
export { parseTimestamp } from './header';
export { seriesHeaderFromInstances, seriesHeadersFromDatasets } from './header-from-datasets';
export { listFiles, seriesHeadersFromFiles } from './header-from-files';
export type { FileHeaders, SkippedFile } from './header-from-files';
export { compileOverrides } from './overrides';
export type { OverrideRule } from './overrides';
export { MODEL_ROLES, isModelRole } from './roles';
export type { ModelRole, SeriesRole } from './roles';
