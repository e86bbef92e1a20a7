import { ProviderError } from './provider.exception.js';
import { pathKeys, renderTemplate, valueAtPath } from './request-template.util.js';

describe('renderTemplate', () => {
  const input = { prompt: 'hi there', options: { n: 2, tags: ['a', 'b'], off: false, none: null } };

  it('puts the whole input, or a value with its JSON type, for an exact placeholder', () => {
    expect(renderTemplate('{{input}}', input)).toEqual(input);
    expect(
      renderTemplate(
        { q: '{{ input.prompt }}', n: '{{input.options.n}}', tags: '{{input.options.tags}}', off: '{{input.options.off}}', none: '{{input.options.none}}' },
        input,
      ),
    ).toEqual({ q: 'hi there', n: 2, tags: ['a', 'b'], off: false, none: null });
  });

  it('interpolates placeholders inside longer text, non-strings as JSON', () => {
    expect(renderTemplate({ text: 'Q: {{input.prompt}} ({{input.options.tags}}, {{input.options.tags.1}})' }, input)).toEqual({
      text: 'Q: hi there (["a","b"], b)',
    });
  });

  it('renders arrays and nested objects but not keys, and keeps other values', () => {
    expect(renderTemplate({ '{{input.prompt}}': [1, '{{input.options.n}}', { x: true }] }, input)).toEqual({
      '{{input.prompt}}': [1, 2, { x: true }],
    });
    expect(renderTemplate({ other: '{{model}}' }, input)).toEqual({ other: '{{model}}' });
  });

  it('names a missing path in a 422 invalid_input', () => {
    let caught: unknown;
    try {
      renderTemplate({ q: 'say {{input.question}}' }, input);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ProviderError);
    expect(caught).toMatchObject({ status: 422, code: 'invalid_input', field: 'input_data.question', errorClass: 'invalid_input' });
    expect((caught as Error).message).toContain('input_data.question');
  });
});

describe('valueAtPath', () => {
  const answer = { choices: [{ text: 'x' }, { text: 'y' }], usage: { n: 0 }, empty: null };

  it.each([
    ['choices.0.text', 'x'],
    ['choices[1].text', 'y'],
    ['usage.n', 0],
    ['empty', null],
    ['choices.2.text', undefined],
    ['choices.first', undefined],
    ['usage.n.deeper', undefined],
    ['toString', undefined],
  ])('%s → %p', (path, expected) => {
    expect(valueAtPath(answer, path)).toEqual(expected);
  });

  it('splits dot and bracket paths', () => {
    expect(pathKeys('a[0].b.1')).toEqual(['a', '0', 'b', '1']);
  });
});
