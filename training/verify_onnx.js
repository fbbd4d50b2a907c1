#!/usr/bin/env node
/**
 * Runs an exported model through onnxruntime-node (the node's runtime; Python onnxruntime is not installable here)
 * and compares every output with the PyTorch reference written by nonc/export.py.
 *
 *   node training/verify_onnx.js <model.onnx> <case-folder>
 *
 * <case-folder>/cases.json lists cases: {inputs: {name: {file, shape}}, outputs: {name: {file, shape}}}; files are
 * raw little-endian float32. Prints one JSON line {maxAbsDiff: {output: value}, ...} and exits 1 on a shape mismatch.
 */
'use strict';
const fs = require('fs');
const path = require('path');
const ort = require('onnxruntime-node');

function readF32(file) {
  const buf = fs.readFileSync(file);
  return new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
}

async function main() {
  const [modelPath, dir] = process.argv.slice(2);
  const spec = JSON.parse(fs.readFileSync(path.join(dir, 'cases.json'), 'utf8'));
  const session = await ort.InferenceSession.create(modelPath, { intraOpNumThreads: 2, interOpNumThreads: 1 });
  const result = { inputNames: session.inputNames, outputNames: session.outputNames, cases: [] };
  let ok = true;
  for (const c of spec.cases) {
    const feeds = {};
    for (const [name, t] of Object.entries(c.inputs)) {
      feeds[name] = new ort.Tensor('float32', readF32(path.join(dir, t.file)), t.shape);
    }
    const t0 = process.hrtime.bigint();
    const out = await session.run(feeds);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    const diffs = {};
    for (const [name, t] of Object.entries(c.outputs)) {
      const got = out[name];
      if (!got || JSON.stringify(got.dims) !== JSON.stringify(t.shape)) {
        ok = false;
        diffs[name] = `shape ${got ? JSON.stringify(got.dims) : 'missing'} != ${JSON.stringify(t.shape)}`;
        continue;
      }
      const want = readF32(path.join(dir, t.file));
      let m = 0;
      for (let i = 0; i < want.length; i++) m = Math.max(m, Math.abs(want[i] - got.data[i]));
      diffs[name] = m;
    }
    result.cases.push({ name: c.name, ms, maxAbsDiff: diffs });
  }
  console.log(JSON.stringify(result));
  process.exit(ok ? 0 : 1);
}

main().catch((e) => {
  console.error(e);
  process.exit(2);
});
