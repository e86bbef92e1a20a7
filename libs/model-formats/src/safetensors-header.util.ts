import { InvalidModelFileError } from './model-formats.exception.js';

/**
 * The safetensors format caps its JSON header at 100 MB (the reference implementation refuses a
 * larger length prefix); a header up to this size is held in memory while it is parsed.
 */
export const SAFETENSORS_MAX_HEADER_BYTES = 100_000_000;

/** Bits per element of each dtype the safetensors format defines (sub-byte floats included). */
export const SAFETENSORS_DTYPE_BITS: Readonly<Record<string, number>> = {
  BOOL: 8,
  U8: 8,
  I8: 8,
  F8_E5M2: 8,
  F8_E4M3: 8,
  F8_E8M0: 8,
  F4: 4,
  F6_E2M3: 6,
  F6_E3M2: 6,
  I16: 16,
  U16: 16,
  F16: 16,
  BF16: 16,
  I32: 32,
  U32: 32,
  F32: 32,
  I64: 64,
  U64: 64,
  F64: 64,
  C64: 64,
};

/** One tensor of the header, as checked. */
export interface SafetensorsTensor {
  name: string;
  dtype: string;
  shape: number[];
  begin: number;
  end: number;
}

/** What a valid header declares. */
export interface SafetensorsHeader {
  headerLength: number;
  tensors: SafetensorsTensor[];
  metadata: Record<string, string> | null;
  /** 8 + header length + the end of the last tensor's data: the size the whole file must have. */
  fileSize: number;
}

const LENGTH_PREFIX_BYTES = 8;
/** Names are quoted in errors; a hostile header must not make the error itself huge. */
const MAX_QUOTED_NAME = 80;

/**
 * Checks a safetensors file as it streams past, holding only its header: an 8-byte little-endian
 * header length N, N bytes of UTF-8 JSON, then the tensors' bytes. The header must be an object of
 * tensors (`dtype` from the format's list, `shape` of non-negative integers, `data_offsets`
 * [begin, end] relative to the data section with end - begin = elements × dtype size), laid out
 * back to back from offset 0 without gap or overlap, plus an optional `__metadata__` of string
 * values; and the file must end exactly where the last tensor does — the rules the reference
 * implementation applies when it loads a file, so a truncated or padded upload is refused here
 * instead of failing on first use.
 */
export class SafetensorsReader {
  private prefix = Buffer.alloc(0);
  private headerLength: number | null = null;
  private headerChunks: Buffer[] = [];
  private headerBytes = 0;
  private parsed: SafetensorsHeader | null = null;
  private total = 0;
  private failure: InvalidModelFileError | null = null;
  private ended = false;

  /** The first problem found in the bytes so far; `end()` throws it. */
  get error(): InvalidModelFileError | null {
    return this.failure;
  }

  write(chunk: Uint8Array): void {
    if (this.ended) throw new Error('SafetensorsReader.write() after end()');
    if (this.failure) return;
    this.total += chunk.length;
    let rest = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (this.headerLength === null) {
      const needed = LENGTH_PREFIX_BYTES - this.prefix.length;
      this.prefix = Buffer.concat([this.prefix, rest.subarray(0, needed)]);
      rest = rest.subarray(needed);
      if (this.prefix.length < LENGTH_PREFIX_BYTES) return;
      const length = this.prefix.readBigUInt64LE(0);
      if (length < 2n || length > BigInt(SAFETENSORS_MAX_HEADER_BYTES)) {
        this.fail(`the header length ${length} is out of range (2 to ${SAFETENSORS_MAX_HEADER_BYTES} bytes)`);
        return;
      }
      this.headerLength = Number(length);
    }
    if (!this.parsed) {
      const taken = rest.subarray(0, this.headerLength - this.headerBytes);
      if (taken.length) {
        this.headerChunks.push(Buffer.from(taken));
        this.headerBytes += taken.length;
      }
      if (this.headerBytes < this.headerLength) return;
      const header = Buffer.concat(this.headerChunks);
      this.headerChunks = [];
      try {
        this.parsed = parseSafetensorsHeader(header);
      } catch (error) {
        this.fail(error instanceof Error ? error.message : String(error));
        return;
      }
    }
    // Refused at the first byte past the end, not after storing a file of any length.
    if (this.total > this.parsed.fileSize) {
      this.fail(`the file is longer than its header says: the tensors end at byte ${this.parsed.fileSize}, but more bytes follow`);
    }
  }

  /** The checked header, once the whole file has been written; throws what is wrong otherwise. */
  end(): SafetensorsHeader {
    this.ended = true;
    if (this.failure) throw this.failure;
    if (this.headerLength === null) throw this.fail(`the file is truncated: ${this.total} bytes, too short for the 8-byte header length`);
    if (!this.parsed) throw this.fail(`the file is truncated inside its header: ${this.headerBytes} of ${this.headerLength} header bytes present`);
    if (this.total < this.parsed.fileSize) {
      throw this.fail(`the file is truncated: the tensors end at byte ${this.parsed.fileSize}, but the file has ${this.total} bytes`);
    }
    return this.parsed;
  }

  private fail(reason: string): InvalidModelFileError {
    this.failure ??= new InvalidModelFileError(`Not a valid safetensors file: ${reason}.`);
    return this.failure;
  }
}

/** Checks a safetensors JSON header (the N bytes after the length prefix); throws a message naming what is wrong. */
export function parseSafetensorsHeader(bytes: Uint8Array): SafetensorsHeader {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new Error('the header is not UTF-8');
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(`the header is not JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  if (!isObject(json)) throw new Error('the header is not a JSON object');

  let metadata: Record<string, string> | null = null;
  const tensors: SafetensorsTensor[] = [];
  for (const [name, value] of Object.entries(json)) {
    if (name === '__metadata__') {
      metadata = checkMetadata(value);
      continue;
    }
    tensors.push(checkTensor(name, value));
  }

  // Back to back from 0, in offset order: no gap (unaccounted bytes) and no overlap (two tensors sharing bytes).
  tensors.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let expectedBegin = 0;
  for (const tensor of tensors) {
    if (tensor.begin !== expectedBegin) {
      const what = tensor.begin < expectedBegin ? 'overlaps the tensor before it' : 'leaves a gap after the tensor before it';
      throw new Error(`tensor ${quote(tensor.name)} ${what}: its data starts at ${tensor.begin}, expected ${expectedBegin}`);
    }
    expectedBegin = tensor.end;
  }
  const fileSize = LENGTH_PREFIX_BYTES + bytes.length + expectedBegin;
  return { headerLength: bytes.length, tensors, metadata, fileSize };
}

function checkTensor(name: string, value: unknown): SafetensorsTensor {
  const at = `tensor ${quote(name)}`;
  if (!isObject(value)) throw new Error(`${at} is not an object with dtype, shape and data_offsets`);
  const { dtype, shape, data_offsets: offsets } = value;
  if (typeof dtype !== 'string' || !(dtype in SAFETENSORS_DTYPE_BITS)) {
    throw new Error(`${at} has dtype ${quote(String(dtype))}, not one of ${Object.keys(SAFETENSORS_DTYPE_BITS).join(' ')}`);
  }
  if (!Array.isArray(shape) || !shape.every(isCount)) throw new Error(`${at} has a shape that is not a list of non-negative integers`);
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount)) {
    throw new Error(`${at} has data_offsets that are not [begin, end] as non-negative integers`);
  }
  const [begin, end] = offsets as [number, number];
  if (end < begin) throw new Error(`${at} has data_offsets [${begin}, ${end}] that end before they begin`);
  // Exact arithmetic: a hostile shape can multiply past 2^53.
  const bits = BigInt(SAFETENSORS_DTYPE_BITS[dtype]!) * (shape as number[]).reduce((product, dim) => product * BigInt(dim), 1n);
  if (bits % 8n !== 0n) throw new Error(`${at}: shape [${shape.join(', ')}] of ${dtype} is not a whole number of bytes`);
  const needed = bits / 8n;
  if (BigInt(end - begin) !== needed) {
    throw new Error(`${at}: data_offsets [${begin}, ${end}] hold ${end - begin} bytes, but shape [${shape.join(', ')}] of ${dtype} needs ${needed}`);
  }
  return { name, dtype, shape: shape as number[], begin, end };
}

function checkMetadata(value: unknown): Record<string, string> | null {
  if (value === null) return null;
  if (!isObject(value)) throw new Error('__metadata__ is not an object of strings');
  for (const [key, member] of Object.entries(value)) {
    if (typeof member !== 'string') throw new Error(`__metadata__ member ${quote(key)} is not a string`);
  }
  return value as Record<string, string>;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const isCount = (value: unknown): value is number => typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
const quote = (name: string): string => JSON.stringify(name.length > MAX_QUOTED_NAME ? `${name.slice(0, MAX_QUOTED_NAME)}…` : name);
