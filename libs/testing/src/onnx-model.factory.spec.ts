import { afterEach, describe, expect, it } from '@jest/globals';
import { type InputTensor, buildFeeds, readOnnxSignature, toTensorValue } from '@modelyard/model-formats';
import * as ort from 'onnxruntime-node';
import { LARGE_ONNX_MODEL_OFFSET, addOnnxModel, largeOnnxModel, largeOnnxModelChunks, linearOnnxModel, manyInputsOnnxModel } from './onnx-model.factory.js';

function float32(values: number[], dims: number[]): ort.Tensor {
  return new ort.Tensor('float32', Float32Array.from(values), dims);
}

const sessions: ort.InferenceSession[] = [];

async function load(model: Buffer): Promise<ort.InferenceSession> {
  const session = await ort.InferenceSession.create(model);
  sessions.push(session);
  return session;
}

afterEach(async () => {
  await Promise.all(sessions.splice(0).map((s) => s.release()));
});

async function* chunksOf(bytes: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

/** y = x·W + b in plain JS, rounded to float32 the way the runtime stores it. */
function linear(x: number[][], weights: number[][], bias: number[]): number[][] {
  return x.map((row) => bias.map((b, j) => Math.fround(row.reduce((sum, xi, i) => sum + xi * weights[i]![j]!, 0) + b)));
}

/** What onnxruntime itself reads as the model's inputs and outputs, in the signature's terms. */
function runtimeSignature(session: ort.InferenceSession) {
  const spec = (meta: ort.InferenceSession.ValueMetadata) => {
    if (!meta.isTensor) throw new Error(`${meta.name} is not a tensor`);
    return { name: meta.name, element_type: meta.type, shape: [...meta.shape] };
  };
  return { inputs: session.inputMetadata.map(spec), outputs: session.outputMetadata.map(spec) };
}

const WEIGHTS = [
  [1, 2, 3],
  [4, 5, 6],
];
const BIAS = [0.5, -1, 2];

describe('linearOnnxModel', () => {
  it('computes x·W + b over a symbolic batch, and its signature is what onnxruntime reads', async () => {
    const model = linearOnnxModel({ weights: WEIGHTS, bias: BIAS });
    const session = await load(model);
    const x = [
      [1, 2],
      [3, -4],
      [0.25, 8],
    ];

    const { y } = await session.run({ x: float32(x.flat(), [3, 2]) });

    expect(y!.dims).toEqual([3, 3]);
    expect(Array.from(y!.data as Float32Array)).toEqual(linear(x, WEIGHTS, BIAS).flat());
    const signature = await readOnnxSignature(chunksOf(model, 7));
    expect(signature).toEqual({
      inputs: [{ name: 'x', element_type: 'float32', shape: ['batch', 2] }],
      outputs: [{ name: 'y', element_type: 'float32', shape: ['batch', 3] }],
    });
    expect(signature).toEqual(runtimeSignature(session));
    expect(signature.inputs.map((i) => i.name)).toEqual(session.inputNames);
    expect(signature.outputs.map((o) => o.name)).toEqual(session.outputNames);
  });

  it('takes a fixed batch, which the runtime then enforces', async () => {
    const model = linearOnnxModel({ weights: WEIGHTS, bias: BIAS, batch: 1 });
    const session = await load(model);

    const { y } = await session.run({ x: float32([2, 0.5], [1, 2]) });

    expect(Array.from(y!.data as Float32Array)).toEqual(linear([[2, 0.5]], WEIGHTS, BIAS).flat());
    await expect(session.run({ x: float32([0, 0, 0, 0], [2, 2]) })).rejects.toThrow();
    expect(await readOnnxSignature(chunksOf(model, 1))).toEqual(runtimeSignature(session));
  });

  it('old style, with the weights also listed as inputs (and stored after them): the signature leaves them out, as the runtime does', async () => {
    const model = linearOnnxModel({ weights: WEIGHTS, bias: BIAS, legacyWeightInputs: true });
    const session = await load(model);

    const { y } = await session.run({ x: float32([1, 1], [1, 2]) });

    expect(Array.from(y!.data as Float32Array)).toEqual(linear([[1, 1]], WEIGHTS, BIAS).flat());
    const signature = await readOnnxSignature(chunksOf(model, 5));
    expect(signature.inputs).toEqual([{ name: 'x', element_type: 'float32', shape: ['batch', 2] }]);
    expect(signature.inputs.map((i) => i.name)).toEqual(session.inputNames);
  });
});

describe('addOnnxModel', () => {
  it('adds two int64 vectors exactly, fed and read back through buildFeeds and toTensorValue', async () => {
    const model = addOnnxModel();
    const session = await load(model);
    const signature = await readOnnxSignature(chunksOf(model, 3));
    expect(signature).toEqual({
      inputs: [
        { name: 'a', element_type: 'int64', shape: ['n'] },
        { name: 'b', element_type: 'int64', shape: ['n'] },
      ],
      outputs: [{ name: 'sum', element_type: 'int64', shape: ['n'] }],
    });
    expect(signature).toEqual(runtimeSignature(session));

    const feeds = buildFeeds({ inputs: { a: [1, -7, '9007199254740993'], b: [2, 3, '1'] } }, signature);
    const int64 = (t: InputTensor | undefined) => {
      if (t?.element_type !== 'int64') throw new Error(`expected an int64 feed, got ${t?.element_type}`);
      return new ort.Tensor('int64', t.data, t.dims);
    };
    const output = await session.run({ a: int64(feeds['a']), b: int64(feeds['b']) });

    expect(Array.from(output['sum']!.data as BigInt64Array)).toEqual([3n, -4n, 9007199254740994n]);
    expect(toTensorValue(output['sum']!)).toEqual({ element_type: 'int64', shape: [3], data: [3, -4, '9007199254740994'] });
  });
});

describe('manyInputsOnnxModel', () => {
  it('declares as many inputs as asked, all of which onnxruntime reads, and passes the first through', async () => {
    const model = manyInputsOnnxModel(3);
    const session = await load(model);
    const signature = await readOnnxSignature(chunksOf(model, 7));
    expect(signature).toEqual(runtimeSignature(session));
    expect(signature.inputs.map((i) => i.name)).toEqual(['in_0', 'in_1', 'in_2']);
    const result = await session.run({ in_0: float32([2.5], [1]), in_1: float32([0], [1]), in_2: float32([0], [1]) });
    expect(Array.from(result['y']!.data as Float32Array)).toEqual([2.5]);
  });

  it('stays small for 100,000 inputs', () => {
    expect(manyInputsOnnxModel(100_000).length).toBeLessThan(3_000_000);
  });
});

describe('largeOnnxModel', () => {
  it('runs: y = x + the sum of its big initializer', async () => {
    const model = largeOnnxModel(1024 * 1024);
    expect(model.length).toBeGreaterThan(1024 * 1024);
    const session = await load(model);

    const { y } = await session.run({ x: float32([2], [1]) });

    expect(Array.from(y!.data as Float32Array)).toEqual([2 + LARGE_ONNX_MODEL_OFFSET]);
    expect(await readOnnxSignature(chunksOf(model, 64 * 1024))).toEqual(runtimeSignature(session));
  });

  it('as chunks, yields the same bytes as the whole model', async () => {
    const parts: Buffer[] = [];
    for await (const chunk of largeOnnxModelChunks(100_003, 4096)) parts.push(Buffer.from(chunk));
    expect(Buffer.concat(parts).equals(largeOnnxModel(100_003))).toBe(true);
  });

  it('has its signature read from 5 GiB of chunks, more than a Buffer can hold, without holding them', async () => {
    const signature = await readOnnxSignature(largeOnnxModelChunks(5 * 1024 ** 3, 8 * 1024 * 1024));
    expect(signature).toEqual({
      inputs: [{ name: 'x', element_type: 'float32', shape: [1] }],
      outputs: [{ name: 'y', element_type: 'float32', shape: [1] }],
    });
  });
});
