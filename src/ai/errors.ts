/**
 * Typed errors of the AI engine. Each has a machine-readable `reason` and a message naming the problem, so the job
 * layer can record why a model did not run and the CLI can print one clear line.
 */
import type { ModelRole } from '../series-id/roles';

export type ModelPackageProblem =
  | 'manifest-unreadable'
  | 'manifest-invalid'
  | 'no-weights'
  | 'model-file-missing'
  | 'sha256-mismatch'
  | 'session-failed'
  | 'graph-mismatch';

/** A model package that cannot be used; the registry reports it and skips the package. */
export class ModelPackageError extends Error {
  constructor(
    readonly reason: ModelPackageProblem,
    readonly packageDir: string,
    message: string,
  ) {
    super(message);
    this.name = 'ModelPackageError';
  }
}

/** The study lacks what the model needs: none of its minimum role sets is complete, or the subset is unsupported. */
export class MissingModalitiesError extends Error {
  constructor(
    readonly reason: 'missing-modalities' | 'unsupported-subset',
    readonly model: string,
    readonly absentRoles: ModelRole[],
    readonly presentRoles: ModelRole[],
    message: string,
  ) {
    super(message);
    this.name = 'MissingModalitiesError';
  }
}

/** The model was trained in a space the node cannot produce (atlas registration, skull stripping). */
export class UnsupportedSpaceError extends Error {
  readonly reason = 'unsupported-space';
  constructor(
    readonly model: string,
    message: string,
  ) {
    super(message);
    this.name = 'UnsupportedSpaceError';
  }
}

/** The input handed to the engine does not fit the model (grid size, channel length, unknown model). */
export class InferenceInputError extends Error {
  constructor(
    readonly reason: 'grid-mismatch' | 'unknown-model' | 'bad-input' | 'bad-output',
    message: string,
  ) {
    super(message);
    this.name = 'InferenceInputError';
  }
}
