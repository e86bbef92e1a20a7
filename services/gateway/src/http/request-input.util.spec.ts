import { describe, expect, it } from '@jest/globals';
import Fastify, { type FastifyRequest } from 'fastify';
import { DomainException } from '@modelyard/platform';
import { checkRequestInput, findInputProblems, MAX_BODY_DEPTH, utf8JsonParser } from './request-input.util.js';

/** JSON text nested `levels` deep under body.config.parameters.a, as a client would send it. */
const nestedBody = (levels: number) => JSON.parse(`{"name":"deep","config":{"parameters":{"a":${'['.repeat(levels)}${']'.repeat(levels)}}}}`);

describe('findInputProblems', () => {
  it('names the field holding a NUL or an unpaired surrogate, wherever it is', () => {
    const body = JSON.parse(
      '{"name":"a\\u0000b","tags":["ok","x\\ud800"],"config":{"parameters":{"t":{"deep":["\\udc00y"]}},"env":{"K":"v\\u0000"}},' +
        '"input_data":{"inputs":{"x":[[1,2]]},"prompt":"fine 😀"}}',
    );
    expect(findInputProblems(body)).toEqual({
      tooDeep: false,
      errors: [
        { field: 'name', detail: 'must not contain the NUL character (\\u0000)' },
        { field: 'tags.1', detail: 'must be valid Unicode text: it holds an unpaired surrogate (\\ud800)' },
        { field: 'config.parameters.t.deep.0', detail: 'must be valid Unicode text: it holds an unpaired surrogate (\\udc00)' },
        { field: 'config.env.K', detail: 'must not contain the NUL character (\\u0000)' },
      ],
    });
  });

  it('refuses bad object keys, escaping them in the path it reports', () => {
    const body = JSON.parse('{"config":{"env":{"A\\u0000B":"v","\\ud800":"w"}}}');
    expect(findInputProblems(body).errors).toEqual([
      { field: 'config.env.A\\u0000B', detail: '(a field name) must not contain the NUL character (\\u0000)' },
      { field: 'config.env.\\ud800', detail: '(a field name) must be valid Unicode text: it holds an unpaired surrogate (\\ud800)' },
    ]);
  });

  it('accepts well-formed text, surrogate pairs included, and values of every JSON type', () => {
    expect(findInputProblems({ a: 'émoji 😀 中文', b: [1, true, null, { c: 2.5 }], '😀': 'key' })).toEqual({ errors: [], tooDeep: false });
    expect(findInputProblems(undefined)).toEqual({ errors: [], tooDeep: false });
  });

  it(`accepts ${MAX_BODY_DEPTH} levels and refuses one more, naming where`, () => {
    // body (1) › config (2) › parameters (3) › a's arrays (4 …): 61 arrays reach exactly the limit.
    expect(findInputProblems(nestedBody(MAX_BODY_DEPTH - 3)).tooDeep).toBe(false);
    const tooDeep = findInputProblems(nestedBody(MAX_BODY_DEPTH - 2));
    expect(tooDeep.tooDeep).toBe(true);
    expect(tooDeep.errors).toEqual([
      { field: `config.parameters.a${'.0'.repeat(MAX_BODY_DEPTH - 3)}`, detail: `nests deeper than ${MAX_BODY_DEPTH} levels of objects and arrays, the most accepted` },
    ]);
  });

  it('walks a body nested far beyond the stack without recursion', () => {
    expect(findInputProblems(nestedBody(200_000)).tooDeep).toBe(true);
    expect(findInputProblems(nestedBody(200_000), 1_000_000)).toEqual({ errors: [], tooDeep: false });
  });

  it('reports at most 20 bad strings', () => {
    expect(findInputProblems({ tags: Array.from({ length: 1000 }, () => '\u0000') }).errors).toHaveLength(20);
  });
});

describe('checkRequestInput', () => {
  it('passes an ordinary request', () => {
    expect(checkRequestInput({ body: { name: 'gpt', tags: ['a'] }, query: { q: 'gpt', tag: ['a', 'b'] }, params: { id: 'x' } })).toBeNull();
  });

  it('answers 422 naming query, path and body fields bare', () => {
    const problem = checkRequestInput({ body: { name: 'x\u0000' }, query: { q: '\u0000', tag: ['ok', '\u0000'] }, params: { id: '\u0000' } })!.toProblem();
    expect(problem).toMatchObject({ status: 422, code: 'validation_failed' });
    expect(problem.errors!.map((e) => e.field)).toEqual(['id', 'q', 'tag.1', 'name']);
  });

  it('answers a body nested too deep with the limit in its detail', () => {
    const problem = checkRequestInput({ body: nestedBody(10_000), query: {} })!.toProblem();
    expect(problem.status).toBe(422);
    expect(problem.detail).toBe(`The request body nests objects and arrays deeper than ${MAX_BODY_DEPTH} levels, the most Modelyard accepts.`);
    expect(problem.errors).toHaveLength(1);
  });
});

describe('utf8JsonParser', () => {
  const parse = (bytes: Buffer) =>
    new Promise<{ error: unknown; body: unknown }>((resolve) => {
      const parser = utf8JsonParser(Fastify()) as (request: FastifyRequest, body: Buffer, done: (error: unknown, body?: unknown) => void) => void;
      parser({} as FastifyRequest, bytes, (error, body) => resolve({ error, body }));
    });

  it('parses UTF-8 JSON as Fastify does', async () => {
    expect(await parse(Buffer.from('{"name":"中文 😀"}'))).toEqual({ error: null, body: { name: '中文 😀' } });
  });

  it('refuses bytes that are not UTF-8 with a 400, rather than storing U+FFFD in their place', async () => {
    const { error } = await parse(Buffer.concat([Buffer.from('{"name":"caf'), Buffer.from([0xe9]), Buffer.from('"}')]));
    expect(error).toBeInstanceOf(DomainException);
    expect((error as DomainException).toProblem()).toMatchObject({ status: 400, code: 'malformed_request', detail: expect.stringContaining('not valid UTF-8') });
  });

  it('keeps refusing prototype poisoning', async () => {
    expect((await parse(Buffer.from('{"__proto__":{"x":1}}'))).error).toBeInstanceOf(Error);
  });
});
