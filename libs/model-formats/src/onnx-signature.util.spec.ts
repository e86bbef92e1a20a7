import { describe, expect, it } from '@jest/globals';
import { modelSignatureSchema, TENSOR_ELEMENT_TYPES, type ModelSignature } from '@modelyard/contracts';
import onnxProto, { type onnx as Onnx } from 'onnx-proto';
import { InvalidModelFileError } from './model-formats.exception.js';
import {
  MAX_DECODED_FIELD_BYTES,
  MAX_SIGNATURE_JSON_CHARS,
  MAX_SIGNATURE_TENSORS,
  MAX_TENSOR_NAME_CHARS,
  MAX_TENSOR_RANK,
  OnnxSignatureReader,
  readOnnxSignature,
} from './onnx-signature.util.js';

// Models are encoded with onnx-proto (protobufjs), an implementation independent of the reader's.
const { onnx } = onnxProto;
const T = onnx.TensorProto.DataType;

type Dim = number | string | null;

function valueInfo(name: string, elemType: number, shape: Dim[] | null): Onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType,
        ...(shape && { shape: { dim: shape.map((d) => (typeof d === 'number' ? { dimValue: d } : d === null ? {} : { dimParam: d })) } }),
      },
    },
  };
}

function weight(name: string, values: number[]): Onnx.ITensorProto {
  return { name, dims: [values.length], dataType: T.FLOAT, rawData: Buffer.from(new Float32Array(values).buffer) };
}

function encode(graph: Onnx.IGraphProto | null, model: Partial<Onnx.IModelProto> = {}): Buffer {
  const proto: Onnx.IModelProto = {
    irVersion: 8,
    producerName: 'spec',
    opsetImport: [
      { domain: 'ai.onnx.ml', version: 3 },
      { domain: '', version: 17 },
    ],
    ...(graph && { graph }),
    ...model,
  };
  return Buffer.from(onnx.ModelProto.encode(proto).finish());
}

function varint(value: number): number[] {
  const bytes: number[] = [];
  for (; value >= 0x80; value = Math.floor(value / 0x80)) bytes.push((value % 0x80) | 0x80);
  return [...bytes, value];
}

function lengthDelimited(field: number, bytes: Uint8Array | number[]): Buffer {
  return Buffer.from([...varint(field * 8 + 2), ...varint(bytes.length), ...bytes]);
}

/** Reads `bytes` in chunks of `size`, through the synchronous reader. */
function readInChunks(bytes: Buffer, size: number): ReturnType<OnnxSignatureReader['end']> {
  const reader = new OnnxSignatureReader();
  for (let i = 0; i < bytes.length; i += size) reader.write(bytes.subarray(i, i + size));
  return reader.end();
}

function endError(bytes: Buffer): InvalidModelFileError {
  const reader = new OnnxSignatureReader();
  reader.write(bytes);
  try {
    reader.end();
  } catch (error) {
    if (error instanceof InvalidModelFileError) return error;
    throw error;
  }
  throw new Error('end() did not throw');
}

const MATMUL = { opType: 'MatMul', input: ['x', 'W'], output: ['y'] };

/** What a signature must be, whatever bytes it came from: what the inference job schema accepts, and no more. */
function expectWellFormed(signature: ModelSignature): void {
  expect(Object.keys(signature).sort()).toEqual(['inputs', 'outputs']);
  for (const spec of [...signature.inputs, ...signature.outputs]) {
    expect(Object.keys(spec).sort()).toEqual(['element_type', 'name', 'shape']);
    expect(typeof spec.name === 'string' && spec.name !== '').toBe(true);
    expect(TENSOR_ELEMENT_TYPES).toContain(spec.element_type);
    expect(Array.isArray(spec.shape)).toBe(true);
    for (const dim of spec.shape) {
      expect(dim === null || (typeof dim === 'string' && dim !== '') || (Number.isSafeInteger(dim) && (dim as number) >= 0)).toBe(true);
    }
  }
  expect(modelSignatureSchema.safeParse(signature).success).toBe(true);
}

describe('OnnxSignatureReader', () => {
  const model = encode({
    name: 'g',
    node: [MATMUL],
    initializer: [weight('W', [1, 2, 3, 4])],
    input: [
      valueInfo('x', T.FLOAT, ['batch', 2, null, -1]),
      valueInfo('ids', T.INT64, [1]),
      valueInfo('mask', T.BOOL, []),
      valueInfo('text', T.STRING, ['n']),
      valueInfo('pixels', T.UINT8, [3]),
      valueInfo('half', T.FLOAT16, [2]),
    ],
    output: [valueInfo('y', T.FLOAT, ['batch', 2]), valueInfo('scores', T.DOUBLE, [])],
  });
  const expected = {
    inputs: [
      { name: 'x', element_type: 'float32', shape: ['batch', 2, null, null] },
      { name: 'ids', element_type: 'int64', shape: [1] },
      { name: 'mask', element_type: 'bool', shape: [] },
      { name: 'text', element_type: 'string', shape: ['n'] },
      { name: 'pixels', element_type: 'uint8', shape: [3] },
      { name: 'half', element_type: 'float16', shape: [2] },
    ],
    outputs: [
      { name: 'y', element_type: 'float32', shape: ['batch', 2] },
      { name: 'scores', element_type: 'float64', shape: [] },
    ],
  };

  it('reads names, element types and shapes (dim_value, dim_param, neither, and -1 as unknown)', () => {
    expect(readInChunks(model, model.length)).toEqual(expected);
  });

  it.each([1, 2, 3, 7, 64])('gives the same signature however the bytes are chunked (%i-byte chunks)', (size) => {
    expect(readInChunks(model, size)).toEqual(expected);
  });

  it('reports ir_version, the default-domain opset and the producer', () => {
    const reader = new OnnxSignatureReader();
    reader.write(model);
    reader.end();
    expect(reader.metadata).toEqual({ ir_version: 8, opset_version: 17, producer_name: 'spec' });
    expect(reader.bytesRead).toBe(model.length);
  });

  it('leaves out inputs that are initializers, stored before the inputs (as protobufjs writes them)', () => {
    const legacy = encode({
      node: [MATMUL],
      initializer: [weight('W', [1, 2])],
      input: [valueInfo('x', T.FLOAT, [1, 2]), valueInfo('W', T.FLOAT, [2, 1])],
      output: [valueInfo('y', T.FLOAT, [1, 1])],
    });
    expect(readInChunks(legacy, 5).inputs.map((i) => i.name)).toEqual(['x']);
  });

  it('leaves out inputs that are initializers stored after the inputs, and sparse initializers', () => {
    const head = onnx.GraphProto.encode({
      node: [MATMUL],
      input: [valueInfo('x', T.FLOAT, [1, 2]), valueInfo('W', T.FLOAT, [2, 1]), valueInfo('S', T.FLOAT, [4])],
      output: [valueInfo('y', T.FLOAT, [1, 1])],
    }).finish();
    const sparse = onnx.SparseTensorProto.encode({ values: weight('S', [5]), indices: { dims: [1], dataType: T.INT64, int64Data: [2] }, dims: [4] }).finish();
    const graph = Buffer.concat([head, lengthDelimited(5, onnx.TensorProto.encode(weight('W', [1, 2])).finish()), lengthDelimited(15, sparse)]);
    const bytes = Buffer.concat([encode(null), lengthDelimited(7, graph)]);

    expect(readInChunks(bytes, 3).inputs.map((i) => i.name)).toEqual(['x']);
  });

  it('does not take inputs of subgraphs (an If branch) for inputs of the model', () => {
    const branch: Onnx.IGraphProto = { name: 'then', input: [valueInfo('inner', T.FLOAT, [1])], output: [valueInfo('o', T.FLOAT, [1])] };
    const bytes = encode({
      node: [{ opType: 'If', input: ['c'], output: ['y'], attribute: [{ name: 'then_branch', type: onnx.AttributeProto.AttributeType.GRAPH, g: branch }] }],
      input: [valueInfo('c', T.BOOL, [])],
      output: [valueInfo('y', T.FLOAT, [1])],
    });
    expect(readInChunks(bytes, 4)).toEqual({
      inputs: [{ name: 'c', element_type: 'bool', shape: [] }],
      outputs: [{ name: 'y', element_type: 'float32', shape: [1] }],
    });
  });

  it('skips the weights without holding them: 6 GiB of raw_data stream through', async () => {
    const payload = 6 * 1024 ** 3;
    const tensorHead = Buffer.concat([onnx.TensorProto.encode({ name: 'big', dims: [payload / 4], dataType: T.FLOAT }).finish(), Buffer.from(varint(9 * 8 + 2)), Buffer.from(varint(payload))]);
    const graphBody = onnx.GraphProto.encode({ input: [valueInfo('x', T.FLOAT, [1])], output: [valueInfo('y', T.FLOAT, [1])] }).finish();
    const initializerHead = Buffer.from([...varint(5 * 8 + 2), ...varint(tensorHead.length + payload)]);
    const graphLength = graphBody.length + initializerHead.length + tensorHead.length + payload;
    const head = Buffer.concat([encode(null), Buffer.from([...varint(7 * 8 + 2), ...varint(graphLength)]), graphBody, initializerHead, tensorHead]);
    const chunk = Buffer.alloc(16 * 1024 * 1024);
    const reader = new OnnxSignatureReader();

    reader.write(head);
    for (let left = payload; left > 0; left -= chunk.length) reader.write(chunk);

    expect(reader.end()).toEqual({
      inputs: [{ name: 'x', element_type: 'float32', shape: [1] }],
      outputs: [{ name: 'y', element_type: 'float32', shape: [1] }],
    });
    expect(reader.bytesRead).toBe(head.length + payload);
  });

  describe('refuses what it cannot read, with a reason', () => {
    it.each([
      ['an empty file', Buffer.alloc(0), /empty/],
      ['JSON', Buffer.from('{"model": "x"}'), /Not a valid ONNX model: wire type 3/],
      ['a zip archive', Buffer.from('PK\x03\x04\x14\x00\x00\x00\x08\x00', 'latin1'), /Not a valid ONNX model|truncated/],
      ['a model with no graph', encode(null), /has no graph/],
      ['a protobuf with no ir_version', encode({ input: [valueInfo('x', T.FLOAT, [1])] }, { irVersion: null }), /no ir_version/],
      ['ir_version 0', encode({ input: [valueInfo('x', T.FLOAT, [1])] }, { irVersion: 0 }), /no ir_version/],
      ['a graph field of the wrong wire type', Buffer.from([0x08, 0x08, 0x38, 0x01]), /field 7 of ModelProto has wire type 0/],
      ['a field longer than its message', Buffer.concat([Buffer.from([0x08, 0x08]), lengthDelimited(7, [0x5a, 0x10, 0x0a])]), /runs past the end of its GraphProto/],
      ['a sequence input', encode({ input: [{ name: 's', type: { sequenceType: { elemType: { tensorType: { elemType: T.FLOAT } } } } }] }), /"s" is a sequence/],
      ['an input without a shape', encode({ input: [valueInfo('x', T.FLOAT, null)] }), /"x" declares no shape/],
      ['a complex64 output', encode({ output: [valueInfo('z', T.COMPLEX64, [2])] }), /"z" has element type 14/],
      ['an input without a name', encode({ input: [valueInfo('', T.FLOAT, [1])] }), /input #1 has no name/],
    ])('%s', (_what, bytes, message) => {
      const error = endError(bytes);
      expect(error.message).toMatch(message);
    });

    it('a value info over the decoding limit, before reading it', () => {
      const huge = encode({ input: [{ ...valueInfo('x', T.FLOAT, [1]), docString: 'd'.repeat(MAX_DECODED_FIELD_BYTES) }] });
      const reader = new OnnxSignatureReader();
      reader.write(huge.subarray(0, 64));
      expect(reader.error?.message).toMatch(/a graph input is \d+ bytes, over the 1048576-byte limit/);
    });

    it('any truncation before the graph ends', () => {
      const graphEnd = encode({ node: [MATMUL], initializer: [weight('W', [1, 2])], input: [valueInfo('x', T.FLOAT, [1, 2])], output: [valueInfo('y', T.FLOAT, [1, 1])] });
      const opsetStart = graphEnd.length - onnx.ModelProto.encode({ opsetImport: [{ domain: 'ai.onnx.ml', version: 3 }, { domain: '', version: 17 }] }).finish().length;
      // onnx-proto writes opset_import (field 8) after the graph (field 7); the graph ends where it starts.
      for (let cut = 0; cut < opsetStart; cut++) {
        expect(() => readInChunks(graphEnd.subarray(0, cut), 3)).toThrow(InvalidModelFileError);
      }
      expect(endError(graphEnd.subarray(0, opsetStart - 1)).message).toMatch(/truncated: it ends inside a GraphProto/);
    });
  });

  it('on corrupted models either reads a well-formed signature or throws InvalidModelFileError, for every one', () => {
    const ROUNDS = 2000;
    let seed = 42;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const outcomes = { read: 0, refused: 0 };
    for (let round = 0; round < ROUNDS; round++) {
      const bytes = Buffer.from(model);
      for (let flips = 1 + Math.floor(random() * 4); flips > 0; flips--) bytes[Math.floor(random() * bytes.length)] = Math.floor(random() * 256);
      const reader = new OnnxSignatureReader();
      reader.write(bytes);
      let signature: ModelSignature;
      try {
        signature = reader.end();
      } catch (error) {
        expect(error).toBeInstanceOf(InvalidModelFileError);
        outcomes.refused++;
        continue;
      }
      expectWellFormed(signature);
      outcomes.read++;
    }
    expect(outcomes.read + outcomes.refused).toBe(ROUNDS);
    // Both ways are taken: flipped bytes in names, shapes or weights still read, others refuse.
    expect(outcomes.read).toBeGreaterThan(0);
    expect(outcomes.refused).toBeGreaterThan(0);
  });

  it('keeps bad bytes out of write(), for a tee: the error shows at once and end() throws it', () => {
    const reader = new OnnxSignatureReader();
    expect(() => reader.write(Buffer.from('<html>'))).not.toThrow();
    expect(reader.error).toBeInstanceOf(InvalidModelFileError);
    expect(() => reader.write(model)).not.toThrow();
    expect(() => reader.end()).toThrow(reader.error!);
    expect(() => reader.write(model)).toThrow(/after end/);
  });
});

describe('readOnnxSignature', () => {
  it('reads an async stream of Buffers and Uint8Arrays', async () => {
    const bytes = encode({ input: [valueInfo('x', T.INT32, [2])], output: [valueInfo('y', T.INT32, [2])] });
    async function* source() {
      yield bytes.subarray(0, 5);
      yield new Uint8Array(bytes.subarray(5));
    }
    await expect(readOnnxSignature(source())).resolves.toEqual({
      inputs: [{ name: 'x', element_type: 'int32', shape: [2] }],
      outputs: [{ name: 'y', element_type: 'int32', shape: [2] }],
    });
  });

  it('stops pulling at the first sign the stream is not ONNX', async () => {
    let pulled = 0;
    async function* source() {
      for (let i = 0; i < 1000; i++) {
        pulled++;
        yield Buffer.from('not a model at all');
      }
    }
    await expect(readOnnxSignature(source())).rejects.toThrow(InvalidModelFileError);
    expect(pulled).toBe(1);
  });
});

describe('OnnxSignatureReader limits', () => {
  /** A model declaring `count` float32 [1] inputs `in_0`…, and one output. */
  const manyInputs = (count: number, shape: Dim[] = [1]) =>
    encode({
      name: 'many',
      node: [{ opType: 'Identity', input: ['in_0'], output: ['y'] }],
      input: Array.from({ length: count }, (_, i) => valueInfo(`in_${i}`, T.FLOAT, shape)),
      output: [valueInfo('y', T.FLOAT, [1])],
    });

  it(`records the first ${MAX_SIGNATURE_TENSORS} of 100,000 inputs, and says how many the model declares`, () => {
    const signature = readInChunks(manyInputs(100_000), 64 * 1024);
    expect(signature.inputs).toHaveLength(MAX_SIGNATURE_TENSORS);
    expect(signature.inputs[0]).toEqual({ name: 'in_0', element_type: 'float32', shape: [1] });
    expect(signature.inputs.at(-1)!.name).toBe(`in_${MAX_SIGNATURE_TENSORS - 1}`);
    expect(signature.outputs).toEqual([{ name: 'y', element_type: 'float32', shape: [1] }]);
    expect(signature.truncated).toEqual({ input_count: 100_000, output_count: 1 });
    expect(JSON.stringify(signature).length).toBeLessThan(64 * 1024);
    expect(modelSignatureSchema.safeParse(signature).success).toBe(true);
  });

  it(`records exactly ${MAX_SIGNATURE_TENSORS} inputs whole, without a marker`, () => {
    const signature = readInChunks(manyInputs(MAX_SIGNATURE_TENSORS), 1 << 20);
    expect(signature.inputs).toHaveLength(MAX_SIGNATURE_TENSORS);
    expect(signature).not.toHaveProperty('truncated');
  });

  it('stops recording when the names and shapes outweigh the budget, however few they are', () => {
    const longDim = 'd'.repeat(MAX_TENSOR_NAME_CHARS);
    const signature = readInChunks(manyInputs(200, Array.from({ length: MAX_TENSOR_RANK }, () => longDim)), 1 << 20);
    expect(signature.inputs.length).toBeLessThan(200);
    expect(signature.truncated).toEqual({ input_count: 200, output_count: 1 });
    expect(JSON.stringify(signature).length).toBeLessThanOrEqual(MAX_SIGNATURE_JSON_CHARS + 1024);
  });

  it('does not count legacy weight inputs, wherever their initializers are', () => {
    const legacy = encode({
      name: 'g',
      node: [MATMUL],
      initializer: [weight('W', [1, 2, 3, 4])],
      input: [valueInfo('x', T.FLOAT, [1, 2]), valueInfo('W', T.FLOAT, [2, 2])],
      output: [valueInfo('y', T.FLOAT, [1, 2])],
    });
    expect(readInChunks(legacy, legacy.length)).toEqual({
      inputs: [{ name: 'x', element_type: 'float32', shape: [1, 2] }],
      outputs: [{ name: 'y', element_type: 'float32', shape: [1, 2] }],
    });
  });

  it.each([
    ['an input name', encode({ name: 'g', input: [valueInfo('x'.repeat(MAX_TENSOR_NAME_CHARS + 1), T.FLOAT, [1])] }), /has a name of 1025 characters/],
    ['a symbolic dimension', encode({ name: 'g', input: [valueInfo('x', T.FLOAT, ['b'.repeat(MAX_TENSOR_NAME_CHARS + 1)])] }), /symbolic dimension of 1025 characters/],
    ['a rank', encode({ name: 'g', output: [valueInfo('y', T.FLOAT, Array.from({ length: MAX_TENSOR_RANK + 1 }, () => 1))] }), /rank over the supported maximum of 32/],
  ])('refuses %s over its limit', (_what, bytes, message) => {
    expect(endError(bytes).message).toMatch(message);
  });
});
