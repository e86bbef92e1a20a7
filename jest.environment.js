import NodeEnvironment from 'jest-environment-node';

/**
 * Jest's Node environment gives each test file its own realm but shares Node's ArrayBuffer and
 * Uint8Array (so Buffers pass `instanceof`). onnxruntime-node's native binding creates its output
 * tensors' typed arrays in Node's realm too, and onnxruntime-common checks them with `instanceof
 * Float32Array` etc., so every typed array constructor is shared the same way.
 */
const SHARED_CONSTRUCTORS = [
  'Int8Array',
  'Uint8ClampedArray',
  'Int16Array',
  'Uint16Array',
  'Int32Array',
  'Uint32Array',
  'Float32Array',
  'Float64Array',
  'BigInt64Array',
  'BigUint64Array',
  'DataView',
];

export default class TestEnvironment extends NodeEnvironment {
  constructor(config, context) {
    super(config, context);
    for (const name of SHARED_CONSTRUCTORS) this.global[name] = globalThis[name];
  }
}
