import type { Command } from 'commander';
import { runDemo } from '../../demo/demo';
import type { TumourKind } from '../../synth/classes';

/** `neuro-onc-node demo`: synthetic study -> node -> SEG/SR, with progress and a summary (see src/demo/demo.ts). */
export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('run the node end to end on a synthetic study (embedded defaults; the node is its own destination)')
    .option('--data-dir <dir>', 'where the node keeps its store, jobs and results', 'var/demo')
    .option('--tumor <kind>', 'gbm | astro | oligo | mets | none', 'gbm')
    .option('--seed <seed>', 'synthetic study seed', 'demo-1')
    .option('--size <size>', 'small (2 mm, fast) | full (1 mm, clinical matrices)', 'small')
    .option('--models-dir <dir>', 'model packages folder', 'models')
    .action(async (o: { dataDir: string; tumor: TumourKind; seed: string; size: 'small' | 'full'; modelsDir: string }) => {
      const { job } = await runDemo({ ...o, out: (l) => process.stdout.write(`${l}\n`) });
      if (job.state !== 'done') process.exitCode = 1;
    });
}
