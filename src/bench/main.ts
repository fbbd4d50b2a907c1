/**
 * Runs every benchmark scenario (or those named with --only a,b) and prints medians and ratios against peers.
 * Results also go to var/bench/bench-<timestamp>.json.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BenchResult, BenchScenario } from './types';

function loadScenarios(): BenchScenario[] {
  const dir = join(__dirname, 'scenarios');
  const files = readdirSync(dir).filter((f) => /\.(js|ts)$/.test(f) && !f.endsWith('.d.ts')).sort((a, b) => Number(/\d+/.exec(a)?.[0]) - Number(/\d+/.exec(b)?.[0]));
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return files.map((f) => (require(join(dir, f)) as { scenario: BenchScenario }).scenario).filter(Boolean);
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const onlyIdx = args.indexOf('--only');
  const only = onlyIdx >= 0 ? (args[onlyIdx + 1] ?? '').split(',') : undefined;
  const repeatIdx = args.indexOf('--repeat');
  const repeat = repeatIdx >= 0 ? Number(args[repeatIdx + 1]) : 3;
  const scenarios = loadScenarios().filter((s) => !only || only.some((o) => s.name === o || s.name.startsWith(`${o}-`)));
  const results: Record<string, BenchResult | { error: string }> = {};
  for (const s of scenarios) {
    const workDir = mkdtempSync(join(tmpdir(), `bench-${s.name}-`));
    process.stdout.write(`\n== ${s.name}: ${s.description}\n`);
    try {
      const r = await s.run({ workDir, repeat, log: (l) => process.stdout.write(`   ${l}\n`) });
      results[s.name] = r;
      for (const m of r.measurements) {
        process.stdout.write(`   ${m.subject.padEnd(14)} ${m.label.padEnd(48)} median ${m.median.toFixed(2)} ${m.unit} (best ${m.best.toFixed(2)}, n=${m.samples.length})\n`);
      }
      for (const q of r.ratios) {
        const verdict = q.pass == null ? '' : q.pass ? '  PASS' : '  MISS';
        process.stdout.write(`   ratio ${q.label.padEnd(56)} ${q.value.toFixed(2)}${q.target ? ` (target ${q.target})` : ''}${verdict}\n`);
      }
      for (const n of r.notes ?? []) process.stdout.write(`   note: ${n}\n`);
    } catch (e) {
      results[s.name] = { error: (e as Error).message };
      process.stdout.write(`   ERROR: ${(e as Error).message}\n`);
    } finally {
      rmSync(workDir, { recursive: true, force: true });
    }
  }
  mkdirSync('var/bench', { recursive: true });
  const out = join('var/bench', `bench-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(out, JSON.stringify({ date: new Date().toISOString(), results }, null, 2));
  process.stdout.write(`\nresults written to ${out}\n`);
}

void main();
