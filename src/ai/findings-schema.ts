/**
 * The Findings contract (findings.ts) as a schema, checked when a findings artifact is read back from disk: a
 * damaged file or one written by another version of the node then fails with the field that is wrong instead of
 * somewhere inside an encoder. Loose objects: fields not named here pass through unchanged.
 */
import { z } from 'zod';
import { seriesVolumeSchema, sliceSourceSchema, vec3Schema, volumeSchema } from '../imaging/volume-schema';
import { registrationReportSchema } from '../registration/report';
import { MODEL_ROLES } from '../series-id/roles';
import type { Bidimensional, Diameter } from './bidimensional';
import { HEAD_KIND_CLASSES, type HeadKind } from './manifest';
import type { CodedConcept, Findings, HeadResult, InputSeries, LayeredDiagnosis, RegionKey, RegionMeasurement, SegmentDefinition, SegmentKey, SurvivalFinding } from './findings';
import { EXECUTION_PROVIDERS, type ExecutionProviderName } from './providers';

const role = z.enum(MODEL_ROLES);
const num = z.number();
const code: z.ZodType<CodedConcept> = z.looseObject({ value: z.string(), scheme: z.string(), meaning: z.string() });
const segmentKey: z.ZodType<SegmentKey> = z.enum(['NCR', 'ED', 'ET', 'GTV']);
const regionKey: z.ZodType<RegionKey> = z.enum(['NCR', 'ED', 'ET', 'GTV', 'TC', 'WT']);

const segment: z.ZodType<SegmentDefinition> = z.looseObject({
  labelValue: z.number().int().positive(),
  key: segmentKey,
  label: z.string(),
  category: code,
  type: code,
  anatomicRegion: code.optional(),
  recommendedDisplayCIELab: z.tuple([num, num, num]).optional(),
});

const region: z.ZodType<RegionMeasurement> = z.looseObject({
  key: regionKey,
  labelValues: z.array(num),
  voxelCount: num,
  volumeMl: num,
  meanUncertainty: num.optional(),
});

/** An artifact written before heads carried their kind fails here, naming the field, instead of losing its codes. */
const headKind = z.enum([...(Object.keys(HEAD_KIND_CLASSES) as (keyof typeof HEAD_KIND_CLASSES)[]), 'generic']) satisfies z.ZodType<HeadKind>;

const head: z.ZodType<HeadResult> = z.looseObject({
  head: z.string(),
  kind: headKind,
  title: z.string(),
  classes: z.array(z.looseObject({ name: z.string(), probability: num, code: code.optional() })),
  predicted: z.string(),
  confidence: num,
  uncertainty: z.looseObject({ entropy: num, normalisedEntropy: num, ttaVariance: num.optional(), mutualInformation: num.optional() }),
  indeterminate: z.boolean(),
  temperature: num,
});

const survival: z.ZodType<SurvivalFinding> = z.looseObject({
  head: z.string(),
  title: z.string(),
  status: z.enum(['reported', 'not-assessable', 'not-applicable']),
  reason: z.string().optional(),
  timePoints: z.array(z.looseObject({ months: num, probability: num, std: num.optional(), min: num.optional(), max: num.optional() })),
  riskGroup: z.looseObject({ name: z.string(), atMonths: num, survivalProbability: num }).optional(),
  uncertainty: z.looseObject({ estimated: z.boolean(), passes: num, method: z.string() }).optional(),
  ageYears: z.number().int().optional(),
  ageSource: z.string().optional(),
  modalitiesUsed: z.array(role),
  outcomes: z.enum(['synthetic', 'observed']),
  statement: z.string(),
  notes: z.array(z.string()),
});

const labelled = z.looseObject({ label: z.string(), code: code.optional(), probability: num });
const diagnosis: z.ZodType<LayeredDiagnosis> = z.looseObject({
  integrated: z.looseObject({ label: z.string(), code: code.optional(), probability: num, indeterminate: z.boolean() }),
  histology: labelled.optional(),
  grade: labelled.optional(),
  molecular: z.array(z.looseObject({ name: z.string(), status: z.string(), probability: num, code: code.optional() })),
  branches: z.array(labelled),
  reasoning: z.array(z.string()),
  references: z.array(z.string()),
});

export const inputSeriesSchema: z.ZodType<InputSeries> = z.looseObject({
  role,
  seriesInstanceUid: z.string(),
  seriesNumber: num.optional(),
  seriesDescription: z.string().optional(),
  sopClassUid: z.string(),
  sopInstanceUids: z.array(z.string()),
  geometry: z
    .looseObject({
      rows: num,
      columns: num,
      pixelSpacing: z.tuple([num, num]),
      sliceThickness: num.optional(),
      spacingBetweenSlices: num,
      imageOrientationPatient: z.tuple([num, num, num, num, num, num]),
      frameOfReferenceUid: z.string().optional(),
      positions: z.record(z.string(), vec3Schema),
    })
    .optional(),
});

const diameter: z.ZodType<Diameter> = z.looseObject({ from: z.tuple([num, num]), to: z.tuple([num, num]), lengthMm: num });
const bidimensional: z.ZodType<Bidimensional & { region: RegionKey; source: z.infer<typeof sliceSourceSchema> }> = z.looseObject({
  slice: num,
  long: diameter,
  short: diameter,
  productMm2: num,
  measurable: z.boolean(),
  region: regionKey,
  source: sliceSourceSchema,
});

export const findingsSchema: z.ZodType<Findings> = z.looseObject({
  studyInstanceUid: z.string(),
  model: z.looseObject({ name: z.string(), version: z.string(), sha256: z.string(), intendedUse: z.string(), trainingData: z.string(), executionProvider: z.enum(EXECUTION_PROVIDERS as [ExecutionProviderName, ...ExecutionProviderName[]]) }),
  inputs: z.array(inputSeriesSchema),
  missingModalities: z.array(role),
  referenceSeries: seriesVolumeSchema,
  segmentation: z
    .looseObject({
      labelmap: volumeSchema(z.instanceof(Uint8Array)),
      uncertainty: volumeSchema(z.instanceof(Float32Array)).optional(),
      segments: z.array(segment),
    })
    .optional(),
  segmentationWithheld: z.looseObject({ missing: z.array(role), requires: z.array(z.array(role)), reason: z.string() }).optional(),
  regions: z.array(region),
  noTumourDetected: z.looseObject({ headsNotApplicable: z.array(z.looseObject({ head: z.string(), kind: headKind, title: z.string() })) }).optional(),
  bidimensional: bidimensional.optional(),
  heads: z.array(head),
  survival: z.array(survival).optional(),
  diagnosis: diagnosis.optional(),
  uncertaintySummary: z.looseObject({ level: z.enum(['low', 'moderate', 'high']), meanSegmentationUncertainty: num.optional(), notes: z.array(z.string()) }),
  modalityImportance: z.array(z.looseObject({ role, headDeltas: z.record(z.string(), num), diceToFull: num.optional() })).optional(),
  radiomics: z
    .array(
      z.looseObject({
        region: regionKey,
        sequence: role.optional(),
        family: z.enum(['shape', 'firstorder', 'vasari']),
        name: z.string(),
        value: num,
        unit: z.string().optional(),
        ibsiId: z.string().optional(),
      }),
    )
    .optional(),
  timings: z.record(z.string(), num),
  registration: registrationReportSchema.optional(),
  warnings: z.array(z.string()),
});
