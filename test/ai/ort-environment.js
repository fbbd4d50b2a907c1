/**
 * Jest environment for tests that run onnxruntime-node.
 *
 * Jest evaluates each test file in its own vm context with its own typed-array constructors, while
 * onnxruntime-node's native binding creates output buffers with the host realm's Float32Array; onnxruntime-common
 * then rejects them ("A float32 tensor's data must be type of function Float32Array()"). Sharing the host realm's
 * typed-array constructors with the test context makes both sides agree. Use with the docblock
 *   /** @jest-environment ./test/ai/ort-environment.js *\/
 * (or set it as testEnvironment for every suite that reaches the AI engine).
 */
const { TestEnvironment } = require('jest-environment-node');

const SHARED = [
  'Float32Array', 'Float64Array', 'Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array',
  'Int32Array', 'Uint32Array', 'BigInt64Array', 'BigUint64Array', 'ArrayBuffer',
];

class OrtEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    for (const name of SHARED) this.global[name] = globalThis[name];
  }
}

module.exports = OrtEnvironment;
