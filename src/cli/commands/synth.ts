import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { parseManifest } from '../../ai/manifest';
import { prepareSpace } from '../../registration/model-space';
import { isModelRole, type ModelRole } from '../../series-id/roles';
import { isTumourKind } from '../../synth/classes';
import type { DistractorMode, MultiframeMode, StudySize, TransferSyntaxChoice } from '../../synth/protocol';
import { synthesiseStudy } from '../../synth/study';
import { TemplateError } from '../../synth/template-reader';
import {
  DEFAULT_PREPROCESS, DEFAULT_TUMOUR_MIX, exportTrainingCases, parseTumourMix, readPreprocessSpec, TrainingExportError,
  writeTrainingIndex, type TrainingSetOptions,
} from '../../synth/training-export';
import { VARIETY_LEVELS, type VarietyLevel } from '../../synth/variety';
import { isVendor, type Vendor } from '../../synth/vendors';
import { writeStudy } from '../../synth/write-study';

/** A bad command-line value: one line on stderr, exit 2. */
export class SynthUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SynthUsageError';
  }
}

interface SynthCliOptions {
  out?: string;
  tumor: string;
  seed: string;
  vendor: string;
  drop?: string;
  size: string;
  distractors: string;
  transferSyntax: string;
  multiframe: string;
  jitter: boolean;
  massEffect: boolean;
  anatomyVariation: string;
  motion?: string;
  trainingSet?: string;
  vendors?: string;
  tumorMix?: string;
  dropProb: string;
  grid?: string;
  roundTrip: boolean;
  jobs: string;
  shard?: string;
  variety: string;
}

function oneOf<T extends string>(value: string, allowed: readonly T[], flag: string): T {
  if (!(allowed as readonly string[]).includes(value)) throw new SynthUsageError(`${flag} must be one of ${allowed.join(', ')} (got '${value}')`);
  return value as T;
}

function parseDrop(s: string | undefined): ModelRole[] {
  if (!s) return [];
  const roles = s.split(',').map((x) => x.trim().toLowerCase()).filter(Boolean);
  for (const r of roles) if (!isModelRole(r)) throw new SynthUsageError(`--drop: unknown role '${r}' (t1, t1ce, t2, flair)`);
  return roles as ModelRole[];
}

function parseVendors(s: string): Vendor[] {
  const v = s.split(',').map((x) => x.trim().toLowerCase()).filter(Boolean);
  for (const x of v) if (!isVendor(x)) throw new SynthUsageError(`--vendors: unknown vendor '${x}' (siemens, ge, philips)`);
  if (!v.length) throw new SynthUsageError('--vendors: give at least one vendor');
  return v as Vendor[];
}

function positiveInt(s: string, flag: string): number {
  const n = Number(s);
  if (!Number.isInteger(n) || n < 1) throw new SynthUsageError(`${flag} must be a positive integer (got '${s}')`);
  return n;
}

function nonNegative(s: string, flag: string): number {
  const n = Number(s);
  if (!Number.isFinite(n) || n < 0 || n > 8) throw new SynthUsageError(`${flag} must be a number of mm from 0 to 8 (got '${s}')`);
  return n;
}

/** --motion DEG,MM: rotation (degrees) and translation (mm) of the head between series. */
export function parseMotion(s: string | undefined): { rotationDeg: number; translationMm: number } | undefined {
  if (s === undefined) return undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*,\s*(\d+(?:\.\d+)?)\s*$/.exec(s);
  if (!m || Number(m[1]) > 45 || Number(m[2]) > 50) throw new SynthUsageError(`--motion must be DEG,MM with 0 <= DEG <= 45 and 0 <= MM <= 50 (got '${s}')`);
  return { rotationDeg: Number(m[1]), translationMm: Number(m[2]) };
}

async function runStudy(o: SynthCliOptions): Promise<void> {
  if (!o.out) throw new SynthUsageError('--out DIR is required');
  if (o.variety !== 'narrow') throw new SynthUsageError('--variety applies to --training-set (a single study uses --anatomy-variation and --motion)');
  const tumor = o.tumor.toLowerCase();
  if (!isTumourKind(tumor)) throw new SynthUsageError(`--tumor must be one of gbm, astro, oligo, mets, none (got '${o.tumor}')`);
  const vendor = o.vendor.toLowerCase();
  if (!isVendor(vendor)) throw new SynthUsageError(`--vendor must be one of siemens, ge, philips (got '${o.vendor}')`);
  const t0 = Date.now();
  const study = await synthesiseStudy({
    tumor: tumor,
    seed: o.seed,
    vendor,
    drop: parseDrop(o.drop),
    size: oneOf<StudySize>(o.size, ['full', 'small'], '--size'),
    distractors: oneOf<DistractorMode>(o.distractors, ['all', 'random', 'none'], '--distractors'),
    transferSyntax: oneOf<TransferSyntaxChoice>(o.transferSyntax, ['explicit', 'implicit', 'jpeg-lossless', 'random'], '--transfer-syntax'),
    multiframe: oneOf<MultiframeMode>(o.multiframe, ['auto', 'never', 'always'], '--multiframe'),
    jitter: o.jitter,
    massEffect: o.massEffect,
    anatomyVariation: nonNegative(o.anatomyVariation, '--anatomy-variation'),
    motion: parseMotion(o.motion),
  });
  const written = writeStudy(study, o.out);
  process.stdout.write(
    JSON.stringify({
      out: written.outDir,
      tumor,
      diagnosis: study.caseModel.plan.classes.integratedDiagnosis,
      vendor,
      series: study.series.map((s) => ({ number: s.seriesNumber, role: s.role, kind: s.kind, description: s.seriesDescription, instances: s.instanceCount })),
      dicomFiles: written.dicomFiles,
      truth: written.truthPath,
      seconds: (Date.now() - t0) / 1000,
    }) + '\n',
  );
}

function parseShard(s: string | undefined): { shardIndex: number; shardCount: number } | undefined {
  if (!s) return undefined;
  const m = /^(\d+)\/(\d+)$/.exec(s);
  if (!m || Number(m[2]) < 1 || Number(m[1]) >= Number(m[2])) throw new SynthUsageError(`--shard must be K/N with 0 <= K < N (got '${s}')`);
  return { shardIndex: Number(m[1]), shardCount: Number(m[2]) };
}

/** Runs shards in child processes of this same CLI (each loads the anatomy once), then writes the index. */
function runShardProcesses(jobs: number): Promise<void> {
  // The compiled CLI entry next to this file (dist/cli/main.js), which runs main() when executed directly.
  const compiled = join(__dirname, '..', 'main.js');
  const script = existsSync(compiled) ? compiled : process.argv[1];
  if (!script) return Promise.reject(new SynthUsageError('--jobs needs the compiled CLI (npm run build)'));
  const args = process.argv.slice(2).filter((a, i, all) => a !== '--jobs' && all[i - 1] !== '--jobs' && !a.startsWith('--jobs='));
  const runs = Array.from({ length: jobs }, (_, k) =>
    new Promise<void>((resolve, reject) => {
      const child = spawn(process.execPath, [...process.execArgv, script, ...args, '--shard', `${k}/${jobs}`, '--no-index'], { stdio: ['ignore', 'inherit', 'inherit'] });
      child.on('error', reject);
      child.on('close', (code) => (code === 0 ? resolve() : reject(new TrainingExportError(`shard ${k}/${jobs} exited with code ${code}`))));
    }),
  );
  return Promise.all(runs).then(() => undefined);
}

/**
 * A --grid file that is a model manifest in template space (or asking for a skull strip) gets the node's own
 * atlas registration and brain extraction per case (src/registration/model-space.ts): a BraTS-convention model
 * trains on exactly the input the node will give it.
 */
function spaceFromManifest(path: string): Pick<TrainingSetOptions, 'space'> {
  const json = JSON.parse(readFileSync(path, 'utf8')) as { preprocessing?: { space?: { kind?: string; requires?: string[] } } };
  const space = json.preprocessing?.space;
  const skullStrip = !!space?.requires?.includes('skull-strip');
  if (space?.kind !== 'template' && !skullStrip) return {};
  const manifest = parseManifest(json, path);
  return {
    space: {
      kind: manifest.preprocessing.space.kind === 'template' ? 'template' : 'grid',
      skullStrip,
      prepare: async (reference) => {
        const p = await prepareSpace(manifest, reference);
        return { choice: p.choice, ...(p.brainMask ? { brainMask: p.brainMask } : {}), notes: p.notes };
      },
    },
  };
}

async function runTrainingSet(o: SynthCliOptions & { index: boolean }): Promise<void> {
  if (!o.out) throw new SynthUsageError('--out DIR is required');
  const count = positiveInt(o.trainingSet!, '--training-set');
  const dropProb = Number(o.dropProb);
  if (!(dropProb >= 0 && dropProb < 1)) throw new SynthUsageError(`--drop-prob must be in [0, 1) (got '${o.dropProb}')`);
  const opts: TrainingSetOptions = {
    outDir: o.out,
    count,
    seed: o.seed,
    vendors: parseVendors(o.vendors ?? 'siemens,ge,philips'),
    tumourMix: o.tumorMix ? parseTumourMix(o.tumorMix) : DEFAULT_TUMOUR_MIX,
    dropProb,
    size: oneOf<StudySize>(o.size === 'full' ? 'full' : o.size, ['full', 'small'], '--size'),
    spec: o.grid ? readPreprocessSpec(o.grid) : DEFAULT_PREPROCESS,
    roundTrip: o.roundTrip,
    variety: oneOf<VarietyLevel>(o.variety, VARIETY_LEVELS, '--variety'),
    ...(o.grid ? spaceFromManifest(o.grid) : {}),
    ...parseShard(o.shard),
    onCase: (s) => process.stderr.write(
      `${s.id} ${s.tumor} ${s.vendor} availability=${s.availability.join('')} ${s.seconds.toFixed(2)} s (cpu ${s.cpuSeconds.toFixed(2)} s)` +
      `${s.registrationSeconds !== undefined ? ` registration ${s.registrationSeconds.toFixed(2)} s` : ''}\n`,
    ),
  };
  mkdirSync(opts.outDir, { recursive: true });
  const jobs = positiveInt(o.jobs, '--jobs');
  const t0 = Date.now();
  if (jobs > 1 && !o.shard) await runShardProcesses(jobs);
  else await exportTrainingCases(opts);
  if (!o.index) return;
  const idx = writeTrainingIndex(opts);
  if (idx.missing.length) throw new TrainingExportError(`cases missing after export: ${idx.missing.slice(0, 5).join(', ')}${idx.missing.length > 5 ? ', ...' : ''}`);
  const seconds = (Date.now() - t0) / 1000;
  process.stdout.write(JSON.stringify({ out: opts.outDir, cases: idx.cases, seconds, secondsPerCase: seconds / count, index: `${opts.outDir}/index.json` }) + '\n');
}

/**
 * `neuro-onc-node synth`: one synthetic DICOM study with ground truth, or (--training-set N) a model-space training
 * set that went through the node's own preprocessing. See docs/synthetic-data.md.
 */
export function registerSynthCommand(program: Command): void {
  program
    .command('synth')
    .description('synthesise a brain-tumour MRI study (DICOM + ground truth) from real anatomy, or a training set (research use only)')
    .option('--out <dir>', 'output folder')
    .option('--tumor <kind>', 'gbm | astro | oligo | mets | none', 'gbm')
    .option('--seed <n>', 'seed (same seed and options = identical output)', '1')
    .option('--vendor <name>', 'siemens | ge | philips', 'siemens')
    .option('--drop <roles>', 'omit these role series, e.g. t1ce,flair')
    .option('--size <size>', 'full (1 mm anatomy, clinical matrices) | small (2 mm, fast)', 'full')
    .option('--distractors <mode>', 'all | random | none (localizer, DWI/ADC, SWI, DSC, MPR, screen save)', 'random')
    .option('--transfer-syntax <ts>', 'explicit | implicit | jpeg-lossless | random', 'random')
    .option('--multiframe <mode>', 'Enhanced MR for 3-D series: auto (as the scanner model does) | never | always', 'auto')
    .option('--no-jitter', 'use the reference contrast table (no per-case contrast jitter)')
    .option('--no-mass-effect', 'do not displace brain tissue around the tumour')
    .option('--anatomy-variation <mm>', 'warp the template anatomy smoothly by up to MM mm and scale the head +/-8 % (0 = the atlas itself)', '0')
    .option('--motion <deg,mm>', 'move the head rigidly between series by DEG degrees and MM mm (the T1ce keeps the ground-truth pose; true transforms in truth.json)')
    .option('--training-set <n>', 'export N cases on the model grid instead of one study')
    .option('--vendors <list>', 'training set: vendors to draw from', 'siemens,ge,philips')
    .option('--tumor-mix <mix>', 'training set: e.g. gbm=0.3,astro=0.25,oligo=0.2,mets=0.15,none=0.1')
    .option('--drop-prob <p>', 'training set: probability that each role series is missing', '0.15')
    .option('--grid <file>', 'training set: JSON with { grid, normalisation, referenceRoles } or a model manifest')
    .option('--no-round-trip', 'training set: skip the DICOM write/read (volumes passed directly to toModelGrid)')
    .option('--jobs <n>', 'training set: parallel processes', '1')
    .option('--shard <k/n>', 'training set: only cases with index % n == k')
    .option('--no-index', 'training set: do not write index.json (used by --jobs shards)')
    .option('--variety <level>', 'training set: narrow (the generator as is) | wide (drawn anatomy, contrast, slices, blur, motion, tumour site/shape/size) | unseen (held-out settings wide never draws)', 'narrow')
    .action(async (o: SynthCliOptions & { index: boolean }) => {
      try {
        if (o.trainingSet !== undefined) await runTrainingSet(o);
        else await runStudy(o);
      } catch (e) {
        if (e instanceof SynthUsageError || e instanceof TrainingExportError || e instanceof TemplateError) {
          process.stderr.write(`neuro-onc-node synth: ${e.message}\n`);
          process.exitCode = 2;
          return;
        }
        throw e;
      }
    });
}
