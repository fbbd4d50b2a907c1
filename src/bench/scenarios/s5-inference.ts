/**
 * S5: inference core. One 1x4x64^3 forward of the benchmark U-Net package
 * (test/fixtures/models/bench-unet: 2-level 3D U-Net, glioma-mtl outputs, random weights) on onnxruntime-node CPU,
 * and the same model on onnxruntime-web (wasm) in the same process: first run and steady state. Then the
 * end-to-end engine run per study (96x112x96 grid at 2 mm, 12 sliding windows, no TTA: windows, blending,
 * post-processing, heads, diagnosis, radiomics) on both runtimes.
 * Threads pinned on both sides: intraOpNumThreads 2 / wasm numThreads 2 (perf.md: thread settings dominate).
 * Targets: forward node <= 0.4x wasm (perf.md measured 0.34-0.37x); first/steady <= 2.5. The per-study ratio is
 * reported without a target (the engine's own work is the same on both runtimes).
 */
import { auxiliaryFeeds } from '../../ai/feeds';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import * as ortNode from 'onnxruntime-node';
import { analyseStudy } from '../../ai/engine';
import type { GridInput } from '../../ai/inference';
import { regionRadiomics } from '../../ai/radiomics';
import { loadPackage, type LoadedModel } from '../../ai/registry';
import { vasariFeatures } from '../../ai/vasari';
import type { SeriesVolume, Vec3 } from '../../imaging/volume';
import { summarise, type BenchMeasurement, type BenchRatio, type BenchScenario } from '../types';

export const BENCH_MODEL_DIR = join(__dirname, '../../../test/fixtures/models/bench-unet');
const THREADS = 2;

/** A deterministic phantom case on the model grid: noise plus a bright sphere. */
export function benchGrid(dims: Vec3): GridInput {
  const n = dims[0] * dims[1] * dims[2];
  let seed = 12345;
  const rand = (): number => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1;
  const channels: GridInput['channels'] = {};
  for (const role of ['t1', 't1ce', 't2', 'flair'] as const) {
    const a = new Float32Array(n);
    for (let k = 0, v = 0; k < dims[2]; k++)
      for (let j = 0; j < dims[1]; j++)
        for (let i = 0; i < dims[0]; i++, v++) {
          const r = Math.hypot(i - dims[0] * 0.6, j - dims[1] * 0.5, k - dims[2] * 0.5);
          a[v] = 0.3 * rand() + (r < 12 ? 2 : 0);
        }
    channels[role] = a;
  }
  return { dims, spacing: [2, 2, 2], affine: new Float64Array([2, 0, 0, -96, 0, 2, 0, -112, 0, 0, 2, -96, 0, 0, 0, 1]), channels };
}

export function referenceOn(g: GridInput): SeriesVolume {
  return {
    dims: g.dims,
    spacing: g.spacing,
    affine: g.affine,
    data: new Int16Array(1),
    seriesInstanceUid: '2.25.1',
    sources: [],
    imageOrientationPatient: [1, 0, 0, 0, 1, 0],
  };
}

/** The bench package with its session replaced by an onnxruntime-web (wasm) session. */
export async function wasmModel(node: LoadedModel): Promise<LoadedModel> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const ortWeb = require('onnxruntime-web') as typeof ortNode;
  (ortWeb.env as unknown as { wasm: { numThreads: number } }).wasm.numThreads = THREADS;
  const session = await ortWeb.InferenceSession.create(join(node.dir, 'model.onnx'), { executionProviders: ['wasm'] } as ortNode.InferenceSession.SessionOptions);
  return { ...node, session, executionProvider: 'cpu', Tensor: ortWeb.Tensor };
}

async function timeForward(model: LoadedModel, repeat: number): Promise<{ first: number; steady: number[] }> {
  const T = model.Tensor ?? ortNode.Tensor;
  const x = new Float32Array(4 * 64 ** 3);
  for (let i = 0; i < x.length; i++) x[i] = Math.sin(i * 0.37);
  // Mask and any clinical inputs as the engine feeds them (src/ai/feeds.ts).
  const feeds = { [model.manifest.inputs.image.name]: new T('float32', x, [1, 4, 64, 64, 64]), ...auxiliaryFeeds(model.manifest, T, { mask: Float32Array.from([1, 1, 1, 1]) }) };
  let t = performance.now();
  await model.session.run(feeds);
  const first = performance.now() - t;
  const steady: number[] = [];
  for (let r = 0; r < repeat; r++) {
    t = performance.now();
    await model.session.run(feeds);
    steady.push(performance.now() - t);
  }
  return { first, steady };
}

export const scenario: BenchScenario = {
  name: 'S5-inference',
  description: 'bench U-Net 1x4x64^3 forward and per-study engine run (96x112x96, 12 windows): onnxruntime-node vs onnxruntime-web wasm',
  async run(ctx) {
    const measurements: BenchMeasurement[] = [];
    const ratios: BenchRatio[] = [];
    const notes: string[] = [];
    const node = await loadPackage(BENCH_MODEL_DIR, { executionProviders: ['cpu'], intraOpNumThreads: THREADS, interOpNumThreads: 1 });
    const web = await wasmModel(node);
    try {
      const fn = await timeForward(node, ctx.repeat);
      const fw = await timeForward(web, ctx.repeat);
      const mn = summarise('forward 1x4x64^3 steady', 'node', 'ms', fn.steady);
      const mw = summarise('forward 1x4x64^3 steady', 'onnxruntime-web', 'ms', fw.steady);
      measurements.push(summarise('forward 1x4x64^3 first run', 'node', 'ms', [fn.first]), mn, summarise('forward 1x4x64^3 first run', 'onnxruntime-web', 'ms', [fw.first]), mw);
      ratios.push({ label: 'forward node / wasm (steady median)', value: mn.median / mw.median, target: '<= 0.4', pass: mn.median / mw.median <= 0.4 });
      ratios.push({ label: 'forward node first / steady', value: fn.first / mn.median, target: '<= 2.5', pass: fn.first / mn.median <= 2.5 });

      const grid = benchGrid([96, 112, 96]);
      const study = { studyInstanceUid: '2.25.2', grid, inputs: [], referenceSeries: referenceOn(grid) };
      // Inference + post-processing + diagnosis; radiomics are timed below on a realistic label map (the random
      // weights label the whole grid, which would time radiomics on a 1 M-voxel "tumour").
      const opts = { tta: false, minComponentMl: 0.1, modalityImportance: false, radiomics: false };
      const e2eRepeat = Math.max(1, Math.min(ctx.repeat, 2));
      const e2e = async (model: LoadedModel): Promise<number[]> => {
        const out: number[] = [];
        for (let r = 0; r < e2eRepeat; r++) {
          const t = performance.now();
          const f = await analyseStudy(model, study, opts);
          out.push(performance.now() - t);
          if (r === 0) ctx.log(`${model === node ? 'node' : 'wasm'}: forward ${Math.round(f.timings.forward!)} ms of ${Math.round(f.timings.total!)} ms`);
        }
        return out;
      };
      const en = summarise('engine per study (12 windows, no TTA)', 'node', 'ms', await e2e(node));
      const ew = summarise('engine per study (12 windows, no TTA)', 'onnxruntime-web', 'ms', await e2e(web));
      measurements.push(en, ew);
      // No perf.md target: the engine's own work (windows, post-processing) is the same on both runtimes.
      ratios.push({ label: 'engine per study node / wasm', value: en.median / ew.median });
      // Radiomics (IBSI shape + first order x 4 sequences + VASARI) on a 40 mL phantom tumour at 2 mm.
      const labels = new Uint8Array(96 * 112 * 96);
      for (let k = 0, v = 0; k < 96; k++)
        for (let j = 0; j < 112; j++)
          for (let i = 0; i < 96; i++, v++) {
            const r = Math.hypot(i - 58, j - 56, k - 48);
            labels[v] = r < 4 ? 1 : r < 7 ? 3 : r < 10.5 ? 2 : 0;
          }
      const regions = [{ key: 'NCR' as const, labelValues: [1] }, { key: 'ED' as const, labelValues: [2] }, { key: 'ET' as const, labelValues: [3] }, { key: 'WT' as const, labelValues: [1, 2, 3] }, { key: 'TC' as const, labelValues: [1, 3] }];
      const rad: number[] = [];
      for (let r = 0; r < ctx.repeat; r++) {
        const t = performance.now();
        regionRadiomics({ dims: grid.dims, spacing: grid.spacing, labels, regions, channels: grid.channels });
        vasariFeatures({ dims: grid.dims, spacing: grid.spacing, labels, segments: { NCR: 1, ED: 2, ET: 3 }, t2: grid.channels.t2!, flair: grid.channels.flair!, midline: { i: 47.5, plusIIsLeft: true } });
        rad.push(performance.now() - t);
      }
      measurements.push(summarise('radiomics + VASARI per study (40 mL WT phantom)', 'node', 'ms', rad));
      notes.push(`threads pinned: onnxruntime-node intraOp ${THREADS} interOp 1; onnxruntime-web wasm numThreads ${THREADS}`);
      notes.push('random-weight model: timing does not depend on weights for dense convolutions (perf.md §7)');
    } finally {
      await node.session.release();
      await web.session.release().catch(() => undefined);
    }
    return { measurements, ratios, notes };
  },
};
