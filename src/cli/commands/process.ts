/**
 * `neuro-onc-node process <dicom-folder...> --out <folder>`: the whole pipeline offline on files. Writes, per study
 * and model, seg.dcm, sr.dcm, key images (sc-*.dcm), report.pdf.dcm, report.txt and findings.json.
 * Exit 0 when every routed model produced valid outputs, 2 when nothing could run, 1 on a partial result.
 */
import type { Command } from 'commander';
import { loadConfig } from '../../config/load';
import { ModelRegistry } from '../../ai/registry';
import { createLogger } from '../../log/logger';
import { processFolder } from '../../pipeline/offline';

interface ProcessCliOptions {
  out: string;
  model?: string[];
  modelsDir?: string;
  keyImages?: boolean;
  pdf?: boolean;
}

export function registerProcessCommand(program: Command): void {
  program
    .command('process')
    .description('run the whole pipeline offline on DICOM files and write SEG/SR/key images/PDF (research use only)')
    .argument('<paths...>', 'DICOM folder(s) or files')
    .requiredOption('--out <dir>', 'output folder')
    .option('--model <names...>', 'run these models instead of the routing rules')
    .option('--models-dir <dir>', 'model packages folder (default: models.dir)')
    .option('--no-key-images', 'do not write Secondary Capture key images')
    .option('--no-pdf', 'do not write the Encapsulated PDF report')
    .action(async (paths: string[], o: ProcessCliOptions) => {
      const cfg = loadConfig({ file: program.opts<{ config?: string }>().config });
      const log = createLogger('process');
      const registry = await ModelRegistry.load(o.modelsDir ?? cfg.models.dir, {
        executionProviders: cfg.models.executionProviders,
        webgpu: cfg.models.webgpu,
        intraOpNumThreads: cfg.models.intraOpNumThreads,
        interOpNumThreads: cfg.models.interOpNumThreads,
      }, log);
      try {
        const { studies, skipped } = await processFolder(paths, o.out, registry, cfg, {
          ...(o.model?.length ? { models: o.model } : {}),
          keyImages: o.keyImages !== false,
          pdf: o.pdf !== false,
          log,
        });
        for (const s of skipped) process.stderr.write(`neuro-onc-node process: skipped ${s}\n`);
        if (!studies.length) {
          process.stderr.write(`neuro-onc-node process: no DICOM study found in ${paths.join(' ')}\n`);
          process.exitCode = 2;
          return;
        }
        let ok = 0;
        let failed = 0;
        for (const s of studies) {
          process.stdout.write(`study ${s.studyInstanceUid}\n`);
          const sel = Object.entries(s.identification.classification.selected).map(([r, u]) => `${r}=${u}`).join(' ');
          process.stdout.write(`  series: ${sel || 'no T1/T1ce/T2/FLAIR identified'}; missing: ${s.identification.classification.missing.join(', ') || 'none'}\n`);
          for (const k of s.identification.skipped) process.stdout.write(`  not routed: ${k}\n`);
          if (!s.identification.routed.length) process.stdout.write('  no model applies to this study\n');
          for (const m of s.models) {
            if (m.error) {
              failed++;
              process.stdout.write(`  ${m.model}: FAILED (${m.error.reason}): ${m.error.message}\n`);
              continue;
            }
            ok++;
            const f = m.findings!;
            const vols = f.regions.map((r) => `${r.key} ${r.volumeMl.toFixed(1)} mL`).join(', ');
            process.stdout.write(`  ${m.model}: ${vols || 'no tumour segmented'}${f.diagnosis ? `; ${f.diagnosis.integrated.label} (${(100 * f.diagnosis.integrated.probability).toFixed(0)}%)` : ''}\n`);
            process.stdout.write(`    wrote ${m.files.length} files to ${s.outDir}/${m.model}\n`);
          }
        }
        process.exitCode = ok === 0 ? 2 : failed ? 1 : 0;
      } finally {
        await registry.close();
      }
    });
}
