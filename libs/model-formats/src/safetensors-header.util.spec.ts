import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { InvalidModelFileError } from './model-formats.exception.js';
import { SAFETENSORS_MAX_HEADER_BYTES, SafetensorsReader } from './safetensors-header.util.js';

/*
 * Made by the reference implementation (safetensors 0.8.0 on PyPI, numpy 2.4), in a throw-away venv:
 *   save_file({"embed.weight": np.arange(12, dtype=np.float32).reshape(3, 4),
 *              "embed.bias": np.array([0.5, -0.5, 1.5], dtype=np.float16),
 *              "positions": np.arange(5, dtype=np.int64), "mask": np.array([True, False, True, True]),
 *              "scalar": np.array(7, dtype=np.uint8), "empty": np.zeros((0, 3), dtype=np.float64)},
 *             "tensors.safetensors", metadata={"format": "np", "made_by": "safetensors 0.8.0"})
 * Its header is padded with spaces to a multiple of 8 bytes, as the library writes it.
 */
const REAL = readFileSync(new URL('../test/fixtures/tensors.safetensors', import.meta.url));

/** A file written by hand: the length prefix, the header as given (JSON text, bytes, or a value to serialise), then `data`. */
function file(header: unknown, data?: Buffer): Buffer {
  const json = Buffer.isBuffer(header) ? header : Buffer.from(typeof header === 'string' ? header : JSON.stringify(header));
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([length, json, data ?? Buffer.alloc(0)]);
}

const TWO_TENSORS = {
  __metadata__: { format: 'pt' },
  w: { dtype: 'F32', shape: [2, 2], data_offsets: [0, 16] },
  b: { dtype: 'BF16', shape: [2], data_offsets: [16, 20] },
};
const GOOD = file(TWO_TENSORS, Buffer.alloc(20, 7));

/** Writes `bytes` in `chunkSize`-byte chunks and ends; returns the header or throws what end() threw. */
function read(bytes: Buffer, chunkSize = bytes.length || 1) {
  const reader = new SafetensorsReader();
  for (let i = 0; i < bytes.length; i += chunkSize) reader.write(bytes.subarray(i, i + chunkSize));
  return reader.end();
}

describe('SafetensorsReader', () => {
  it('accepts a file made by the safetensors library, with every tensor and the metadata', () => {
    const header = read(REAL);

    expect(header.metadata).toEqual({ format: 'np', made_by: 'safetensors 0.8.0' });
    expect(header.fileSize).toBe(REAL.length);
    expect(Object.fromEntries(header.tensors.map((t) => [t.name, [t.dtype, t.shape, t.end - t.begin]]))).toEqual({
      'embed.weight': ['F32', [3, 4], 48],
      'embed.bias': ['F16', [3], 6],
      positions: ['I64', [5], 40],
      mask: ['BOOL', [4], 4],
      scalar: ['U8', [], 1],
      empty: ['F64', [0, 3], 0],
    });
  });

  it.each([1, 7, 8, 9, 100])('reads it arriving in %i-byte chunks', (size) => {
    expect(read(REAL, size).fileSize).toBe(REAL.length);
  });

  it('accepts a file written by hand, and one with no tensors at all', () => {
    expect(read(GOOD)).toMatchObject({ headerLength: JSON.stringify(TWO_TENSORS).length, fileSize: GOOD.length, metadata: { format: 'pt' } });
    expect(read(file({})).tensors).toEqual([]);
    const fp4 = file({ __metadata__: null, x: { dtype: 'F4', shape: [3, 2], data_offsets: [0, 3] } }, Buffer.alloc(3));
    expect(read(fp4).fileSize).toBe(fp4.length);
  });

  it.each([
    ['cut inside the tensor data', REAL.subarray(0, REAL.length - 1), /truncated: the tensors end at byte 547, but the file has 546 bytes/],
    ['cut right after the header', REAL.subarray(0, 8 + Number(REAL.readBigUInt64LE(0))), /truncated: the tensors end at byte 547/],
    ['cut inside the header', REAL.subarray(0, 100), /truncated inside its header: 92 of \d+ header bytes present/],
    ['cut inside the length prefix', REAL.subarray(0, 5), /truncated: 5 bytes, too short for the 8-byte header length/],
    ['empty', Buffer.alloc(0), /truncated: 0 bytes/],
  ])('refuses a truncated file (%s)', (_case, bytes, reason) => {
    expect(() => read(bytes)).toThrow(InvalidModelFileError);
    expect(() => read(bytes)).toThrow(reason);
  });

  it('refuses a byte past the end as soon as it arrives, not at the end', () => {
    const reader = new SafetensorsReader();
    reader.write(GOOD);
    expect(reader.error).toBeNull();

    reader.write(Buffer.from([0]));

    expect(reader.error?.message).toMatch(`longer than its header says: the tensors end at byte ${GOOD.length}, but more bytes follow`);
    expect(() => reader.end()).toThrow(reader.error!);
  });

  it.each([
    ['a length prefix over the format limit', (() => { const b = Buffer.alloc(16); b.writeBigUInt64LE(BigInt(SAFETENSORS_MAX_HEADER_BYTES) + 1n); return b; })(), /header length 100000001 is out of range/],
    ['a length prefix of 1', file('{'), /header length 1 is out of range/],
    ['a header that is not UTF-8', file(Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d])), /header is not UTF-8/],
    ['a header that is not JSON', file('{"w": '), /header is not JSON/],
    ['a header that is a list', file('[1, 2]'), /header is not a JSON object/],
    ['a tensor that is not an object', file({ w: 3 }), /tensor "w" is not an object with dtype, shape and data_offsets/],
    ['an unknown dtype', file({ w: { dtype: 'F128', shape: [1], data_offsets: [0, 16] } }), /tensor "w" has dtype "F128", not one of BOOL U8 I8/],
    ['a missing dtype', file({ w: { shape: [1], data_offsets: [0, 4] } }), /tensor "w" has dtype "undefined"/],
    ['a negative dimension', file({ w: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }), /tensor "w" has a shape that is not a list of non-negative integers/],
    ['a fractional dimension', file({ w: { dtype: 'F32', shape: [1.5], data_offsets: [0, 6] } }), /shape that is not a list of non-negative integers/],
    ['a shape that is not a list', file({ w: { dtype: 'F32', shape: 4, data_offsets: [0, 16] } }), /shape that is not a list/],
    ['offsets that are not a pair', file({ w: { dtype: 'F32', shape: [1], data_offsets: [0, 4, 8] } }), /data_offsets that are not \[begin, end\]/],
    ['offsets that are strings', file({ w: { dtype: 'F32', shape: [1], data_offsets: ['0', '4'] } }), /data_offsets that are not \[begin, end\]/],
    ['offsets that end before they begin', file({ w: { dtype: 'F32', shape: [0], data_offsets: [4, 0] } }), /data_offsets \[4, 0\] that end before they begin/],
    ['offsets that hold too few bytes', file({ w: { dtype: 'F32', shape: [2], data_offsets: [0, 7] } }), /tensor "w": data_offsets \[0, 7\] hold 7 bytes, but shape \[2\] of F32 needs 8/],
    ['offsets that hold too many bytes', file({ w: { dtype: 'U8', shape: [2, 3], data_offsets: [0, 7] } }), /hold 7 bytes, but shape \[2, 3\] of U8 needs 6/],
    ['a shape whose size overflows', file({ w: { dtype: 'F64', shape: [2 ** 40, 2 ** 40], data_offsets: [0, 8] } }), /needs 9671406556917033397649408/],
    ['sub-byte elements that do not fill a byte', file({ w: { dtype: 'F4', shape: [3], data_offsets: [0, 2] } }), /shape \[3\] of F4 is not a whole number of bytes/],
    ['data that does not start at 0', file({ w: { dtype: 'U8', shape: [4], data_offsets: [4, 8] } }), /tensor "w" leaves a gap after the tensor before it: its data starts at 4, expected 0/],
    ['a gap between tensors', file({ a: { dtype: 'U8', shape: [4], data_offsets: [0, 4] }, b: { dtype: 'U8', shape: [4], data_offsets: [5, 9] } }), /tensor "b" leaves a gap/],
    ['overlapping tensors', file({ a: { dtype: 'U8', shape: [4], data_offsets: [0, 4] }, b: { dtype: 'U8', shape: [4], data_offsets: [2, 6] } }), /tensor "b" overlaps the tensor before it: its data starts at 2, expected 4/],
    ['metadata that is not an object', file({ __metadata__: ['a'] }), /__metadata__ is not an object of strings/],
    ['metadata with a number', file({ __metadata__: { epochs: 3 } }), /__metadata__ member "epochs" is not a string/],
  ])('refuses %s, naming it', (_case, bytes, reason) => {
    const reader = new SafetensorsReader();
    reader.write(bytes);
    expect(() => reader.end()).toThrow(InvalidModelFileError);
    expect(reader.error!.message).toMatch(/^Not a valid safetensors file: /);
    expect(reader.error!.message).toMatch(reason);
  });

  it('keeps a hostile tensor name short in its error', () => {
    const name = 'x'.repeat(10_000);
    const reader = new SafetensorsReader();
    reader.write(file({ [name]: { dtype: 'NOPE', shape: [], data_offsets: [0, 1] } }));

    expect(reader.error!.message.length).toBeLessThan(400);
  });

  it('stops looking once it has found a problem', () => {
    const reader = new SafetensorsReader();
    reader.write(file('[]'));
    const first = reader.error;

    reader.write(Buffer.alloc(100));

    expect(reader.error).toBe(first);
  });
});
