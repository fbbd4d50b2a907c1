/**
 * Child-process half of test/workers/shutdown-mid-run.test.ts (a crash here must not take jest down with it).
 * argv: <dist> <modelDir> <rounds>. Prepares one synthetic study, then, `rounds` times: starts the infer task on a
 * one-worker pool, waits until the worker is inside an onnxruntime run (past the first few windows), closes the pool.
 * Then once more without closing: stopNativeCalls() and process.exit(0), the path of a second stop signal (Node
 * stops the workers on exit, inside a run too). Prints one JSON line per round; exits 0 when nothing aborted.
 */
const { mkdtempSync, mkdirSync, symlinkSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

const [dist, modelDir, rounds] = process.argv.slice(2);
const need = (m) => require(join(dist, m));
const { WorkerPool } = need('workers/pool.js');
const { stopNativeCalls } = need('ai/native-gate.js');
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
  let prep;
  /** A pool whose worker is inside the (skip + 1)-th model run of the infer task (the study is prepared once). */
  async function insideARun(skip) {
    const pool = new WorkerPool(1, { config }, log);
    prep ??= await pool.run('prepare', { files: s, classification: id.classification, models: id.routed, workDir }, log);
    const infer = pool.run('infer', { model: 'bench-unet', studyInstanceUid: s.studyInstanceUid, workDir, artifact: prep.models[0].artifact }, log);
    const task = { outcome: 'finished' };
    infer.then(() => undefined, (e) => (task.outcome = e.message));
    const t0 = Date.now();
    let runs = 0;
    while (runs <= skip) {
      if (Date.now() - t0 > 120000) throw new Error('no model run was seen within 120 s');
      if (pool.nativeCallsRunning() > 0) {
        runs++;
        if (runs <= skip) while (pool.nativeCallsRunning() > 0) await tick();
      }
      await tick();
    }
    return { pool, task };
  }
  for (let round = 0; round < Number(rounds); round++) {
    const { pool, task } = await insideARun(round);
    const inside = pool.nativeCallsRunning();
    const started = Date.now();
    await pool.close();
    const closeMs = Date.now() - started;
    // A run left behind in a terminated worker aborts the process when it returns: give it time to (one run of
    // the bench model takes well under a second here), so a crash shows in this round, not by luck after exit.
    await new Promise((r) => setTimeout(r, 3000));
    process.stdout.write(JSON.stringify({ round, insideAtClose: inside, closeMs, task: task.outcome }) + '\n');
  }
  await registry.close();
  const { pool } = await insideARun(1);
  const inside = pool.nativeCallsRunning();
  const returned = await stopNativeCalls(30000);
  process.stdout.write(JSON.stringify({ round: 'exit', insideAtExit: inside, returned }) + '\n');
}

main().then(
  () => process.exit(0),
  (e) => {
    process.stderr.write(`${e.stack ?? e}\n`);
    process.exit(2);
  },
);
