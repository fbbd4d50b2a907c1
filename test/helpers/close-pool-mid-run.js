/**
 * Child-process half of test/workers/shutdown-mid-run.test.ts (a crash here must not take jest down with it).
 * argv: <dist> <modelDir> <rounds>. Prepares one synthetic study, then, `rounds` times: starts the infer task on a
 * one-worker pool, waits until the worker is inside an onnxruntime run (past the first few windows), closes the pool.
 * Prints one JSON line per round; exits 0 when every close returned.
 */
const { mkdtempSync, mkdirSync, symlinkSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

const [dist, modelDir, rounds] = process.argv.slice(2);
const need = (m) => require(join(dist, m));
const { WorkerPool } = need('workers/pool.js');
const { parseConfig } = need('config/load.js');
const { createLogger } = need('log/logger.js');
const { ModelRegistry } = need('ai/registry.js');
const { synthesiseStudy } = need('synth/study.js');
const { writeStudy } = need('synth/write-study.js');
const { groupFiles } = need('pipeline/infer-study.js');
const { identify } = need('pipeline/prepare.js');

const tick = () => new Promise((r) => setImmediate(r));

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'pool-stop-'));
  mkdirSync(join(dir, 'models'));
  symlinkSync(modelDir, join(dir, 'models', 'bench-unet'));
  const config = parseConfig({
    models: { dir: join(dir, 'models'), executionProviders: ['cpu'], intraOpNumThreads: 1, routing: [{ model: 'bench-unet', whenRoles: ['flair'] }], warmUp: false, testTimeAugmentation: false, modalityImportance: false },
  });
  const registry = await ModelRegistry.load(config.models.dir, { executionProviders: ['cpu'], intraOpNumThreads: 1 });
  const study = await synthesiseStudy({ tumor: 'gbm', seed: 'pool-stop', vendor: 'siemens', size: 'small', distractors: 'none' });
  writeStudy(study, join(dir, 'in'));
  const s = (await groupFiles([join(dir, 'in')])).studies[0];
  const id = await identify(s, registry, config);
  const log = createLogger('pool-stop');
  const workDir = join(dir, 'work');
  for (let round = 0; round < Number(rounds); round++) {
    const pool = new WorkerPool(1, { config }, log);
    const prep = await pool.run('prepare', { files: s, classification: id.classification, models: id.routed, workDir }, log);
    const infer = pool.run('infer', { model: 'bench-unet', studyInstanceUid: s.studyInstanceUid, workDir, artifact: prep.models[0].artifact }, log);
    let outcome = 'finished';
    infer.then(() => undefined, (e) => (outcome = e.message));
    // Let `round + 1` runs go by, then stop in the middle of the next one.
    const t0 = Date.now();
    let runs = 0;
    while (runs <= round) {
      if (Date.now() - t0 > 120000) throw new Error('no model run was seen within 120 s');
      if (pool.nativeCallsRunning() > 0) {
        runs++;
        if (runs <= round) while (pool.nativeCallsRunning() > 0) await tick();
      }
      await tick();
    }
    const inside = pool.nativeCallsRunning();
    const started = Date.now();
    await pool.close();
    const closeMs = Date.now() - started;
    // A run left behind in a terminated worker aborts the process when it returns: give it time to (one run of
    // the bench model takes well under a second here), so a crash shows in this round, not by luck after exit.
    await new Promise((r) => setTimeout(r, 3000));
    process.stdout.write(JSON.stringify({ round, insideAtClose: inside, closeMs, task: outcome }) + '\n');
  }
  await registry.close();
}

main().then(
  () => process.exit(0),
  (e) => {
    process.stderr.write(`${e.stack ?? e}\n`);
    process.exit(2);
  },
);
