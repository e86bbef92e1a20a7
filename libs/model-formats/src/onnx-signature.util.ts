import type { ModelSignature, TensorSpec } from '@modelyard/contracts';
import { InvalidModelFileError } from './model-formats.exception.js';
import {
  decodeValueInfo,
  MAX_VARINT_BYTES,
  ProtoCursor,
  WIRE_FIXED32,
  WIRE_FIXED64,
  WIRE_LENGTH_DELIMITED,
  WIRE_VARINT,
} from './onnx-value-info.util.js';

export { MAX_TENSOR_NAME_CHARS, MAX_TENSOR_RANK } from './onnx-value-info.util.js';

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

/**
 * The messages decoded whole (a ValueInfoProto, an initializer's name, an opset entry) are a few
 * hundred bytes in real models; a larger one means a corrupt or hostile file, and buffering it
 * would defeat the point of streaming.
 */
export const MAX_DECODED_FIELD_BYTES = 1024 * 1024;

/**
 * The most inputs, and the most outputs, recorded of one model; the rest are counted, not kept, and
 * the signature says so (`truncated`). Real models declare a handful, large language models a few
 * hundred (past keys and values per layer); a hostile 2 MB file can declare 100,000, and every GET
 * of the model and every error of a test call would carry them all.
 */
export const MAX_SIGNATURE_TENSORS = 1024;

/**
 * What the recorded inputs and outputs may weigh together, as JSON: once spent, further tensors are
 * counted but not kept, as beyond MAX_SIGNATURE_TENSORS. Bounds a model record however long its
 * names and shapes are (1,024 inputs of rank 32 with long symbolic dimensions would be megabytes).
 */
export const MAX_SIGNATURE_JSON_CHARS = 256 * 1024;

/** producer_name is informational: kept, cut to this length. */
const MAX_PRODUCER_NAME_CHARS = 256;

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
  /** Inputs and outputs the model declares, recorded or not. */
  private inputCount = 0;
  private outputCount = 0;
  private signatureChars = 0;
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
    // Models before IR version 4 list their weights as graph inputs too; those are not inputs a
    // caller feeds. Inputs named by an initializer read earlier were never counted (exporters write
    // initializers first); those whose initializer came later are dropped here. Past the recording
    // limit such late ones cannot be told apart, and the count may be too high: only for files
    // assembled out of field order, which then cannot be tested, never wrongly run.
    const inputs = this.inputs.filter((input) => !this.initializerNames.has(input.name));
    const inputCount = this.inputCount - (this.inputs.length - inputs.length);
    const signature: ModelSignature = { inputs, outputs: [...this.outputs] };
    if (inputCount > inputs.length || this.outputCount > this.outputs.length) {
      signature.truncated = { input_count: inputCount, output_count: this.outputCount };
    }
    return signature;
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
      return this.startCollect(length, 'the producer name', (b) => (this.producerName = b.toString('utf8').slice(0, MAX_PRODUCER_NAME_CHARS)));
    }
    if (kind === 'GraphProto' && field === 11) return this.startCollect(length, 'a graph input', (b) => this.onValueInfo(b, 'input'));
    if (kind === 'GraphProto' && field === 12) return this.startCollect(length, 'a graph output', (b) => this.onValueInfo(b, 'output'));
    if (kind === 'GraphProto' && field === 5) return this.descend('TensorProto', length);
    if (kind === 'GraphProto' && field === 15) return this.descend('SparseTensorProto', length);
    if (kind === 'SparseTensorProto' && field === 1) return this.descend('TensorProto', length);
    if (kind === 'TensorProto' && field === 8) {
      return this.startCollect(length, 'an initializer name', (b) => this.initializerNames.add(b.toString('utf8')));
    }
    return this.startSkip(length);
  }

  /** Every input and output is decoded (and so checked); it is recorded while the limits allow. */
  private onValueInfo(bytes: Buffer, role: 'input' | 'output'): void {
    const spec = decodeValueInfo(bytes, role, role === 'input' ? this.inputCount : this.outputCount);
    if (role === 'input' && this.initializerNames.has(spec.name)) return;
    const list = role === 'input' ? this.inputs : this.outputs;
    const recorded = list.length === (role === 'input' ? this.inputCount : this.outputCount);
    if (role === 'input') this.inputCount++;
    else this.outputCount++;
    // Recording stops at the first tensor over a limit, so the lists are always the first ones declared.
    if (!recorded || list.length >= MAX_SIGNATURE_TENSORS) return;
    const chars = JSON.stringify(spec).length;
    if (this.signatureChars + chars > MAX_SIGNATURE_JSON_CHARS) return;
    this.signatureChars += chars;
    list.push(spec);
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
