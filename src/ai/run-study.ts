/**
 * Offline study inference (the `infer` command; the job pipeline reuses the same steps): DICOM files ->
 * series identification -> volumes -> model grid (imaging toModelGrid) -> each routed model -> Findings.
 * Side effects: reads files. Models come from a loaded registry.
 */
import { readFile } from 'node:fs/promises';
import type { Config } from '../config/schema';
import { readP10, str } from '../dicom/p10';
import { buildSeriesVolume, type BuiltVolume } from '../imaging/build-volume';
import { labelsToSeries, probabilitiesToSeries, seriesTargetGrid } from '../imaging/inverse-map';
import { toModelGrid } from '../imaging/to-model-grid';
import type { SeriesVolume, Volume } from '../imaging/volume';
import type { Logger } from '../log/logger';
import { classifyStudy, type StudyClassification } from '../series-id/classify';
import { listFiles, seriesHeadersFromFiles } from '../series-id/header-from-files';
import type { ModelRole } from '../series-id/roles';
import { analyseStudy, type ToReference } from './engine';
import type { Findings, InputSeries } from './findings';
import { checkSpace, planModalities } from './inference';
import type { ModelRegistry } from './registry';
import type { DeviceQueue } from './runtime';

export interface StudyFiles {
  studyInstanceUid: string;
  studyDescription: string;
  reasonForStudy: string;
  /** Files per SeriesInstanceUID. */
  series: Map<string, string[]>;
}

export interface ModelOutcome {
  model: string;
  findings?: Findings;
  /** Why the model did not run (missing modalities, unsupported space, build error...). */
  error?: { reason: string; message: string };
}

export interface StudyOutcome {
  studyInstanceUid: string;
  classification: StudyClassification;
  routed: string[];
  skipped: string[];
  outcomes: ModelOutcome[];
  warnings: string[];
}

/** Groups readable DICOM files by study and series (header only). */
export async function groupFiles(paths: readonly string[]): Promise<{ studies: StudyFiles[]; skipped: string[] }> {
  const { files, missing } = await listFiles(paths);
  const skipped = missing.map((m) => `${m.path}: ${m.reason}`);
  const studies = new Map<string, StudyFiles>();
  for (const f of files) {
    let ds;
    try {
      ds = readP10(await readFile(f), { headerOnly: true }).dataset;
    } catch (e) {
      skipped.push(`${f}: ${(e as Error).message}`);
      continue;
    }
    const studyUid = str(ds, 'StudyInstanceUID');
    const seriesUid = str(ds, 'SeriesInstanceUID');
    if (!seriesUid) {
      skipped.push(`${f}: no SeriesInstanceUID`);
      continue;
    }
    let s = studies.get(studyUid);
    if (!s) {
      s = {
        studyInstanceUid: studyUid,
        studyDescription: str(ds, 'StudyDescription'),
        reasonForStudy: str(ds, 'ReasonForStudy') || str(ds, 'RequestedProcedureDescription'),
        series: new Map(),
      };
      studies.set(studyUid, s);
    }
    s.series.set(seriesUid, [...(s.series.get(seriesUid) ?? []), f]);
  }
  return { studies: [...studies.values()], skipped };
}

function inputSeries(role: ModelRole, v: SeriesVolume, description?: string, seriesNumber?: number): InputSeries {
  return {
    role,
    seriesInstanceUid: v.seriesInstanceUid,
    ...(seriesNumber !== undefined ? { seriesNumber } : {}),
    ...(description ? { seriesDescription: description } : {}),
    sopClassUid: v.sources[0]?.sopClassUid ?? '',
    sopInstanceUids: [...new Set(v.sources.map((s) => s.sopInstanceUid))],
  };
}

/** Inverse mapping onto the display series via imaging's label/probability resamplers. */
function toReferenceVia(built: BuiltVolume): ToReference {
  return <T extends Uint8Array | Float32Array>(map: Volume<T>, target: SeriesVolume, mode: 'nearest' | 'linear'): Volume<T> => {
    const tg = seriesTargetGrid(target, built.sourcePositions);
    const grid = { dims: map.dims, affine: map.affine };
    const data = (mode === 'nearest' ? labelsToSeries(map.data as Uint8Array, grid, tg) : probabilitiesToSeries([map.data as Float32Array], grid, tg)[0]!) as T;
    return { dims: tg.dims, spacing: target.spacing, affine: target.affine, data, ...(target.frameOfReferenceUid ? { frameOfReferenceUid: target.frameOfReferenceUid } : {}) };
  };
}

export interface InferOptions {
  /** Run exactly these models instead of the routing rules. */
  models?: string[];
  tta?: boolean;
  modalityImportance?: boolean;
  queue?: DeviceQueue;
  log?: Logger;
}

/** Identification -> volumes -> every routed model, for one study. Model errors are recorded, not thrown. */
export async function inferStudy(study: StudyFiles, registry: ModelRegistry, cfg: Config, opts: InferOptions = {}): Promise<StudyOutcome> {
  const allFiles = [...study.series.values()].flat();
  const { headers } = await seriesHeadersFromFiles(allFiles);
  const classification = classifyStudy(headers, { overrides: cfg.seriesId.overrides, minConfidence: cfg.seriesId.minConfidence, minImages: cfg.seriesId.minImages });
  const roles = Object.keys(classification.selected) as ModelRole[];
  const decision = opts.models?.length
    ? { models: opts.models.filter((n) => registry.get(n)), skipped: opts.models.filter((n) => !registry.get(n)).map((n) => `${n}: requested but the model is not loaded`) }
    : registry.route(cfg.models.routing, { roles, studyDescription: study.studyDescription, reasonForStudy: study.reasonForStudy });
  const warnings: string[] = [];
  const built = new Map<ModelRole, BuiltVolume>();
  const buildRole = async (role: ModelRole): Promise<BuiltVolume> => {
    let b = built.get(role);
    if (!b) {
      const uid = classification.selected[role]!;
      b = await buildSeriesVolume(study.series.get(uid) ?? []);
      for (const w of b.warnings) warnings.push(`${role}: ${w.message}`);
      built.set(role, b);
    }
    return b;
  };
  const outcomes: ModelOutcome[] = [];
  for (const name of decision.models) {
    const model = registry.get(name)!;
    const m = model.manifest;
    try {
      const spaceWarnings = checkSpace(m);
      const plan = planModalities(m, roles);
      const volumes: Partial<Record<ModelRole, SeriesVolume>> = {};
      for (const r of plan.present) volumes[r] = (await buildRole(r)).volume;
      const refRole = m.preprocessing.space.referenceRoles.find((r) => volumes[r]) ?? plan.present[0]!;
      const grid = toModelGrid(volumes, refRole, m.preprocessing.space.grid, m.preprocessing.normalisation);
      const describe = (uid: string) => classification.series.find((s) => s.seriesInstanceUid === uid);
      const findings = await analyseStudy(
        model,
        {
          studyInstanceUid: study.studyInstanceUid,
          grid,
          inputs: plan.present.map((r) => {
            const c = describe(volumes[r]!.seriesInstanceUid);
            return inputSeries(r, volumes[r]!, c?.seriesDescription, c?.seriesNumber);
          }),
          referenceSeries: volumes[refRole]!,
          toReference: toReferenceVia(built.get(refRole)!),
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
          ...(opts.queue ? { queue: opts.queue } : {}),
          ...(opts.log ? { log: opts.log } : {}),
        },
      );
      findings.warnings.unshift(...spaceWarnings, ...grid.warnings.map((w) => w.message));
      outcomes.push({ model: name, findings });
    } catch (e) {
      const err = e as Error & { reason?: string };
      outcomes.push({ model: name, error: { reason: err.reason ?? err.name, message: err.message } });
      opts.log?.warn('model did not run', { model: name, reason: err.reason ?? err.name, error: err.message });
    }
  }
  return { studyInstanceUid: study.studyInstanceUid, classification, routed: decision.models, skipped: decision.skipped, outcomes, warnings };
}
