#!/usr/bin/env node
/**
 * Native-space model vs BraTS-convention model on the same held-out synthetic studies, both run through the node
 * itself (inferStudy: DICOM decoding, inter-series registration, each model's own preprocessing, inverse mapping),
 * scored on the native display series against the generator's ground truth.
 *
 *   node training/compare_spaces.js [--dist dist] [--studies 12] [--out FILE] [--models models]
 *
 * Needs the compiled node (npm run build, or training/runs/dist from train_all.sh). Prints one line per study and
 * writes { studies, rows, summary: { native, brats }, seconds } (read by nonc/brats_package.py for the model card).
 */
'use strict';
const { mkdtempSync, rmSync, writeFileSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join, resolve } = require('node:path');

function arg(name, dflt) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
}

async function main() {
  const dist = resolve(arg('dist', 'dist'));
  const n = Number(arg('studies', '12'));
  const out = arg('out', '');
  const modelsDir = resolve(arg('models', 'models'));
  const { parseConfig } = require(join(dist, 'config/load'));
  const { ModelRegistry } = require(join(dist, 'ai/registry'));
  const { groupFiles, inferStudy } = require(join(dist, 'pipeline/infer-study'));
  const { dice } = require(join(dist, 'ai/postprocess'));
  const { resampleNearest } = require(join(dist, 'imaging/resample'));
  const { seriesTargetGrid } = require(join(dist, 'imaging/inverse-map'));
  const { labelVolume } = require(join(dist, 'synth/ground-truth'));
  const { synthesiseStudy } = require(join(dist, 'synth/study'));
  const { writeStudy } = require(join(dist, 'synth/write-study'));

  const cfg = parseConfig({ models: { dir: modelsDir, intraOpNumThreads: 2, modalityImportance: false, testTimeAugmentation: false } });
  const registry = await ModelRegistry.load(modelsDir, { executionProviders: ['cpu'], intraOpNumThreads: 2 });
  const native = registry.get('glioma-mtl');
  const brats = registry.get('glioma-brats-convention');
  if (!native || !brats) throw new Error(`both packages must load: ${JSON.stringify(registry.reports)}`);
  const kinds = ['gbm', 'astro', 'oligo'];
  const rows = [];
  const seconds = { native: 0, brats: 0 };
  for (let i = 0; i < n; i++) {
    const tumor = kinds[i % kinds.length];
    const seed = `brats-compare-${i}`;
    const work = mkdtempSync(join(tmpdir(), 'compare-'));
    try {
      const s = await synthesiseStudy({ tumor, seed, vendor: 'philips', size: 'small', distractors: 'none', transferSyntax: 'explicit', multiframe: 'never', anatomyVariation: 4, ...(i % 2 ? { motion: { rotationDeg: 3, translationMm: 3 } } : {}) });
      writeStudy(s, work);
      const { studies } = await groupFiles([join(work, 'dicom')]);
      // ET is scored only where the ground truth has enhancing tumour (empty vs empty would count as Dice 1).
      const row = { seed, tumor, motion: i % 2 === 1, truthEtVoxels: labelVolume(s).data.reduce((a, l) => a + (l === 3 ? 1 : 0), 0) };
      for (const [key, model] of [['native', 'glioma-mtl'], ['brats', 'glioma-brats-convention']]) {
        const t0 = Date.now();
        const o = (await inferStudy(studies[0], registry, cfg, { models: [model], tta: false, modalityImportance: false })).outcomes[0];
        seconds[key] += (Date.now() - t0) / 1000;
        const f = o.findings;
        if (!f || !f.segmentation) throw new Error(`${model} on ${seed}: ${o.error ? o.error.message : 'no segmentation'}`);
        const truth = resampleNearest(labelVolume(s), seriesTargetGrid(f.referenceSeries), { fill: 0 });
        const pred = f.segmentation.labelmap.data;
        row[key] = { wt: dice(pred, [1, 2, 3], truth, [1, 2, 3]), tc: dice(pred, [1, 3], truth, [1, 3]), et: dice(pred, [3], truth, [3]) };
      }
      rows.push(row);
      console.log(`${seed} ${tumor}${row.motion ? ' motion' : ''}: WT ${row.native.wt.toFixed(3)} / ${row.brats.wt.toFixed(3)}  TC ${row.native.tc.toFixed(3)} / ${row.brats.tc.toFixed(3)}  ET ${row.native.et.toFixed(3)} / ${row.brats.et.toFixed(3)}`);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }
  await registry.close();
  const mean = (key, r) => {
    const v = rows.filter((x) => r !== 'et' || x.truthEtVoxels > 0).map((x) => x[key][r]).filter((x) => Number.isFinite(x));
    return v.length ? v.reduce((a, b) => a + b, 0) / v.length : null;
  };
  const summary = {};
  for (const key of ['native', 'brats']) summary[key] = { wt: mean(key, 'wt'), tc: mean(key, 'tc'), et: mean(key, 'et') };
  const result = {
    studies: rows.length, etStudies: rows.filter((x) => x.truthEtVoxels > 0).length, nativeVersion: native.manifest.version, bratsVersion: brats.manifest.version, rows, summary,
    seconds: { native: seconds.native / rows.length, brats: seconds.brats / rows.length },
    settings: 'philips, small, anatomyVariation 4 mm, every second study with 3 deg / 3 mm motion, TTA off, CPU',
  };
  console.log(JSON.stringify(result.summary));
  if (out) writeFileSync(out, JSON.stringify(result, null, 1) + '\n');
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
