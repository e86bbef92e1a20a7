import type { ModelSignature, TensorElementType, TensorSpec } from '@modelyard/contracts';
import { InvalidModelFileError } from './model-formats.exception.js';

/*
 * Reads what an ONNX model takes and gives while its bytes stream past, so an upload of several
 * gigabytes can be checked without holding it: the weights (initializers, nodes) are skipped by
 * counting bytes, and only the small ValueInfoProto messages and initializer names are decoded.
 * The protobuf wire format is walked by hand, against onnx.proto (IR version 10):
 *
 *   ModelProto   1 ir_version (varint)  2 producer_name  7 graph  8 opset_import
 *   GraphProto   5 initializer (TensorProto)  11 input  12 output  15 sparse_initializer
 *   TensorProto  8 name                 SparseTensorProto  1 values (TensorProto)
 */

/** ONNX TensorProto.DataType codes by onnxruntime's names; codes missing here (complex, float8, int4 …) have no onnxruntime-node tensor type. */
const ONNX_ELEMENT_TYPES: ReadonlyMap<number, TensorElementType> = new Map([
  [1, 'float32'],
  [2, 'uint8'],
  [3, 'int8'],
  [4, 'uint16'],
  [5, 'int16'],
  [6, 'int32'],
  [7, 'int64'],
  [8, 'string'],
  [9, 'bool'],
  [10, 'float16'],
  [11, 'float64'],
  [12, 'uint32'],
  [13, 'uint64'],
  [16, 'bfloat16'],
]);

/** Other TypeProto kinds, by field number, for the error that refuses them. */
const NON_TENSOR_KINDS: ReadonlyMap<number, string> = new Map([
  [4, 'a sequence'],
  [5, 'a map'],
  [8, 'a sparse tensor'],
  [9, 'an optional'],
]);

/**
 * The messages decoded whole (a ValueInfoProto, an initializer's name, an opset entry) are a few
 * hundred bytes in real models; a larger one means a corrupt or hostile file, and buffering it
 * would defeat the point of streaming.
 */
export const MAX_DECODED_FIELD_BYTES = 1024 * 1024;

/** A varint is at most 10 bytes (64 bits, 7 per byte). */
const MAX_VARINT_BYTES = 10;

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LENGTH_DELIMITED = 2;
const WIRE_FIXED32 = 5;

type MessageKind = 'ModelProto' | 'GraphProto' | 'TensorProto' | 'SparseTensorProto';

/** Wire types of the fields this reader interprets; a different one means the bytes are not ONNX. */
const EXPECTED_WIRE_TYPES: Record<MessageKind, ReadonlyMap<number, number>> = {
  ModelProto: new Map([
    [1, WIRE_VARINT],
    [2, WIRE_LENGTH_DELIMITED],
    [7, WIRE_LENGTH_DELIMITED],
    [8, WIRE_LENGTH_DELIMITED],
  ]),
  GraphProto: new Map([
    [5, WIRE_LENGTH_DELIMITED],
    [11, WIRE_LENGTH_DELIMITED],
    [12, WIRE_LENGTH_DELIMITED],
    [15, WIRE_LENGTH_DELIMITED],
  ]),
  TensorProto: new Map([[8, WIRE_LENGTH_DELIMITED]]),
  SparseTensorProto: new Map([[1, WIRE_LENGTH_DELIMITED]]),
};

/** What else the reader learns from the model, beside its signature. */
export interface OnnxModelMetadata {
  ir_version: number;
  /** Version of the default (`ai.onnx`) operator set; null when the model imports none. */
  opset_version: number | null;
  producer_name: string | null;
}

interface Frame {
  kind: MessageKind;
  /** Offset in the file just past this message. */
  end: number;
}

type Phase = 'tag' | 'varint' | 'length' | 'skip' | 'collect';

/**
 * Incremental ONNX signature reader. `write()` is synchronous, never throws on bad data and costs
 * next to nothing for weight bytes, so it can sit beside an upload as a tee; a malformed file is
 * reported by `error` as soon as it is seen (so the caller may stop early) and thrown by `end()`.
 */
export class OnnxSignatureReader {
  private readonly stack: Frame[] = [{ kind: 'ModelProto', end: Infinity }];
  private phase: Phase = 'tag';
  private offset = 0;
  private failure: InvalidModelFileError | null = null;
  private ended = false;

  private field = 0;
  private varintValue = 0;
  private varintBytes = 0;
  private remaining = 0;
  private collected: Buffer = Buffer.alloc(0);
  private collectedLength = 0;
  private onCollected: ((bytes: Buffer) => void) | null = null;

  private irVersion: number | null = null;
  private opsetVersion: number | null = null;
  private producerName: string | null = null;
  private graphSeen = false;
  private readonly inputs: TensorSpec[] = [];
  private readonly outputs: TensorSpec[] = [];
  private readonly initializerNames = new Set<string>();

  /** The first problem found in the bytes so far; `end()` throws it. */
  get error(): InvalidModelFileError | null {
    return this.failure;
  }

  /** Bytes written so far. */
  get bytesRead(): number {
    return this.offset;
  }

  /** What the model declares beside its signature; complete once `end()` has returned. */
  get metadata(): OnnxModelMetadata {
    return { ir_version: this.irVersion ?? 0, opset_version: this.opsetVersion, producer_name: this.producerName };
  }

  write(chunk: Uint8Array): void {
    if (this.ended) throw new Error('OnnxSignatureReader.write() after end()');
    if (this.failure) return;
    try {
      this.consume(chunk);
    } catch (error) {
      if (!(error instanceof InvalidModelFileError)) throw error;
      this.failure = error;
    }
  }

  end(): ModelSignature {
    this.ended = true;
    if (this.failure) throw this.failure;
    if (this.offset === 0) throw new InvalidModelFileError('The file is empty, not an ONNX model.');
    if (this.phase !== 'tag' || this.stack.length > 1) {
      throw new InvalidModelFileError(`The ONNX model is truncated: it ends inside a ${this.top().kind} after ${this.offset} bytes.`);
    }
    // 0 is onnx.proto's _START_VERSION, never a real IR version.
    if (!this.irVersion) throw new InvalidModelFileError('Not an ONNX model: it has no ir_version.');
    if (!this.graphSeen) throw new InvalidModelFileError('The ONNX model has no graph.');
    // Models before IR version 4 list their weights as graph inputs too; those are not inputs a caller feeds.
    const inputs = this.inputs.filter((input) => !this.initializerNames.has(input.name));
    return { inputs, outputs: [...this.outputs] };
  }

  private consume(chunk: Uint8Array): void {
    let i = 0;
    while (i < chunk.length) {
      if (this.phase === 'skip') {
        const n = Math.min(this.remaining, chunk.length - i);
        i += n;
        this.offset += n;
        this.remaining -= n;
        if (this.remaining === 0) this.fieldDone();
      } else if (this.phase === 'collect') {
        const n = Math.min(this.remaining, chunk.length - i);
        this.collected.set(chunk.subarray(i, i + n), this.collectedLength);
        this.collectedLength += n;
        i += n;
        this.offset += n;
        this.remaining -= n;
        if (this.remaining === 0) this.finishCollect();
      } else {
        const byte = chunk[i++]!;
        this.offset++;
        if (this.varintBytes === MAX_VARINT_BYTES) throw this.malformed('a varint longer than 10 bytes');
        this.varintValue += (byte & 0x7f) * 2 ** (7 * this.varintBytes);
        this.varintBytes++;
        if ((byte & 0x80) === 0) {
          const value = this.varintValue;
          this.varintValue = 0;
          this.varintBytes = 0;
          this.onVarint(value);
        }
      }
    }
  }

  private onVarint(value: number): void {
    switch (this.phase) {
      case 'tag':
        return this.onTag(value);
      case 'varint':
        this.checkWithinMessage(0);
        if (this.top().kind === 'ModelProto' && this.field === 1) this.irVersion = value;
        return this.fieldDone();
      case 'length':
        return this.onLength(value);
      default:
        throw new Error(`unreachable reader phase ${this.phase}`);
    }
  }

  private onTag(tag: number): void {
    const field = Math.floor(tag / 8);
    const wireType = tag % 8;
    const kind = this.top().kind;
    if (field === 0) throw this.malformed(`field number 0 in a ${kind}`);
    const expected = EXPECTED_WIRE_TYPES[kind].get(field);
    if (expected !== undefined && expected !== wireType) {
      throw this.malformed(`field ${field} of ${kind} has wire type ${wireType}, not ${expected}`);
    }
    this.field = field;
    switch (wireType) {
      case WIRE_VARINT:
        this.phase = 'varint';
        return;
      case WIRE_FIXED64:
        return this.startSkip(8);
      case WIRE_LENGTH_DELIMITED:
        this.phase = 'length';
        return;
      case WIRE_FIXED32:
        return this.startSkip(4);
      default:
        // Groups (3, 4) are not used by onnx.proto; 6 and 7 do not exist.
        throw this.malformed(`wire type ${wireType} in a ${kind}`);
    }
  }

  private onLength(length: number): void {
    this.checkWithinMessage(length);
    const kind = this.top().kind;
    const field = this.field;
    if (kind === 'ModelProto' && field === 7) {
      this.graphSeen = true;
      return this.descend('GraphProto', length);
    }
    if (kind === 'ModelProto' && field === 8) return this.startCollect(length, 'an opset_import entry', (b) => this.onOpset(b));
    if (kind === 'ModelProto' && field === 2) {
      return this.startCollect(length, 'the producer name', (b) => (this.producerName = b.toString('utf8')));
    }
    if (kind === 'GraphProto' && field === 11) {
      return this.startCollect(length, 'a graph input', (b) => this.inputs.push(decodeValueInfo(b, 'input', this.inputs.length)));
    }
    if (kind === 'GraphProto' && field === 12) {
      return this.startCollect(length, 'a graph output', (b) => this.outputs.push(decodeValueInfo(b, 'output', this.outputs.length)));
    }
    if (kind === 'GraphProto' && field === 5) return this.descend('TensorProto', length);
    if (kind === 'GraphProto' && field === 15) return this.descend('SparseTensorProto', length);
    if (kind === 'SparseTensorProto' && field === 1) return this.descend('TensorProto', length);
    if (kind === 'TensorProto' && field === 8) {
      return this.startCollect(length, 'an initializer name', (b) => this.initializerNames.add(b.toString('utf8')));
    }
    return this.startSkip(length);
  }

  private onOpset(bytes: Buffer): void {
    let domain = '';
    let version: number | null = null;
    const cursor = new ProtoCursor(bytes, 'OperatorSetIdProto');
    while (!cursor.done()) {
      const { field, wireType } = cursor.tag();
      if (field === 1 && wireType === WIRE_LENGTH_DELIMITED) domain = cursor.string();
      else if (field === 2 && wireType === WIRE_VARINT) version = cursor.varint();
      else cursor.skip(wireType);
    }
    if ((domain === '' || domain === 'ai.onnx') && version !== null) this.opsetVersion = version;
  }

  private descend(kind: MessageKind, length: number): void {
    this.stack.push({ kind, end: this.offset + length });
    this.fieldDone();
  }

  private startSkip(length: number): void {
    this.checkWithinMessage(length);
    if (length === 0) return this.fieldDone();
    this.phase = 'skip';
    this.remaining = length;
  }

  private startCollect(length: number, what: string, onCollected: (bytes: Buffer) => void): void {
    if (length > MAX_DECODED_FIELD_BYTES) {
      throw new InvalidModelFileError(
        `The ONNX model is malformed or unsupported: ${what} is ${length} bytes, over the ${MAX_DECODED_FIELD_BYTES}-byte limit.`,
      );
    }
    this.collected = Buffer.allocUnsafe(length);
    this.collectedLength = 0;
    this.onCollected = onCollected;
    this.remaining = length;
    if (length === 0) return this.finishCollect();
    this.phase = 'collect';
  }

  private finishCollect(): void {
    const onCollected = this.onCollected!;
    const bytes = this.collected;
    this.onCollected = null;
    this.collected = Buffer.alloc(0);
    onCollected(bytes);
    this.fieldDone();
  }

  /** A field has been read whole: close every message that ends here. */
  private fieldDone(): void {
    this.phase = 'tag';
    while (this.stack.length > 1 && this.top().end === this.offset) this.stack.pop();
  }

  /** The next `length` bytes must lie inside the message being read, or the bytes are not what they claim. */
  private checkWithinMessage(length: number): void {
    const frame = this.top();
    if (this.offset + length > frame.end) throw this.malformed(`a field runs past the end of its ${frame.kind}`);
  }

  private top(): Frame {
    return this.stack[this.stack.length - 1]!;
  }

  private malformed(what: string): InvalidModelFileError {
    return new InvalidModelFileError(`Not a valid ONNX model: ${what} (at byte ${this.offset}).`);
  }
}

/** Reads the signature of the ONNX model `source` yields, stopping at the first sign that it is not one. */
export async function readOnnxSignature(source: AsyncIterable<Buffer | Uint8Array>): Promise<ModelSignature> {
  const reader = new OnnxSignatureReader();
  for await (const chunk of source) {
    reader.write(chunk);
    if (reader.error) throw reader.error;
  }
  return reader.end();
}

/** A cursor over one whole, small protobuf message. */
class ProtoCursor {
  private position = 0;

  constructor(
    private readonly bytes: Buffer,
    private readonly kind: string,
  ) {}

  done(): boolean {
    return this.position >= this.bytes.length;
  }

  tag(): { field: number; wireType: number } {
    const tag = this.varint();
    const field = Math.floor(tag / 8);
    if (field === 0) throw this.malformed('field number 0');
    return { field, wireType: tag % 8 };
  }

  varint(): number {
    let value = 0;
    for (let shift = 0; shift < 7 * MAX_VARINT_BYTES; shift += 7) {
      if (this.position >= this.bytes.length) throw this.malformed('a truncated varint');
      const byte = this.bytes[this.position++]!;
      value += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return value;
    }
    throw this.malformed('a varint longer than 10 bytes');
  }

  bytesField(): Buffer {
    const length = this.varint();
    if (this.position + length > this.bytes.length) throw this.malformed('a field running past its end');
    const bytes = this.bytes.subarray(this.position, this.position + length);
    this.position += length;
    return bytes;
  }

  string(): string {
    return this.bytesField().toString('utf8');
  }

  skip(wireType: number): void {
    switch (wireType) {
      case WIRE_VARINT:
        this.varint();
        return;
      case WIRE_FIXED64:
        return this.advance(8);
      case WIRE_LENGTH_DELIMITED:
        this.bytesField();
        return;
      case WIRE_FIXED32:
        return this.advance(4);
      default:
        throw this.malformed(`wire type ${wireType}`);
    }
  }

  private advance(n: number): void {
    if (this.position + n > this.bytes.length) throw this.malformed('a field running past its end');
    this.position += n;
  }

  private malformed(what: string): InvalidModelFileError {
    return new InvalidModelFileError(`Not a valid ONNX model: a ${this.kind} holds ${what}.`);
  }
}

/** Decodes a ValueInfoProto { 1 name, 2 type: TypeProto { 1 tensor_type: { 1 elem_type, 2 shape } } }. */
function decodeValueInfo(bytes: Buffer, role: 'input' | 'output', index: number): TensorSpec {
  let name: string | null = null;
  let type: Buffer | null = null;
  const cursor = new ProtoCursor(bytes, `graph ${role}`);
  while (!cursor.done()) {
    const { field, wireType } = cursor.tag();
    if (field === 1 && wireType === WIRE_LENGTH_DELIMITED) name = cursor.string();
    else if (field === 2 && wireType === WIRE_LENGTH_DELIMITED) type = cursor.bytesField();
    else cursor.skip(wireType);
  }
  if (!name) throw new InvalidModelFileError(`The ONNX model's graph ${role} #${index + 1} has no name.`);
  if (!type) throw new InvalidModelFileError(`The ONNX model's graph ${role} "${name}" has no type.`);

  let tensorType: Buffer | null = null;
  let otherKind: string | null = null;
  const typeCursor = new ProtoCursor(type, `type of graph ${role} "${name}"`);
  while (!typeCursor.done()) {
    const { field, wireType } = typeCursor.tag();
    if (field === 1 && wireType === WIRE_LENGTH_DELIMITED) tensorType = typeCursor.bytesField();
    else {
      otherKind ??= NON_TENSOR_KINDS.get(field) ?? null;
      typeCursor.skip(wireType);
    }
  }
  if (!tensorType) {
    throw new InvalidModelFileError(
      `The ONNX model's graph ${role} "${name}" is ${otherKind ?? 'not a tensor'}; only dense tensor inputs and outputs are supported.`,
    );
  }

  let elemType = 0;
  let shape: Array<number | string | null> | null = null;
  const tensorCursor = new ProtoCursor(tensorType, `tensor type of graph ${role} "${name}"`);
  while (!tensorCursor.done()) {
    const { field, wireType } = tensorCursor.tag();
    if (field === 1 && wireType === WIRE_VARINT) elemType = tensorCursor.varint();
    else if (field === 2 && wireType === WIRE_LENGTH_DELIMITED) shape = decodeShape(tensorCursor.bytesField(), role, name);
    else tensorCursor.skip(wireType);
  }
  const elementType = ONNX_ELEMENT_TYPES.get(elemType);
  if (!elementType) {
    throw new InvalidModelFileError(`The ONNX model's graph ${role} "${name}" has element type ${elemType}, which is not supported.`);
  }
  if (!shape) {
    // ModelSignature cannot say "any rank"; a model whose exporter left the rank out has to be re-exported with shapes.
    throw new InvalidModelFileError(`The ONNX model's graph ${role} "${name}" declares no shape (its rank is unknown); export the model with shapes.`);
  }
  return { name, element_type: elementType, shape };
}

/** Decodes a TensorShapeProto { repeated 1 dim: { 1 dim_value | 2 dim_param } }. */
function decodeShape(bytes: Buffer, role: string, name: string): Array<number | string | null> {
  const shape: Array<number | string | null> = [];
  const cursor = new ProtoCursor(bytes, `shape of graph ${role} "${name}"`);
  while (!cursor.done()) {
    const { field, wireType } = cursor.tag();
    if (field !== 1 || wireType !== WIRE_LENGTH_DELIMITED) {
      cursor.skip(wireType);
      continue;
    }
    let dim: number | string | null = null;
    const dimCursor = new ProtoCursor(cursor.bytesField(), `dimension of graph ${role} "${name}"`);
    while (!dimCursor.done()) {
      const tag = dimCursor.tag();
      if (tag.field === 1 && tag.wireType === WIRE_VARINT) {
        const value = dimCursor.varint();
        // A negative int64 arrives as a 10-byte varint beyond 2^53; exporters write -1 for "dynamic".
        dim = Number.isSafeInteger(value) ? value : null;
      } else if (tag.field === 2 && tag.wireType === WIRE_LENGTH_DELIMITED) {
        const param = dimCursor.string();
        dim = param === '' ? null : param;
      } else dimCursor.skip(tag.wireType);
    }
    shape.push(dim);
  }
  return shape;
}
