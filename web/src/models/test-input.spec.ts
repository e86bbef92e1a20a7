import { describe, expect, it } from '@jest/globals';
import type { Model } from '../api/types';
import { exampleInputs, exampleShape, formatTensorJson, testInputKind } from './test-input';

const config = (inputs: Model['config']['signature']) => ({ input_format: null, output_format: null, parameters: {}, env: {}, signature: inputs });

describe('test input editors', () => {
  it('fits the editor to the model: tensors for recorded inputs, a prompt for LLMs and providers, JSON otherwise', () => {
    const signature = { inputs: [{ name: 'x', element_type: 'float32', shape: ['batch', 3] }], outputs: [] };
    expect(testInputKind({ type: 'llm', source: 'upload', framework: 'onnx', config: config(signature) })).toBe('tensors');
    expect(testInputKind({ type: 'llm', source: 'custom', framework: 'custom', config: config(null) })).toBe('prompt');
    expect(testInputKind({ type: 'custom', source: 'anthropic', framework: 'anthropic', config: config(null) })).toBe('prompt');
    expect(testInputKind({ type: 'vision', source: 'endpoint', framework: 'custom', config: config(null) })).toBe('json');
  });

  it('sets symbolic and unknown dimensions to 1 and keeps fixed ones', () => {
    expect(exampleShape(['batch', 3, null, 2])).toEqual([1, 3, 1, 2]);
  });

  it('generates one nested array per input, typed by its element type', () => {
    expect(
      exampleInputs([
        { name: 'x', element_type: 'float32', shape: ['batch', 3] },
        { name: 'mask', element_type: 'bool', shape: [2] },
        { name: 'ids', element_type: 'int64', shape: ['n'] },
      ]),
    ).toEqual({ inputs: { x: [[1, 2, 3]], mask: [true, false], ids: [1] } });
  });

  it('fills large tensors with zeros rather than a pattern nobody reads', () => {
    const { inputs } = exampleInputs([{ name: 'image', element_type: 'float32', shape: [1, 3, 64, 64] }]);
    const flat = (inputs['image'] as number[][][][]).flat(3);
    expect(flat).toHaveLength(3 * 64 * 64);
    expect(new Set(flat)).toEqual(new Set([0]));
  });

  it('prints the innermost rows on one line', () => {
    expect(formatTensorJson({ x: [[1, 2, 3]] })).toBe('{\n  "x": [\n    [1, 2, 3]\n  ]\n}');
  });
});
