/** Series identification: public API. See docs/series-identification.md. */
export { classifyStudy, DEFAULT_MIN_CONFIDENCE, DEFAULT_MIN_IMAGES } from './classify';
export type { ClassifyOptions, RoleScores, SeriesClassification, StudyClassification } from './classify';
export type { SeriesDescriptor, SeriesTimestamp } from './series-descriptor';
export { parseTimestamp } from './series-descriptor';
export { seriesDescriptorFromInstances, seriesDescriptorsFromDatasets } from './descriptor-from-datasets';
export { listFiles, seriesDescriptorsFromFiles } from './descriptor-from-files';
export type { FileDescriptors, SkippedFile } from './descriptor-from-files';
export { compileOverrides } from './overrides';
export type { OverrideRule } from './overrides';
export { MODEL_ROLES, isModelRole } from './roles';
export type { ModelRole, SeriesRole } from './roles';
