import { describe, expect, it } from '@jest/globals';
import { CreateModelDto, ListModelsQueryDto, UpdateModelDto } from '@modelyard/contracts';
import { DomainException } from './problem.js';
import { createValidationPipe } from './validation.pipe.js';

const pipe = createValidationPipe();
const body = (metatype: new () => object, value: unknown) => pipe.transform(value, { type: 'body', metatype });
const query = (value: unknown) => pipe.transform(value, { type: 'query', metatype: ListModelsQueryDto });

async function fieldErrors(promise: Promise<unknown>) {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DomainException);
  expect((error as DomainException).status).toBe(422);
  return Object.fromEntries((error as DomainException).errors!.map((e) => [e.field, e.detail]));
}

describe('validation of model requests', () => {
  it("accepts the user guide's GPT-4 body unchanged", async () => {
    const guide = {
      name: 'GPT-4',
      version: '4.0',
      type: 'llm',
      framework: 'openai',
      source: 'openai',
      description: 'OpenAI GPT-4 model',
      endpoint: 'https://api.openai.com/v1/chat/completions',
    };
    expect(await body(CreateModelDto, guide)).toEqual(guide);
  });

  it('accepts endpoints on private hosts without a TLD (on-premise models)', async () => {
    await expect(body(CreateModelDto, { name: 'x', type: 'llm', endpoint: 'http://inference:8000/v1' })).resolves.toBeDefined();
  });

  it('names each bad field with the allowed values', async () => {
    const errors = await fieldErrors(body(CreateModelDto, { name: 'x', type: 'LLM', source: 'github', status: 'uploading' }));
    expect(errors).toEqual({
      type: 'must be one of: llm, vision, audio, multimodal, embedding, custom',
      source: 'must be one of: huggingface, openai, anthropic, upload, endpoint, custom',
      status: 'must be one of: active, inactive',
    });
  });

  it('refuses control characters in names and versions', async () => {
    const errors = await fieldErrors(body(CreateModelDto, { name: 'evil\u0000name', version: 'v\n1', type: 'llm' }));
    expect(Object.keys(errors).sort()).toEqual(['name', 'version']);
  });

  it('says what a body that is not an object is', async () => {
    await expect(body(CreateModelDto, undefined)).rejects.toMatchObject({ detail: 'The request needs a JSON object body.' });
    await expect(body(CreateModelDto, [1])).rejects.toMatchObject({ detail: 'The request body must be a JSON object.' });
  });

  it('accepts an empty PATCH and nulls for nullable fields only', async () => {
    expect(await body(UpdateModelDto, {})).toEqual({});
    expect(await body(UpdateModelDto, { description: null, endpoint: null, accuracy: null })).toEqual({
      description: null,
      endpoint: null,
      accuracy: null,
    });
    const errors = await fieldErrors(body(UpdateModelDto, { version: null, tags: null, config: null }));
    expect(Object.keys(errors).sort()).toEqual(['config', 'tags', 'version']);
  });
});

describe('validation of list queries', () => {
  it('converts strings, applies defaults and accepts one or many tags', async () => {
    expect(await query({ page: '3', page_size: '50', tag: 'nlp' })).toMatchObject({ page: 3, page_size: 50, tag: ['nlp'], sort: '-created_at' });
    expect(await query({ tag: ['a', 'b'] })).toMatchObject({ tag: ['a', 'b'], page: 1, page_size: 20 });
  });

  it('bounds page_size and rejects fractional pages', async () => {
    expect(await fieldErrors(query({ page_size: '500' }))).toEqual({ page_size: 'must be a whole number from 1 to 200' });
    expect(await fieldErrors(query({ page: '1.5' }))).toEqual({ page: 'must be a whole number of at least 1' });
  });
});
