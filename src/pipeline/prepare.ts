/**
 * The preparation steps shared by the job pipeline and the offline commands: which models run for a study, and
 * one model's case on its grid (volumes of the roles it reads -> toModelGrid), with the provenance the encoders
 * need. Pure apart from reading the series' files.
 */
import { readFile } from 'node:fs/promises';
import type { Config } from '../config/schema';
import type { ClinicalValues } from '../ai/feeds';
import { clinicalInputs } from '../ai/manifest';
import { patientAge } from '../dicom/patient-age';
import { readP10, str } from '../dicom/p10';
import { buildSeriesVolume, type BuiltVolume } from '../imaging/build-volume';
import { toModelGrid, type ModelGridCase } from '../imaging/to-model-grid';
import { VolumeBuildError } from '../imaging/volume-errors';
import type { SeriesVolume, Vec3 } from '../imaging/volume';
import { inputGeometry, type InputSeries } from '../ai/findings';
import { checkSpace, planModalities } from '../ai/inference';
import type { LoadedModel, ModelRegistry, RoutingDecision } from '../ai/registry';
import { brainExtractorFor, prepareSpace } from '../registration/model-space';
import { classifyStudy, type StudyClassification } from '../series-id/classify';
import { seriesDescriptorsFromFiles } from '../series-id/descriptor-from-files';
import type { ModelRole } from '../series-id/roles';
import { registerInterSeries } from '../registration/inter-series';
import type { RegistrationReport } from '../registration/report';
import { interSeriesSettings } from '../registration/settings';

/** A study as files grouped by series (from the store or from a folder). */
export interface StudySeriesFiles {
  studyInstanceUid: string;
  studyDescription: string;
  reasonForStudy: string;
  /** SeriesInstanceUID -> file paths. */
  series: Record<string, string[]>;
}

export interface Identification {
  classification: StudyClassification;
  routed: string[];
  skipped: string[];
  /** Files that could not be read as DICOM headers (path: reason). */
  unreadable: string[];
}

/** Series identification + model routing. */
export async function identify(study: StudySeriesFiles, registry: ModelRegistry, cfg: Config, onlyModels?: string[]): Promise<Identification> {
  const { descriptors, skipped } = await seriesDescriptorsFromFiles(Object.values(study.series).flat());
  const classification = classifyStudy(descriptors, { overrides: cfg.seriesId.overrides, minConfidence: cfg.seriesId.minConfidence, minImages: cfg.seriesId.minImages });
  const roles = Object.keys(classification.selected) as ModelRole[];
  const decision: RoutingDecision = onlyModels?.length
    ? { models: onlyModels.filter((n) => registry.get(n)), skipped: onlyModels.filter((n) => !registry.get(n)).map((n) => `${n}: requested but the model is not loaded`) }
    : registry.route(cfg.models.routing, { roles, studyDescription: study.studyDescription, reasonForStudy: study.reasonForStudy });
  return { classification, routed: decision.models, skipped: decision.skipped, unreadable: skipped.map((s) => `${s.path}: ${s.reason}`) };
}

/** Everything the analysis of one model needs, on its grid. */
export interface PreparedCase {
  model: string;
  referenceRole: ModelRole;
  grid: ModelGridCase;
  inputs: InputSeries[];
  /** Display series (native grid) the results are mapped back onto. */
  referenceSeries: SeriesVolume;
  /** Registered (template-space) grid: labels are decided on the display grid from mapped-back probabilities. */
  labelsFromMappedProbabilities?: boolean;
  /** How the model's space was produced (template, registration, brain extraction), for the findings' notes. */
  spaceNotes?: string[];
  /** Original slice planes of the reference when its stack was resampled to uniform spacing. */
  referenceSourcePositions?: Vec3[];
  /** The inter-series registration stage's report (absent when the site switched it off). */
  registration?: RegistrationReport;
  /** Clinical values from the header (age) for survival heads' clinical inputs; absent when the model has none. */
  clinical?: ClinicalValues;
  warnings: string[];
}

/** What preparation reads of the identification: a StudyClassification, or the identifying stage's output. */
export interface SelectedSeries {
  selected: Partial<Record<ModelRole, string>>;
  series: ReadonlyArray<{ seriesInstanceUid: string; seriesNumber?: number; seriesDescription?: string }>;
}

/**
 * The study's clinical values for survival heads (age at the study, from PatientAge or the birth and study dates),
 * read from the first readable instance header; unknown values are left out (the head then says why).
 */
export async function studyClinical(study: StudySeriesFiles): Promise<ClinicalValues> {
  for (const f of Object.values(study.series).flat()) {
    try {
      const ds = readP10(await readFile(f), { headerOnly: true }).dataset;
      const age = patientAge(str(ds, 'PatientAge'), str(ds, 'PatientBirthDate'), str(ds, 'StudyDate'));
      return age ? { age } : {};
    } catch {
      continue; // an unreadable file: the next one
    }
  }
  return {};
}

/** Builds (and caches, across models of one study) the volume of a selected role. */
export function volumeBuilder(study: StudySeriesFiles, classification: SelectedSeries): (role: ModelRole) => Promise<BuiltVolume> {
  const cache = new Map<ModelRole, Promise<BuiltVolume>>();
  return (role) => {
    let b = cache.get(role);
    if (!b) {
      const uid = classification.selected[role];
      if (!uid) return Promise.reject(new Error(`no series selected for role ${role}`));
      b = buildSeriesVolume(study.series[uid] ?? []);
      cache.set(role, b);
    }
    return b;
  };
}

/**
 * Volumes -> (inter-series registration) -> the model's grid. Throws typed errors (missing modalities, unsupported
 * space, bad volumes). `registration`: the site's registration config; absent = no registration.
 */
export async function prepareCase(
  model: LoadedModel,
  classification: SelectedSeries,
  build: (role: ModelRole) => Promise<BuiltVolume>,
  registration?: Config['registration'],
  clinical?: ClinicalValues,
): Promise<PreparedCase> {
  const m = model.manifest;
  const warnings = [...checkSpace(m)];
  let roles = Object.keys(classification.selected) as ModelRole[];
  let plan = planModalities(m, roles);
  const volumes: Partial<Record<ModelRole, SeriesVolume>> = {};
  const built: Partial<Record<ModelRole, BuiltVolume>> = {};
  // A selected series whose volume cannot be built (e.g. a damaged slice left a gap) counts as absent: the model
  // runs on the other roles when its missing-modality rules allow it, instead of the whole study failing.
  for (let i = 0; i < plan.present.length; i++) {
    const r = plan.present[i]!;
    if (built[r]) continue;
    try {
      built[r] = await build(r);
    } catch (e) {
      if (!(e instanceof VolumeBuildError)) throw e;
      roles = roles.filter((x) => x !== r);
      try {
        plan = planModalities(m, roles);
      } catch {
        throw e; // not enough roles without it: the build error says why
      }
      warnings.push(`${r}: series left out (${e.reason}): ${e.message}`);
      i = -1; // walk the new plan from the start (volumes already built are kept)
    }
  }
  for (const r of plan.present) {
    volumes[r] = built[r]!.volume;
    warnings.push(...built[r]!.warnings.map((w) => `${r}: ${w.message}`));
  }
  const referenceRole = m.preprocessing.space.referenceRoles.find((r) => volumes[r]) ?? plan.present[0]!;
  const settings = interSeriesSettings(registration, m);
  const reg = registration ? await registerInterSeries({ volumes, settings }) : undefined;
  warnings.push(...(reg?.warnings ?? []));
  const aligned = reg?.volumes ?? volumes;
  // Template space / skull strip (src/registration/model-space.ts) on the reference as co-registered.
  const space = await prepareSpace(m, aligned[referenceRole]!, brainExtractorFor(registration?.brainExtraction));
  const grid = toModelGrid(aligned, referenceRole, space.choice, m.preprocessing.normalisation, space.brainMask ? { brainMask: space.brainMask } : {});
  warnings.push(...grid.warnings.map((w) => w.message));
  const inputs = plan.present.map((r): InputSeries => {
    const v = volumes[r]!;
    const c = classification.series.find((s) => s.seriesInstanceUid === v.seriesInstanceUid);
    return {
      role: r,
      seriesInstanceUid: v.seriesInstanceUid,
      ...(c?.seriesNumber != null ? { seriesNumber: c.seriesNumber } : {}),
      ...(c?.seriesDescription ? { seriesDescription: c.seriesDescription } : {}),
      sopClassUid: v.sources[0]?.sopClassUid ?? '',
      sopInstanceUids: [...new Set(v.sources.map((s) => s.sopInstanceUid))],
      geometry: inputGeometry(v),
    };
  });
  const ref = built[referenceRole]!;
  return {
    model: m.name,
    referenceRole,
    grid,
    inputs,
    referenceSeries: ref.volume,
    labelsFromMappedProbabilities: space.labelsFromMappedProbabilities,
    spaceNotes: space.notes,
    ...(ref.sourcePositions ? { referenceSourcePositions: ref.sourcePositions } : {}),
    ...(reg ? { registration: reg.report } : {}),
    ...(clinical && clinicalInputs(m).length ? { clinical } : {}),
    warnings,
  };
}
