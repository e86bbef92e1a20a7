import { describe, expect, it } from '@jest/globals';
import { boundProblem, DomainException, PROBLEM_LIMITS, truncateText } from './problem.js';

describe('truncateText', () => {
  it('leaves text within the limit as it is', () => {
    expect(truncateText('short', 5)).toBe('short');
  });

  it('cuts longer text to the limit, ending in an ellipsis', () => {
    const cut = truncateText('x'.repeat(100), 10);
    expect(cut).toBe(`${'x'.repeat(9)}…`);
    expect(cut).toHaveLength(10);
  });

  it('never leaves half of a surrogate pair at the cut', () => {
    // '😀' is two UTF-16 units; a cut between them would leave an unpaired surrogate in the JSON.
    const cut = truncateText(`abcd${'😀'.repeat(10)}`, 6);
    expect(cut).toBe('abcd…');
    expect(cut).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])/);
  });
});

describe('boundProblem', () => {
  it('keeps a problem within every limit', () => {
    const huge = new DomainException(
      422,
      'invalid_input',
      `The input does not fit the model: ${'in_12345 '.repeat(100_000)}`,
      Array.from({ length: 100_000 }, (_, i) => ({ field: `input_data.inputs.${'n'.repeat(1000)}${i}`, detail: `required: ${'float32 [1] '.repeat(500)}` })),
    ).toProblem();
    expect(huge.detail.length).toBeLessThanOrEqual(PROBLEM_LIMITS.detailChars);
    expect(huge.detail).toMatch(/\(99950 more field errors not listed\)$/);
    expect(huge.errors).toHaveLength(PROBLEM_LIMITS.errors);
    for (const error of huge.errors!) {
      expect(error.field.length).toBeLessThanOrEqual(PROBLEM_LIMITS.fieldChars);
      expect(error.detail.length).toBeLessThanOrEqual(PROBLEM_LIMITS.errorDetailChars);
    }
    // What one bad request can cost, whatever it sent: a few tens of kilobytes.
    expect(JSON.stringify(huge).length).toBeLessThan(50_000);
  });

  it('changes nothing in an ordinary problem', () => {
    const problem = DomainException.validation([{ field: 'type', detail: 'must be one of: llm, vision' }]).toProblem();
    expect(boundProblem(problem)).toEqual(problem);
    expect(problem.detail).toBe('The request is invalid: type must be one of: llm, vision.');
  });

  it('cuts a long instance (the request URL)', () => {
    const problem = boundProblem({ ...new DomainException(404, 'not_found', 'No such path.').toProblem(), instance: `/api/${'a'.repeat(10_000)}` });
    expect(problem.instance!.length).toBeLessThanOrEqual(PROBLEM_LIMITS.instanceChars);
  });
});
