import type { ModelSignature, TensorElementType, TensorSpec, TensorValue } from '@modelyard/contracts';
import { type InputFieldError, InputValidationError } from './model-formats.exception.js';

/**
 * Most elements one request may feed, over all its inputs: 10M float32 are 40 MB as a typed array
 * and several times that as parsed JSON, which is what one inference worker can afford per run.
 */
export const MAX_INPUT_ELEMENTS = 10_000_000;

/** Input names an error lists, the rest counted ("… and 99,990 more"): a model may declare thousands. */
export const MAX_LISTED_NAMES = 10;

/** Field errors one refusal reports, the rest counted: enough to fix a request, bounded for a model with 1,024 inputs. */
export const MAX_REPORTED_INPUT_ERRORS = 20;

/** Symbolic dimensions are quoted in messages up to this length. */
const MAX_QUOTED_DIM_CHARS = 40;

/** The element types `buildFeeds` can fill, and the array each is filled into (onnxruntime-node's own pairing). */
export interface FeedDataTypes {
  float32: Float32Array;
  float64: Float64Array;
  int8: Int8Array;
  uint8: Uint8Array;
  int16: Int16Array;
  uint16: Uint16Array;
  int32: Int32Array;
  uint32: Uint32Array;
  int64: BigInt64Array;
  uint64: BigUint64Array;
  /** 0 and 1. */
  bool: Uint8Array;
  string: string[];
}
export type FeedElementType = keyof FeedDataTypes;
export type TensorData = FeedDataTypes[FeedElementType];

/** A tensor ready for the runtime (`new ort.Tensor(element_type, data, dims)`), discriminated by its element type. */
export type InputTensor = {
  [T in FeedElementType]: { element_type: T; dims: number[]; data: FeedDataTypes[T] };
}[FeedElementType];

export interface BuildFeedsOptions {
  maxElements?: number;
}

type Converter = (value: unknown) => { ok: true; value: number | bigint | string } | { ok: false; message: string };

const FLOAT32_MAX = 3.4028234663852886e38;

function numberConverter(min: number, max: number, integer: boolean, typeName: string): Converter {
  return (value) => {
    if (typeof value !== 'number') return { ok: false, message: `expected a number (${typeName}), got ${describe(value)}` };
    if (integer && !Number.isInteger(value)) return { ok: false, message: `expected an integer (${typeName}), got ${value}` };
    if (value < min || value > max) return { ok: false, message: `${value} is out of the ${typeName} range [${min}, ${max}]` };
    return { ok: true, value };
  };
}

/**
 * int64 and uint64 take JSON numbers that are safe integers, or decimal strings for the rest of the
 * range (what `toTensorValue` gives back for them), since a JSON number beyond 2^53 has already
 * lost its last digits.
 */
function bigIntConverter(min: bigint, max: bigint, typeName: string): Converter {
  return (value) => {
    let big: bigint;
    if (typeof value === 'number') {
      if (!Number.isInteger(value)) return { ok: false, message: `expected an integer (${typeName}), got ${value}` };
      if (!Number.isSafeInteger(value)) {
        return { ok: false, message: `${value} is beyond 2^53 and not exact as a JSON number; give it as a decimal string` };
      }
      big = BigInt(value);
    } else if (typeof value === 'string' && /^-?\d{1,20}$/.test(value)) {
      big = BigInt(value);
    } else {
      return { ok: false, message: `expected an integer (${typeName}), got ${describe(value)}` };
    }
    if (big < min || big > max) return { ok: false, message: `${value} is out of the ${typeName} range [${min}, ${max}]` };
    return { ok: true, value: big };
  };
}

interface ElementKind {
  allocate(length: number): TensorData;
  convert: Converter;
}

function numeric(allocate: (length: number) => TensorData, convert: Converter): ElementKind {
  return { allocate, convert };
}

const ELEMENT_KINDS: Record<FeedElementType, ElementKind> = {
  float32: numeric(
    (n) => new Float32Array(n),
    (value) => {
      if (typeof value !== 'number') return { ok: false, message: `expected a number (float32), got ${describe(value)}` };
      if (Math.abs(value) > FLOAT32_MAX) return { ok: false, message: `${value} is out of the float32 range` };
      return { ok: true, value };
    },
  ),
  float64: numeric((n) => new Float64Array(n), numberConverter(-Infinity, Infinity, false, 'float64')),
  int8: numeric((n) => new Int8Array(n), numberConverter(-128, 127, true, 'int8')),
  uint8: numeric((n) => new Uint8Array(n), numberConverter(0, 255, true, 'uint8')),
  int16: numeric((n) => new Int16Array(n), numberConverter(-32768, 32767, true, 'int16')),
  uint16: numeric((n) => new Uint16Array(n), numberConverter(0, 65535, true, 'uint16')),
  int32: numeric((n) => new Int32Array(n), numberConverter(-2147483648, 2147483647, true, 'int32')),
  uint32: numeric((n) => new Uint32Array(n), numberConverter(0, 4294967295, true, 'uint32')),
  int64: numeric((n) => new BigInt64Array(n), bigIntConverter(-(2n ** 63n), 2n ** 63n - 1n, 'int64')),
  uint64: numeric((n) => new BigUint64Array(n), bigIntConverter(0n, 2n ** 64n - 1n, 'uint64')),
  bool: numeric(
    (n) => new Uint8Array(n),
    (value) => (typeof value === 'boolean' ? { ok: true, value: value ? 1 : 0 } : { ok: false, message: `expected true or false (bool), got ${describe(value)}` }),
  ),
  string: numeric(
    (n) => new Array<string>(n).fill(''),
    (value) => (typeof value === 'string' ? { ok: true, value } : { ok: false, message: `expected a string, got ${describe(value)}` }),
  ),
};

function isFeedElementType(type: TensorElementType): type is FeedElementType {
  return Object.hasOwn(ELEMENT_KINDS, type);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function formatShape(shape: TensorSpec['shape']): string {
  const dim = (d: number | string | null) => (d === null ? '?' : typeof d === 'string' && d.length > MAX_QUOTED_DIM_CHARS ? `${d.slice(0, MAX_QUOTED_DIM_CHARS)}…` : String(d));
  return `[${shape.map(dim).join(', ')}]`;
}

/** `a, b, c` — or the first MAX_LISTED_NAMES and how many more, out of `total` (a truncated signature lists fewer than the model has). */
function listNames(signature: ModelSignature): string {
  const total = signature.truncated?.input_count ?? signature.inputs.length;
  if (total === 0) return '(none)';
  const listed = signature.inputs.slice(0, MAX_LISTED_NAMES).map((i) => i.name);
  const more = total - listed.length;
  return more > 0 ? `${listed.join(', ')} … and ${more.toLocaleString('en-US')} more` : listed.join(', ');
}

/** Collects field errors up to MAX_REPORTED_INPUT_ERRORS and counts the others. */
class InputErrors {
  readonly list: InputFieldError[] = [];
  omitted = 0;

  push(error: InputFieldError): void {
    if (this.list.length < MAX_REPORTED_INPUT_ERRORS) this.list.push(error);
    else this.omitted++;
  }

  get length(): number {
    return this.list.length + this.omitted;
  }

  fail(): InputValidationError {
    return new InputValidationError(this.list, this.omitted);
  }
}

function describeSpec(spec: TensorSpec): string {
  return `${spec.element_type} ${formatShape(spec.shape)}`;
}

/**
 * Maps a request's `input_data` to one tensor per model input, by the signature recorded when the
 * model was stored, so every mistake is reported with its field before anything reaches the runtime.
 *
 * Accepted forms:
 * - `{ "inputs": { "<input name>": <nested arrays> } }`, always;
 * - `{ "inputs": <nested arrays> }` when the model has exactly one input: anything but a JSON
 *   object under `inputs` is that input's value (a rank-0 input takes a bare number).
 * Input names are never accepted at the top level (`{ "x": … }`): a model may name an input
 * `inputs`, and one form per meaning keeps errors clear; such keys are reported as unknown fields.
 *
 * Symbolic and unknown dimensions take any size, but one symbolic name (`batch`) has one size
 * across all inputs. float16 and bfloat16 inputs are refused: JSON numbers would need a lossy
 * conversion the caller cannot see.
 */
export function buildFeeds(inputData: Record<string, unknown>, signature: ModelSignature, options: BuildFeedsOptions = {}): Record<string, InputTensor> {
  const maxElements = options.maxElements ?? MAX_INPUT_ELEMENTS;
  const errors = new InputErrors();
  const expected = listNames(signature);

  if (!isPlainObject(inputData)) throw new InputValidationError([{ field: 'input_data', message: 'expected an object with an "inputs" field' }]);
  const declared = signature.truncated?.input_count ?? signature.inputs.length;
  if (declared > signature.inputs.length) {
    throw new InputValidationError([
      {
        field: 'input_data.inputs',
        message:
          `the model declares ${declared.toLocaleString('en-US')} inputs, more than the ${signature.inputs.length.toLocaleString('en-US')} Modelyard records ` +
          `(see config.signature.truncated), so a test call cannot give them all (the model takes: ${expected})`,
      },
    ]);
  }
  for (const key of Object.keys(inputData)) {
    if (key !== 'inputs') errors.push({ field: `input_data.${key}`, message: `unknown field; give tensors under input_data.inputs (the model takes: ${expected})` });
  }
  const given = inputData['inputs'];
  const values = new Map<string, { value: unknown; field: string }>();
  if (given === undefined) {
    errors.push({ field: 'input_data.inputs', message: `required: an object of tensors by input name (the model takes: ${expected})` });
  } else if (isPlainObject(given)) {
    const known = new Set(signature.inputs.map((i) => i.name));
    for (const [name, value] of Object.entries(given)) {
      const field = `input_data.inputs.${name}`;
      if (known.has(name)) values.set(name, { value, field });
      else errors.push({ field, message: `unknown input; the model takes: ${expected}` });
    }
    for (const spec of signature.inputs) {
      if (!values.has(spec.name)) errors.push({ field: `input_data.inputs.${spec.name}`, message: `required: ${describeSpec(spec)}` });
    }
  } else if (signature.inputs.length === 1) {
    values.set(signature.inputs[0]!.name, { value: given, field: 'input_data.inputs' });
  } else {
    errors.push({
      field: 'input_data.inputs',
      message: `the model takes ${signature.inputs.length} inputs (${expected}); give an object of tensors by input name`,
    });
  }
  if (errors.length > 0) throw errors.fail();

  const symbols = new Map<string, { size: number; field: string }>();
  const shaped: Array<{ name: string; elementType: FeedElementType; value: unknown; field: string; dims: number[]; kind: ElementKind }> = [];
  let totalElements = 0;
  for (const spec of signature.inputs) {
    const { value, field } = values.get(spec.name)!;
    const kind = isFeedElementType(spec.element_type) ? ELEMENT_KINDS[spec.element_type] : undefined;
    if (!kind) {
      errors.push({ field, message: `${spec.element_type} inputs are not supported: JSON numbers cannot be given as ${spec.element_type} without a silent loss of precision` });
      continue;
    }
    const dims = shapeOf(value, spec, field, symbols, errors);
    if (!dims) continue;
    totalElements += dims.reduce((a, b) => a * b, 1);
    if (totalElements > maxElements) {
      errors.push({ field, message: `too many elements: the inputs hold more than ${maxElements} in all` });
      throw errors.fail();
    }
    shaped.push({ name: spec.name, elementType: spec.element_type as FeedElementType, value, field, dims, kind });
  }
  if (errors.length > 0) throw errors.fail();

  const feeds: Record<string, InputTensor> = {};
  for (const { name, elementType, value, field, dims, kind } of shaped) {
    const data = kind.allocate(dims.reduce((a, b) => a * b, 1));
    const error = fill(value, dims, kind.convert, data, field);
    // ELEMENT_KINDS pairs each element type with its array, as InputTensor does.
    if (error) errors.push(error);
    else feeds[name] = { element_type: elementType, dims, data } as InputTensor;
  }
  if (errors.length > 0) throw errors.fail();
  return feeds;
}

/** The dims of `value` read along its first elements, checked against the spec's rank and dimensions; null after recording an error. */
function shapeOf(
  value: unknown,
  spec: TensorSpec,
  field: string,
  symbols: Map<string, { size: number; field: string }>,
  errors: InputErrors,
): number[] | null {
  const rank = spec.shape.length;
  const dims: number[] = [];
  let cursor = value;
  while (Array.isArray(cursor)) {
    dims.push(cursor.length);
    if (cursor.length === 0) break;
    cursor = cursor[0];
  }
  const emptyEarly = dims.length > 0 && dims[dims.length - 1] === 0 && dims.length < rank;
  if (emptyEarly) {
    // An empty array hides the sizes below it; the tensor is empty whatever they are.
    for (let d = dims.length; d < rank; d++) {
      const dim = spec.shape[d];
      dims.push(typeof dim === 'number' ? dim : 0);
    }
  } else if (dims.length !== rank) {
    errors.push({
      field,
      message:
        rank === 0
          ? `expected a single value (${spec.element_type} scalar), got an array`
          : `expected a rank-${rank} tensor (${describeSpec(spec)}) as ${rank} levels of nested arrays, got ${dims.length}`,
    });
    return null;
  }

  for (let d = 0; d < rank; d++) {
    const want = spec.shape[d];
    const got = dims[d]!;
    if (typeof want === 'number' && want >= 0 && want !== got) {
      errors.push({ field, message: `dimension ${d} is ${got}, the model expects ${want} (${describeSpec(spec)})` });
      return null;
    }
    if (typeof want === 'string') {
      const seen = symbols.get(want);
      if (!seen) symbols.set(want, { size: got, field });
      else if (seen.size !== got) {
        errors.push({ field, message: `dimension ${d} ("${want}") is ${got}, but ${seen.size} in ${seen.field}; "${want}" must have one size` });
        return null;
      }
    }
  }
  return dims;
}

/** Copies `value` into `data` row by row, checking that no row is ragged and every element converts; the first problem found, else null. */
function fill(value: unknown, dims: readonly number[], convert: Converter, data: TensorData, field: string): InputFieldError | null {
  const rank = dims.length;
  let offset = 0;
  const store = data as unknown as { [index: number]: unknown };

  const walk = (node: unknown, depth: number, path: string): InputFieldError | null => {
    if (depth === rank) {
      if (Array.isArray(node)) return { field: `${field}${path}`, message: `ragged: expected a single value at depth ${depth}, got an array` };
      const converted = convert(node);
      if (!converted.ok) return { field: `${field}${path}`, message: converted.message };
      store[offset++] = converted.value;
      return null;
    }
    if (!Array.isArray(node)) return { field: `${field}${path}`, message: `ragged: expected an array of ${dims[depth]}, got ${describe(node)}` };
    if (node.length !== dims[depth]) {
      return { field: `${field}${path}`, message: `ragged: expected an array of ${dims[depth]} (as its first sibling), got ${node.length}` };
    }
    for (let i = 0; i < node.length; i++) {
      const error = walk(node[i], depth + 1, `${path}[${i}]`);
      if (error) return error;
    }
    return null;
  };

  return walk(value, 0, '');
}

/**
 * A runtime output as JSON: `data` nested by `dims` (a bare value for rank 0). JSON cannot carry
 * everything a tensor can, so: int64/uint64 become numbers when they are safe integers and decimal
 * strings otherwise; NaN and ±Infinity become null; bool becomes true/false; float16/bfloat16 given
 * as raw 16-bit patterns (a Uint16Array) are decoded to numbers.
 */
export function toTensorValue(tensor: { type: string; dims: readonly number[]; data: ArrayLike<unknown> }): TensorValue {
  const { type, dims, data } = tensor;
  const count = dims.reduce((a, b) => a * b, 1);
  if (data.length !== count) throw new Error(`Tensor data has ${data.length} elements, its dims [${dims.join(', ')}] need ${count}`);
  const element = elementToJson(type, data instanceof Uint16Array);

  let offset = 0;
  const nest = (depth: number): unknown => {
    if (depth === dims.length) return element(data[offset++]);
    const row: unknown[] = new Array(dims[depth]!);
    for (let i = 0; i < row.length; i++) row[i] = nest(depth + 1);
    return row;
  };
  return { element_type: type, shape: [...dims], data: nest(0) };
}

function elementToJson(type: string, rawHalf: boolean): (value: unknown) => unknown {
  if (type === 'bool') return (value) => Boolean(value);
  if (type === 'float16' && rawHalf) return (value) => finiteOrNull(halfToNumber(value as number));
  if (type === 'bfloat16' && rawHalf) return (value) => finiteOrNull(bfloat16ToNumber(value as number));
  return (value) => {
    if (typeof value === 'bigint') {
      return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value.toString();
    }
    if (typeof value === 'number') return finiteOrNull(value);
    return value;
  };
}

function finiteOrNull(value: number): number | null {
  return Number.isFinite(value) ? value : null;
}

/** IEEE 754 binary16 bit pattern to a number. */
function halfToNumber(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 0x1f) return fraction ? NaN : sign * Infinity;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

const bfloat16Scratch = new DataView(new ArrayBuffer(4));

/** bfloat16 is the upper half of a float32. */
function bfloat16ToNumber(bits: number): number {
  bfloat16Scratch.setUint32(0, bits << 16);
  return bfloat16Scratch.getFloat32(0);
}
