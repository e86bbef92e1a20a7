import onnxProto, { type onnx as Onnx } from 'onnx-proto';

/*
 * Small, real ONNX models built in code (with onnx-proto, a protobufjs build of onnx.proto), so
 * tests of upload, signature reading and inference need no binary fixtures. Each is checked against
 * onnxruntime-node in onnx-model.factory.spec.ts.
 */

const { onnx } = onnxProto;
const DataType = onnx.TensorProto.DataType;

/** The ONNX version the modern models declare: IR 8 with the default opset 13 (onnxruntime 1.30 reads IR ≤ 11). */
const IR_VERSION = 8;
const OPSET = 13;
/** What the old-style model declares: before IR 4, every initializer also had to be a graph input. */
const LEGACY_IR_VERSION = 3;
const LEGACY_OPSET = 8;

type Dim = number | string;

function valueInfo(name: string, elemType: number, shape: Dim[]): Onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType,
        shape: { dim: shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

function float32Initializer(name: string, dims: number[], values: readonly number[]): Onnx.ITensorProto {
  const raw = Buffer.from(new Float32Array(values).buffer);
  return { name, dims, dataType: DataType.FLOAT, rawData: raw };
}

function encodeModel(graph: Onnx.IGraphProto, irVersion: number, opset: number): Buffer {
  const model = onnx.ModelProto.create({
    irVersion,
    producerName: 'modelyard-testing',
    opsetImport: [{ domain: '', version: opset }],
    graph,
  });
  return Buffer.from(onnx.ModelProto.encode(model).finish());
}

/** A protobuf varint (lengths here stay far below 2^53). */
function varint(value: number): number[] {
  const bytes: number[] = [];
  while (value >= 0x80) {
    bytes.push((value % 0x80) | 0x80);
    value = Math.floor(value / 0x80);
  }
  bytes.push(value);
  return bytes;
}

/** The tag (wire type 2) and length of a length-delimited field, for fields written in pieces. */
function lengthPrefix(field: number, length: number): Buffer {
  return Buffer.from([...varint(field * 8 + 2), ...varint(length)]);
}

function lengthDelimited(field: number, bytes: Uint8Array): Buffer {
  return Buffer.concat([lengthPrefix(field, bytes.length), bytes]);
}

export interface LinearOnnxModelOptions {
  /** `in × out` matrix W of y = x·W + b. */
  weights: number[][];
  /** `out` values. */
  bias: number[];
  /** The batch dimension of x and y: the symbolic `batch` (default) or a fixed size. */
  batch?: 'symbolic' | number;
  /**
   * Write the model the pre-IR-4 way: W and b are graph inputs as well as initializers, and the
   * initializers come after the inputs in the file, so a reader must filter at the end.
   */
  legacyWeightInputs?: boolean;
}

/** y = x·W + b (MatMul, Add; float32): input `x` [batch, in], output `y` [batch, out], W and b as initializers. */
export function linearOnnxModel(options: LinearOnnxModelOptions): Buffer {
  const { weights, bias } = options;
  const inSize = weights.length;
  const outSize = bias.length;
  if (inSize === 0 || weights.some((row) => row.length !== outSize)) {
    throw new Error(`linearOnnxModel: weights must be ${inSize} rows of ${outSize} (the bias length)`);
  }
  const batch: Dim = options.batch === undefined || options.batch === 'symbolic' ? 'batch' : options.batch;
  const initializers = [float32Initializer('W', [inSize, outSize], weights.flat()), float32Initializer('b', [outSize], bias)];
  const nodes: Onnx.INodeProto[] = [
    { opType: 'MatMul', input: ['x', 'W'], output: ['xW'], name: 'matmul' },
    { opType: 'Add', input: ['xW', 'b'], output: ['y'], name: 'add' },
  ];
  const inputs = [valueInfo('x', DataType.FLOAT, [batch, inSize])];
  const outputs = [valueInfo('y', DataType.FLOAT, [batch, outSize])];

  if (!options.legacyWeightInputs) {
    return encodeModel({ name: 'linear', node: nodes, initializer: initializers, input: inputs, output: outputs }, IR_VERSION, OPSET);
  }
  inputs.push(valueInfo('W', DataType.FLOAT, [inSize, outSize]), valueInfo('b', DataType.FLOAT, [outSize]));
  // protobufjs writes fields in field-number order (initializer 5 before input 11); appending the
  // initializers as further GraphProto field-5 entries puts them after the inputs, as a parser must allow.
  const graphHead = onnx.GraphProto.encode({ name: 'linear', node: nodes, input: inputs, output: outputs }).finish();
  const graph = Buffer.concat([graphHead, ...initializers.map((t) => lengthDelimited(5, onnx.TensorProto.encode(t).finish()))]);
  const modelHead = onnx.ModelProto.encode({
    irVersion: LEGACY_IR_VERSION,
    producerName: 'modelyard-testing',
    opsetImport: [{ domain: '', version: LEGACY_OPSET }],
  }).finish();
  return Buffer.concat([modelHead, lengthDelimited(7, graph)]);
}

/** sum = a + b over two int64 vectors of the symbolic length `n`. */
export function addOnnxModel(): Buffer {
  return encodeModel(
    {
      name: 'add',
      node: [{ opType: 'Add', input: ['a', 'b'], output: ['sum'], name: 'add' }],
      input: [valueInfo('a', DataType.INT64, ['n']), valueInfo('b', DataType.INT64, ['n'])],
      output: [valueInfo('sum', DataType.INT64, ['n'])],
    },
    IR_VERSION,
    OPSET,
  );
}

/**
 * y = in_0 (Identity), with `count` float32 [1] inputs in_0, in_1, … of which only the first is
 * used: a small file declaring as many inputs as a test needs (100,000 are 2.3 MB), as a hostile
 * or careless exporter could.
 */
export function manyInputsOnnxModel(count: number): Buffer {
  if (count < 1) throw new Error('manyInputsOnnxModel: at least one input');
  return encodeModel(
    {
      name: 'many-inputs',
      node: [{ opType: 'Identity', input: ['in_0'], output: ['y'], name: 'identity' }],
      input: Array.from({ length: count }, (_, i) => valueInfo(`in_${i}`, DataType.FLOAT, [1])),
      output: [valueInfo('y', DataType.FLOAT, [1])],
    },
    IR_VERSION,
    OPSET,
  );
}

/** The value `largeOnnxModel` adds to its input: the sum of its big initializer. */
export const LARGE_ONNX_MODEL_OFFSET = 1.5;

function largeModelParts(sizeBytes: number): { head: Buffer; payloadBytes: number } {
  // The initializer is float32 [count]: zeros but for its first element, so its sum is exact.
  const count = Math.max(1, Math.ceil(sizeBytes / 4));
  const first = Buffer.from(new Float32Array([LARGE_ONNX_MODEL_OFFSET]).buffer);
  // TensorProto: dims (1), data_type (2), name (8), then raw_data (9) whose bytes stream as the payload.
  const tensorHead = Buffer.from(onnx.TensorProto.encode({ dims: [count], dataType: DataType.FLOAT, name: 'big' }).finish());
  const rawDataTag = lengthPrefix(9, count * 4);
  const tensorLength = tensorHead.length + rawDataTag.length + count * 4;
  const graphBody = Buffer.from(
    onnx.GraphProto.encode({
      name: 'large',
      node: [
        { opType: 'ReduceSum', input: ['big'], output: ['total'], name: 'sum', attribute: [{ name: 'keepdims', i: 1, type: onnx.AttributeProto.AttributeType.INT }] },
        { opType: 'Add', input: ['x', 'total'], output: ['y'], name: 'add' },
      ],
      input: [valueInfo('x', DataType.FLOAT, [1])],
      output: [valueInfo('y', DataType.FLOAT, [1])],
    }).finish(),
  );
  const initializerTag = lengthPrefix(5, tensorLength);
  const graphLength = graphBody.length + initializerTag.length + tensorLength;
  const modelHead = Buffer.from(
    onnx.ModelProto.encode({ irVersion: IR_VERSION, producerName: 'modelyard-testing', opsetImport: [{ domain: '', version: OPSET }] }).finish(),
  );
  const head = Buffer.concat([modelHead, lengthPrefix(7, graphLength), graphBody, initializerTag, tensorHead, rawDataTag, first]);
  return { head, payloadBytes: count * 4 - first.length };
}

/**
 * y = x + sum(big), x and y float32 [1], where `big` is a float32 initializer of about `sizeBytes`
 * in raw_data (zeros but for LARGE_ONNX_MODEL_OFFSET), so y = x + LARGE_ONNX_MODEL_OFFSET.
 * The graph's inputs and outputs precede the initializer, as exporters write them.
 */
export function largeOnnxModel(sizeBytes: number): Buffer {
  const { head, payloadBytes } = largeModelParts(sizeBytes);
  return Buffer.concat([head, Buffer.alloc(payloadBytes)]);
}

/**
 * The bytes of `largeOnnxModel(sizeBytes)` as chunks of `chunkBytes`, never held whole: one zero
 * chunk is yielded again and again, so a model of several gigabytes costs no memory and proves a
 * reader streams. Consumers must not keep or modify the chunks.
 */
export async function* largeOnnxModelChunks(sizeBytes: number, chunkBytes = 1024 * 1024): AsyncGenerator<Buffer> {
  const { head, payloadBytes } = largeModelParts(sizeBytes);
  yield head;
  const zeros = Buffer.alloc(chunkBytes);
  for (let left = payloadBytes; left > 0; left -= chunkBytes) yield left >= chunkBytes ? zeros : zeros.subarray(0, left);
}
