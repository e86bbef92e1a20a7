import type { TensorElementType, TensorSpec } from '@modelyard/contracts';
import { InvalidModelFileError } from './model-formats.exception.js';

/*
 * The small ONNX messages the signature reader decodes whole (onnx.proto, IR version 10):
 *
 *   ValueInfoProto     1 name  2 type: TypeProto { 1 tensor_type: { 1 elem_type  2 shape } }
 *   TensorShapeProto   repeated 1 dim: { 1 dim_value | 2 dim_param }
 *   OperatorSetIdProto 1 domain  2 version
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

/** Longest input or output name, or symbolic dimension, accepted: a name is fed to the runtime whole, so it cannot be cut. */
export const MAX_TENSOR_NAME_CHARS = 1024;

/** Highest rank of an input or output accepted: far above real models (rank 8 is rare), and a test call's tensor must nest that deep in JSON. */
export const MAX_TENSOR_RANK = 32;

/** A varint is at most 10 bytes (64 bits, 7 per byte). */
export const MAX_VARINT_BYTES = 10;

export const WIRE_VARINT = 0;
export const WIRE_FIXED64 = 1;
export const WIRE_LENGTH_DELIMITED = 2;
export const WIRE_FIXED32 = 5;

/** A cursor over one whole, small protobuf message. */
export class ProtoCursor {
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
export function decodeValueInfo(bytes: Buffer, role: 'input' | 'output', index: number): TensorSpec {
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
  if (name.length > MAX_TENSOR_NAME_CHARS) {
    throw new InvalidModelFileError(`The ONNX model's graph ${role} #${index + 1} has a name of ${name.length} characters, over the ${MAX_TENSOR_NAME_CHARS}-character limit.`);
  }
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
        if (param.length > MAX_TENSOR_NAME_CHARS) {
          throw new InvalidModelFileError(
            `The ONNX model's graph ${role} "${name}" has a symbolic dimension of ${param.length} characters, over the ${MAX_TENSOR_NAME_CHARS}-character limit.`,
          );
        }
        dim = param === '' ? null : param;
      } else dimCursor.skip(tag.wireType);
    }
    // Checked as the dimensions come: a 1 MiB shape could hold a quarter of a million.
    if (shape.length === MAX_TENSOR_RANK) {
      throw new InvalidModelFileError(`The ONNX model's graph ${role} "${name}" has a rank over the supported maximum of ${MAX_TENSOR_RANK}.`);
    }
    shape.push(dim);
  }
  return shape;
}
