import { ProviderError } from './provider.exception.js';

/** `{{input}}` or `{{input.a.0.b}}`, spaces inside the braces allowed. */
const PLACEHOLDER = /\{\{\s*(input(?:\.[^{}\s]+)?)\s*\}\}/g;
const WHOLE_PLACEHOLDER = /^\{\{\s*(input(?:\.[^{}\s]+)?)\s*\}\}$/;

const MISSING = Symbol('missing');

/** Splits `choices.0.text` or `choices[0].text` into keys. */
export function pathKeys(path: string): string[] {
  return path
    .replace(/\[(\d+)\]/g, '.$1')
    .split('.')
    .filter((key) => key !== '');
}

/** The value at a dot path (array indexes as numbers), or `undefined` when any step is missing. */
export function valueAtPath(value: unknown, path: string): unknown {
  const found = lookUp(value, pathKeys(path));
  return found === MISSING ? undefined : found;
}

function lookUp(value: unknown, keys: string[]): unknown {
  let current: unknown = value;
  for (const key of keys) {
    if (Array.isArray(current)) {
      if (!/^\d+$/.test(key) || Number(key) >= current.length) return MISSING;
      current = current[Number(key)];
    } else if (typeof current === 'object' && current !== null && Object.hasOwn(current, key)) {
      current = (current as Record<string, unknown>)[key];
    } else {
      return MISSING;
    }
  }
  return current === undefined ? MISSING : current;
}

function resolve(input: Record<string, unknown>, expression: string): unknown {
  if (expression === 'input') return input;
  const path = expression.slice('input.'.length);
  const found = lookUp(input, pathKeys(path));
  if (found === MISSING) {
    throw new ProviderError(422, 'invalid_input', `The request template needs input_data.${path}, which the input does not have.`, {
      errorClass: 'invalid_input',
      field: `input_data.${path}`,
    });
  }
  return found;
}

/**
 * Renders an endpoint's request template against the input. A string that is exactly one
 * placeholder becomes the value with its JSON type; placeholders inside longer text are
 * interpolated (strings as they are, other values as JSON). Object keys are never rendered.
 */
export function renderTemplate(template: unknown, input: Record<string, unknown>): unknown {
  if (typeof template === 'string') {
    const whole = WHOLE_PLACEHOLDER.exec(template);
    if (whole) return resolve(input, whole[1]);
    return template.replace(PLACEHOLDER, (_, expression: string) => {
      const value = resolve(input, expression);
      return typeof value === 'string' ? value : JSON.stringify(value);
    });
  }
  if (Array.isArray(template)) return template.map((item) => renderTemplate(item, input));
  if (typeof template === 'object' && template !== null) {
    return Object.fromEntries(Object.entries(template).map(([key, value]) => [key, renderTemplate(value, input)]));
  }
  return template;
}
