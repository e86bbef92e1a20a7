import { isProviderSource, type Model, type TensorSpec } from '../api/types';

/** Which input editor a model's test gets. */
export type TestInputKind = 'tensors' | 'prompt' | 'json';

export function testInputKind(model: Pick<Model, 'type' | 'source' | 'framework' | 'config'>): TestInputKind {
  if (model.config.signature?.inputs.length) return 'tensors';
  if (model.type === 'llm' || isProviderSource(model.source) || model.framework === 'openai' || model.framework === 'anthropic') return 'prompt';
  return 'json';
}

/** Elements an example tensor may hold before its values are all zero (a 3×224×224 image is still an example, just not a pretty one). */
const PATTERNED_LIMIT = 4096;

function exampleValue(elementType: string, index: number, patterned: boolean): unknown {
  if (elementType === 'bool') return patterned ? index % 2 === 0 : false;
  if (elementType === 'string') return '';
  // Small distinct values, so that an output shows the model did something with each of them.
  return patterned ? (index % 10) + 1 : 0;
}

/** The dimensions an example uses: fixed dimensions as they are, symbolic or unknown ones 1. */
export function exampleShape(shape: TensorSpec['shape']): number[] {
  return shape.map((d) => (typeof d === 'number' && d > 0 ? d : 1));
}

/** A nested array of the spec's shape filled with example values. */
export function exampleTensor(spec: TensorSpec): unknown {
  const shape = exampleShape(spec.shape);
  const total = shape.reduce((n, d) => n * d, 1);
  const patterned = total <= PATTERNED_LIMIT;
  let index = 0;
  const build = (depth: number): unknown =>
    depth === shape.length
      ? exampleValue(spec.element_type, index++, patterned)
      : Array.from({ length: shape[depth]! }, () => build(depth + 1));
  return build(0);
}

/** The test body an ONNX model's editor starts from: `{ inputs: { <name>: <tensor> } }`. */
export function exampleInputs(inputs: TensorSpec[]): { inputs: Record<string, unknown> } {
  return { inputs: Object.fromEntries(inputs.map((spec) => [spec.name, exampleTensor(spec)])) };
}

/** Tensors printed one innermost row per line: readable for a vector or a matrix, compact for more. */
export function formatTensorJson(value: unknown): string {
  return JSON.stringify(value, null, 2).replace(/\[\s+([^[\]{}]*?)\s+\]/g, (_whole, inner: string) => `[${inner.split(/,\s+/).join(', ')}]`);
}
