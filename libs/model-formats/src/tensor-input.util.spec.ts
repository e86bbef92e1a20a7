import { describe, expect, it } from '@jest/globals';
import type { ModelSignature, TensorSpec } from '@modelyard/contracts';
import { InputValidationError } from './model-formats.exception.js';
import { buildFeeds, MAX_LISTED_NAMES, MAX_REPORTED_INPUT_ERRORS, toTensorValue } from './tensor-input.util.js';

function signature(...inputs: TensorSpec[]): ModelSignature {
  return { inputs, outputs: [{ name: 'y', element_type: 'float32', shape: ['batch', 1] }] };
}

const LINEAR = signature({ name: 'x', element_type: 'float32', shape: ['batch', 3] });
const PAIR = signature({ name: 'a', element_type: 'int64', shape: ['n'] }, { name: 'b', element_type: 'int64', shape: ['n'] });

/** The errors buildFeeds throws, which must be an InputValidationError. */
function errorsOf(inputData: Record<string, unknown>, sig: ModelSignature, maxElements?: number) {
  try {
    buildFeeds(inputData, sig, maxElements === undefined ? {} : { maxElements });
  } catch (error) {
    if (error instanceof InputValidationError) return error.errors;
    throw error;
  }
  throw new Error('buildFeeds accepted the input');
}

describe('buildFeeds', () => {
  it('maps { inputs: { name: nested arrays } } to typed arrays with dims, by the signature', () => {
    const feeds = buildFeeds({ inputs: { x: [[1, 2, 3], [4, 5.5, -6]] } }, LINEAR);
    expect(feeds).toEqual({ x: { element_type: 'float32', dims: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5.5, -6]) } });
    expect(feeds['x']!.data).toBeInstanceOf(Float32Array);
  });

  it('takes the value of a single-input model directly under inputs', () => {
    expect(buildFeeds({ inputs: [[0, 0, 1]] }, LINEAR)['x']).toEqual({ element_type: 'float32', dims: [1, 3], data: Float32Array.from([0, 0, 1]) });
    const scalar = signature({ name: 't', element_type: 'float64', shape: [] });
    expect(buildFeeds({ inputs: 0.25 }, scalar)['t']).toEqual({ element_type: 'float64', dims: [], data: Float64Array.from([0.25]) });
  });

  it.each([
    ['int8', [-128, 127], Int8Array],
    ['uint8', [0, 255], Uint8Array],
    ['int16', [-32768, 32767], Int16Array],
    ['uint16', [0, 65535], Uint16Array],
    ['int32', [-2147483648, 2147483647], Int32Array],
    ['uint32', [0, 4294967295], Uint32Array],
    ['float64', [1e300, -1e-300], Float64Array],
  ] as const)('fills %s inputs at the ends of their range', (type, values, Expected) => {
    const { v } = buildFeeds({ inputs: { v: values } }, signature({ name: 'v', element_type: type, shape: [2] }));
    expect(v!.data).toBeInstanceOf(Expected);
    expect(Array.from(v!.data as ArrayLike<number>)).toEqual(values);
  });

  it('fills int64 and uint64 from safe integers and decimal strings, across their whole range', () => {
    const sig = signature({ name: 'i', element_type: 'int64', shape: [3] }, { name: 'u', element_type: 'uint64', shape: [2] });
    const feeds = buildFeeds({ inputs: { i: ['-9223372036854775808', 42, '9223372036854775807'], u: ['18446744073709551615', 0] } }, sig);
    expect(feeds['i']!.data).toEqual(BigInt64Array.from([-(2n ** 63n), 42n, 2n ** 63n - 1n]));
    expect(feeds['u']!.data).toEqual(BigUint64Array.from([2n ** 64n - 1n, 0n]));
  });

  it('fills bool as 0/1 bytes and string tensors as arrays of strings', () => {
    const sig = signature({ name: 'mask', element_type: 'bool', shape: [3] }, { name: 'text', element_type: 'string', shape: [1, 2] });
    expect(buildFeeds({ inputs: { mask: [true, false, true], text: [['a', 'b']] } }, sig)).toEqual({
      mask: { element_type: 'bool', dims: [3], data: Uint8Array.from([1, 0, 1]) },
      text: { element_type: 'string', dims: [1, 2], data: ['a', 'b'] },
    });
  });

  it('lets unknown dimensions take any size and a symbolic one one size across inputs', () => {
    const sig = signature({ name: 'a', element_type: 'float32', shape: [null, 'n'] }, { name: 'b', element_type: 'float32', shape: ['n'] });
    expect(buildFeeds({ inputs: { a: [[1, 2]], b: [3, 4] } }, sig)['a']!.dims).toEqual([1, 2]);
    expect(errorsOf({ inputs: { a: [[1, 2]], b: [3, 4, 5] } }, sig)).toEqual([
      { field: 'input_data.inputs.b', message: 'dimension 0 ("n") is 3, but 2 in input_data.inputs.a; "n" must have one size' },
    ]);
  });

  it('accepts an empty batch, taking the fixed sizes below it from the signature', () => {
    expect(buildFeeds({ inputs: { x: [] } }, LINEAR)['x']).toEqual({ element_type: 'float32', dims: [0, 3], data: new Float32Array(0) });
  });

  describe('names every field at fault', () => {
    it.each([
      ['no inputs field', {}, LINEAR, [{ field: 'input_data.inputs', message: 'required: an object of tensors by input name (the model takes: x)' }]],
      [
        'input names at the top level',
        { x: [[1, 2, 3]] },
        LINEAR,
        [
          { field: 'input_data.x', message: 'unknown field; give tensors under input_data.inputs (the model takes: x)' },
          { field: 'input_data.inputs', message: 'required: an object of tensors by input name (the model takes: x)' },
        ],
      ],
      [
        'an unknown input and a missing one',
        { inputs: { a: [1], c: [2] } },
        PAIR,
        [
          { field: 'input_data.inputs.c', message: 'unknown input; the model takes: a, b' },
          { field: 'input_data.inputs.b', message: 'required: int64 [n]' },
        ],
      ],
      [
        'a bare value for a two-input model',
        { inputs: [1, 2] },
        PAIR,
        [{ field: 'input_data.inputs', message: 'the model takes 2 inputs (a, b); give an object of tensors by input name' }],
      ],
      [
        'a fixed dimension of another size',
        { inputs: { x: [[1, 2]] } },
        LINEAR,
        [{ field: 'input_data.inputs.x', message: 'dimension 1 is 2, the model expects 3 (float32 [batch, 3])' }],
      ],
      [
        'too few levels of nesting',
        { inputs: { x: [1, 2, 3] } },
        LINEAR,
        [{ field: 'input_data.inputs.x', message: 'expected a rank-2 tensor (float32 [batch, 3]) as 2 levels of nested arrays, got 1' }],
      ],
      [
        'too many levels of nesting',
        { inputs: { x: [[[1], [2], [3]]] } },
        LINEAR,
        [{ field: 'input_data.inputs.x', message: 'expected a rank-2 tensor (float32 [batch, 3]) as 2 levels of nested arrays, got 3' }],
      ],
      ['a ragged row', { inputs: { x: [[1, 2, 3], [4, 5]] } }, LINEAR, [{ field: 'input_data.inputs.x[1]', message: 'ragged: expected an array of 3 (as its first sibling), got 2' }]],
      ['a number where a row goes', { inputs: { x: [[1, 2, 3], 4] } }, LINEAR, [{ field: 'input_data.inputs.x[1]', message: 'ragged: expected an array of 3, got number 4' }]],
      ['an array where a number goes', { inputs: { x: [[1, 2, [3]]] } }, LINEAR, [{ field: 'input_data.inputs.x[0][2]', message: 'ragged: expected a single value at depth 2, got an array' }]],
      ['a string for a float', { inputs: { x: [[1, '2', 3]] } }, LINEAR, [{ field: 'input_data.inputs.x[0][1]', message: 'expected a number (float32), got the string "2"' }]],
      ['null for a float', { inputs: [[1, 2, null]] }, LINEAR, [{ field: 'input_data.inputs[0][2]', message: 'expected a number (float32), got null' }]],
      ['a float beyond float32', { inputs: [[1e39, 0, 0]] }, LINEAR, [{ field: 'input_data.inputs[0][0]', message: '1e+39 is out of the float32 range' }]],
      ['a fraction for an int64', { inputs: { a: [1.5], b: [1] } }, PAIR, [{ field: 'input_data.inputs.a[0]', message: 'expected an integer (int64), got 1.5' }]],
      [
        'an unsafe integer for an int64',
        { inputs: { a: [2 ** 60], b: [1] } },
        PAIR,
        [{ field: 'input_data.inputs.a[0]', message: '1152921504606847000 is beyond 2^53 and not exact as a JSON number; give it as a decimal string' }],
      ],
      [
        'a string beyond int64',
        { inputs: { a: ['9223372036854775808'], b: [1] } },
        PAIR,
        [{ field: 'input_data.inputs.a[0]', message: '9223372036854775808 is out of the int64 range [-9223372036854775808, 9223372036854775807]' }],
      ],
      ['a non-numeric string for an int64', { inputs: { a: ['1e3'], b: [1] } }, PAIR, [{ field: 'input_data.inputs.a[0]', message: 'expected an integer (int64), got the string "1e3"' }]],
      ['a negative uint8', { inputs: [-1] }, signature({ name: 'p', element_type: 'uint8', shape: [1] }), [{ field: 'input_data.inputs[0]', message: '-1 is out of the uint8 range [0, 255]' }]],
      ['256 for a uint8', { inputs: [256] }, signature({ name: 'p', element_type: 'uint8', shape: [1] }), [{ field: 'input_data.inputs[0]', message: '256 is out of the uint8 range [0, 255]' }]],
      ['128 for an int8', { inputs: [128] }, signature({ name: 'p', element_type: 'int8', shape: [1] }), [{ field: 'input_data.inputs[0]', message: '128 is out of the int8 range [-128, 127]' }]],
      ['1 for a bool', { inputs: [1] }, signature({ name: 'm', element_type: 'bool', shape: [1] }), [{ field: 'input_data.inputs[0]', message: 'expected true or false (bool), got number 1' }]],
      ['a number for a string', { inputs: [1] }, signature({ name: 's', element_type: 'string', shape: [1] }), [{ field: 'input_data.inputs[0]', message: 'expected a string, got number 1' }]],
      ['an array for a scalar', { inputs: [1] }, signature({ name: 't', element_type: 'float32', shape: [] }), [{ field: 'input_data.inputs', message: 'expected a single value (float32 scalar), got an array' }]],
      [
        'a float16 input',
        { inputs: [1] },
        signature({ name: 'h', element_type: 'float16', shape: [1] }),
        [{ field: 'input_data.inputs', message: 'float16 inputs are not supported: JSON numbers cannot be given as float16 without a silent loss of precision' }],
      ],
    ])('%s', (_what, inputData, sig, errors) => {
      expect(errorsOf(inputData, sig)).toEqual(errors);
    });

    it('reports a problem in each input, not only the first', () => {
      expect(errorsOf({ inputs: { a: [1, 'x'], b: [true, 2] } }, PAIR).map((e) => e.field)).toEqual(['input_data.inputs.a[1]', 'input_data.inputs.b[0]']);
    });

    it('refuses more elements than the limit, over all inputs, before allocating them', () => {
      const row = new Array(600).fill(0);
      expect(errorsOf({ inputs: { a: row, b: row } }, PAIR, 1000)).toEqual([
        { field: 'input_data.inputs.b', message: 'too many elements: the inputs hold more than 1000 in all' },
      ]);
      expect(() => buildFeeds({ inputs: { a: row, b: row } }, PAIR, { maxElements: 1200 })).not.toThrow();
    });

    it('refuses a claimed shape far beyond the limit without walking it', () => {
      const wide = new Array(1e5).fill(0);
      const tall = new Array(1e5).fill(wide);
      expect(errorsOf({ inputs: tall }, signature({ name: 'x', element_type: 'float32', shape: [null, null] }))).toEqual([
        { field: 'input_data.inputs', message: 'too many elements: the inputs hold more than 10000000 in all' },
      ]);
    });
  });
});

describe('buildFeeds with models of many inputs', () => {
  const inputs = (count: number): TensorSpec[] => Array.from({ length: count }, (_, i) => ({ name: `in_${i}`, element_type: 'float32', shape: [1] }));
  const thrown = (inputData: Record<string, unknown>, sig: ModelSignature): InputValidationError => {
    try {
      buildFeeds(inputData, sig);
    } catch (error) {
      if (error instanceof InputValidationError) return error;
      throw error;
    }
    throw new Error('buildFeeds accepted the input');
  };

  it('refuses a test call of a model whose inputs are not all recorded, listing a handful of names', () => {
    const truncated: ModelSignature = { ...signature(...inputs(1024)), truncated: { input_count: 100_000, output_count: 1 } };
    const error = thrown({ inputs: { in_0: [1] } }, truncated);
    expect(error.errors).toHaveLength(1);
    expect(error.errors[0]!.field).toBe('input_data.inputs');
    expect(error.errors[0]!.message).toContain('declares 100,000 inputs, more than the 1,024 Modelyard records');
    expect(error.errors[0]!.message).toContain(`in_0, in_1, in_2, in_3, in_4, in_5, in_6, in_7, in_8, in_9 … and 99,990 more`);
    expect(error.message.length).toBeLessThan(1000);
  });

  it(`lists at most ${MAX_LISTED_NAMES} expected names and reports at most ${MAX_REPORTED_INPUT_ERRORS} errors, counting the rest`, () => {
    const error = thrown({ inputs: { nope: [1] } }, signature(...inputs(1024)));
    expect(error.errors).toHaveLength(MAX_REPORTED_INPUT_ERRORS);
    expect(error.errors[0]).toEqual({ field: 'input_data.inputs.nope', message: 'unknown input; the model takes: in_0, in_1, in_2, in_3, in_4, in_5, in_6, in_7, in_8, in_9 … and 1,014 more' });
    expect(error.errors[1]).toEqual({ field: 'input_data.inputs.in_0', message: 'required: float32 [1]' });
    expect(error.omitted).toBe(1024 + 1 - MAX_REPORTED_INPUT_ERRORS);
    expect(error.message).toMatch(/; and 1005 more problems$/);
    expect(error.message.length).toBeLessThan(5000);
  });

  it('still runs a model whose outputs alone were not all recorded', () => {
    const sig: ModelSignature = { ...signature(...inputs(2)), truncated: { input_count: 2, output_count: 5000 } };
    expect(Object.keys(buildFeeds({ inputs: { in_0: [1], in_1: [2] } }, sig))).toEqual(['in_0', 'in_1']);
  });
});

describe('toTensorValue', () => {
  it('nests the data by dims', () => {
    expect(toTensorValue({ type: 'float32', dims: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6]) })).toEqual({
      element_type: 'float32',
      shape: [2, 3],
      data: [
        [1, 2, 3],
        [4, 5, 6],
      ],
    });
  });

  it('gives a bare value for rank 0 and empty rows for a zero dimension', () => {
    expect(toTensorValue({ type: 'float64', dims: [], data: [2.5] }).data).toBe(2.5);
    expect(toTensorValue({ type: 'float32', dims: [2, 0], data: [] }).data).toEqual([[], []]);
  });

  it('turns int64 into numbers when safe and decimal strings when not', () => {
    const data = BigInt64Array.from([1n, -(2n ** 53n) + 1n, 2n ** 53n, -(2n ** 63n)]);
    expect(toTensorValue({ type: 'int64', dims: [4], data }).data).toEqual([1, -(2 ** 53) + 1, '9007199254740992', '-9223372036854775808']);
  });

  it('turns NaN and infinities into null, which JSON can carry', () => {
    const value = toTensorValue({ type: 'float32', dims: [4], data: Float32Array.from([NaN, Infinity, -Infinity, 0.5]) });
    expect(value.data).toEqual([null, null, null, 0.5]);
    expect(JSON.parse(JSON.stringify(value))).toEqual(value);
  });

  it('turns bool bytes into true and false', () => {
    expect(toTensorValue({ type: 'bool', dims: [3], data: Uint8Array.from([1, 0, 1]) }).data).toEqual([true, false, true]);
  });

  it('decodes float16 and bfloat16 bit patterns', () => {
    // 0x3c00 = 1, 0xc000 = -2, 0x3555 ≈ 0.33325, 0x0001 = 2^-24 (subnormal), 0x7c00 = Infinity, 0x7e00 = NaN.
    const half = toTensorValue({ type: 'float16', dims: [6], data: Uint16Array.from([0x3c00, 0xc000, 0x3555, 0x0001, 0x7c00, 0x7e00]) });
    expect(half.data).toEqual([1, -2, 0.333251953125, 2 ** -24, null, null]);
    // bfloat16 0x3fc0 = 1.5, 0xc2f7 = -123.5.
    expect(toTensorValue({ type: 'bfloat16', dims: [2], data: Uint16Array.from([0x3fc0, 0xc2f7]) }).data).toEqual([1.5, -123.5]);
  });

  it('keeps strings, and refuses data that does not fill its dims', () => {
    expect(toTensorValue({ type: 'string', dims: [1, 2], data: ['a', 'b'] }).data).toEqual([['a', 'b']]);
    expect(() => toTensorValue({ type: 'float32', dims: [2, 2], data: [1, 2, 3] })).toThrow(/3 elements, its dims \[2, 2\] need 4/);
  });
});
