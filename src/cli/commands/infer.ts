/**
 * `neuro-onc-node infer <folder-or-files...> [--json] [--model name...] [--no-tta] [--no-importance]`:
 * series identification -> volumes -> model grid -> every routed model (or the named ones) -> Findings.
 * --json prints one document per run: per study the classification summary and, per model, the Findings without
 * voxel arrays (summarised) or the reason it did not run. Exit 0 when at least one model produced Findings,
 * 2 when nothing ran (no DICOM, no model loaded or routed, missing sequences).
 */
import type { Command } from 'commander';
import { loadConfig } from '../../config/load';
import { createLogger } from '../../log/logger';
import { ModelRegistry } from '../../ai/registry';
import { DeviceQueue } from '../../ai/runtime';
import { groupFiles, inferStudy, type StudyOutcome } from '../../pipeline/infer-study';
import { summariseFindings } from '../../ai/summary';

interface InferCliOptions {
  json?: boolean;
  model?: string[];
  tta?: boolean;
  importance?: boolean;
  modelsDir?: string;
}

function warn(msg: string): void {
  process.stderr.write(`neuro-onc-node infer: ${msg}\n`);
}

function studyJson(o: StudyOutcome): object {
  return {
    studyInstanceUid: o.studyInstanceUid,
    selected: o.classification.selected,
    missingRoles: o.classification.missing,
    routed: o.routed,
    skipped: o.skipped,
    warnings: o.warnings,
    models: o.outcomes.map((x) => (x.findings ? { model: x.model, findings: summariseFindings(x.findings) } : { model: x.model, error: x.error })),
  };
}

function text(o: StudyOutcome): string {
  const lines = [`study ${o.studyInstanceUid}`, `  series: ${Object.entries(o.classification.selected).map(([r, u]) => `${r}=${u}`).join(' ') || 'none selected'}`];
  for (const s of o.skipped) lines.push(`  skipped ${s}`);
  for (const x of o.outcomes) {
    if (!x.findings) {
      lines.push(`  ${x.model}: did not run (${x.error?.reason}): ${x.error?.message}`);
      continue;
    }
    const f = x.findings;
    lines.push(`  ${x.model} ${f.model.version} on ${f.model.executionProvider} (${Math.round(f.timings.total ?? 0)} ms)`);
    for (const r of f.regions) lines.push(`    ${r.key.padEnd(4)} ${r.volumeMl.toFixed(2).padStart(8)} mL`);
    for (const h of f.heads) lines.push(`    ${h.title}: ${h.predicted} (${(100 * h.confidence).toFixed(1)}%)`);
    if (f.diagnosis) lines.push(`    diagnosis: ${f.diagnosis.integrated.label} (${(100 * f.diagnosis.integrated.probability).toFixed(1)}%)`);
    lines.push(`    uncertainty: ${f.uncertaintySummary.level}; missing: ${f.missingModalities.join(', ') || 'none'}`);
    for (const w of f.warnings) lines.push(`    warning: ${w}`);
  }
  return lines.join('\n');
}

export async function runInfer(paths: string[], opts: InferCliOptions, configFile: string | undefined): Promise<number> {
  const cfg = loadConfig({ file: configFile });
  const log = createLogger('infer');
  const { studies, skipped } = await groupFiles(paths);
  for (const s of skipped) warn(`skipping ${s}`);
  if (!studies.length) {
    warn(`no DICOM files found in ${paths.join(' ')}`);
    if (opts.json) process.stdout.write(`${JSON.stringify({ studies: [] })}\n`);
    return 2;
  }
  const registry = await ModelRegistry.load(opts.modelsDir ?? cfg.models.dir, {
    executionProviders: cfg.models.executionProviders,
    webgpu: cfg.models.webgpu,
    intraOpNumThreads: cfg.models.intraOpNumThreads,
    interOpNumThreads: cfg.models.interOpNumThreads,
    // A one-shot CLI run pays the first-run cost either way; a warm-up forward would only add one.
    warmUp: false,
  }, log);
  for (const r of registry.reports.filter((x) => !x.ok)) warn(`model package ${r.dir} skipped (${r.reason}): ${r.message}`);
  const queue = new DeviceQueue(cfg.models.concurrencyPerDevice);
  const results: StudyOutcome[] = [];
  try {
    for (const s of studies) {
      results.push(
        await inferStudy(s, registry, cfg, {
          ...(opts.model?.length ? { models: opts.model } : {}),
          ...(opts.tta === false ? { tta: false } : {}),
          ...(opts.importance === false ? { modalityImportance: false } : {}),
          queue,
          log,
        }),
      );
    }
  } finally {
    await registry.close();
  }
  if (opts.json) {
    process.stdout.write(`${JSON.stringify({ studies: results.map(studyJson), modelPackages: registry.reports }, null, 2)}\n`);
  } else {
    process.stdout.write(`${results.map(text).join('\n')}\n`);
  }
  const ran = results.some((r) => r.outcomes.some((o) => o.findings));
  if (!ran) warn('no model produced findings');
  return ran ? 0 : 2;
}

export function registerInferCommand(program: Command): void {
  program
    .command('infer')
    .description('identify series, build volumes and run the routed models on a DICOM folder; print findings (research use only)')
    .argument('<paths...>', 'DICOM folder(s) or files')
    .option('--json', 'print findings as JSON (voxel arrays summarised)')
    .option('--model <names...>', 'run these models instead of the routing rules')
    .option('--models-dir <dir>', 'model packages folder (default: models.dir)')
    .option('--no-tta', 'disable flip test-time augmentation')
    .option('--no-importance', 'skip leave-one-modality-out re-inference')
    .action(async (paths: string[], opts: InferCliOptions) => {
      const code = await runInfer(paths, opts, program.opts<{ config?: string }>().config);
      if (code !== 0) process.exitCode = code;
    });
}
