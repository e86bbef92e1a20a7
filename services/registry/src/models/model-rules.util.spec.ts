import { describe, expect, it } from '@jest/globals';
import { DomainException } from '@modelyard/platform';
import { DEFAULT_HTTP_ENDPOINT_CONFIG, type CreateModelDto } from '@modelyard/contracts';
import { ModelEntity } from './entities/model.entity.js';
import { applyImportedMetadata, checkSourceFields, importSpecOf, mergeConfig, normalizeTags, toggledStatus } from './model-rules.util.js';

describe('toggledStatus', () => {
  it('switches active and inactive both ways', () => {
    expect(toggledStatus('active', null)).toBe('inactive');
    expect(toggledStatus('inactive', null)).toBe('active');
  });

  it('refuses uploading with 409 and says why', () => {
    const error = catchError(() => toggledStatus('uploading', null));
    expect(error).toMatchObject({ status: 409, code: 'model_status_locked' });
    expect(error.detail).toMatch(/still uploading/);
  });

  it('refuses error with 409 and repeats the recorded reason', () => {
    const error = catchError(() => toggledStatus('error', 'checksum mismatch on model.onnx'));
    expect(error.status).toBe(409);
    expect(error.detail).toContain('checksum mismatch on model.onnx');
  });
});

describe('mergeConfig', () => {
  const signature = { inputs: [{ name: 'x', element_type: 'float32' as const, shape: ['batch', 4] }], outputs: [] };
  const stored = { input_format: 'text', output_format: 'json', parameters: { t: 1 }, env: { A: '1' }, signature, http: null };

  it('completes a partial config with empty members', () => {
    expect(mergeConfig(undefined, { parameters: { t: 2 } })).toEqual({
      input_format: null,
      output_format: null,
      parameters: { t: 2 },
      env: {},
      signature: null,
      http: null,
    });
    expect(mergeConfig(undefined, undefined)).toEqual({ input_format: null, output_format: null, parameters: {}, env: {}, signature: null, http: null });
  });

  it('replaces the members sent and keeps the others', () => {
    expect(mergeConfig(stored, { env: { B: '2' } })).toEqual({ ...stored, env: { B: '2' } });
  });

  it('treats null as "clear this member"', () => {
    expect(mergeConfig(stored, { input_format: null, parameters: null })).toEqual({ ...stored, input_format: null, parameters: {} });
  });
});

describe('mergeConfig and the endpoint call settings', () => {
  it('gives an endpoint model the defaults, and keeps other models without', () => {
    expect(mergeConfig(undefined, undefined, 'endpoint').http).toEqual(DEFAULT_HTTP_ENDPOINT_CONFIG);
    expect(mergeConfig(undefined, undefined, 'openai').http).toBeNull();
  });

  it('replaces the members sent and keeps the stored others', () => {
    const first = mergeConfig(undefined, { http: { secret_header: 'X-Api-Key', timeout_ms: 5000 } }, 'endpoint');
    expect(first.http).toEqual({ ...DEFAULT_HTTP_ENDPOINT_CONFIG, secret_header: 'X-Api-Key', timeout_ms: 5000 });
    const second = mergeConfig(first, { http: { response_path: 'data.output' } }, 'endpoint');
    expect(second.http).toEqual({ ...first.http, response_path: 'data.output' });
    expect(mergeConfig(second, { env: { A: '1' } }, 'endpoint').http).toEqual(second.http);
  });
});

describe('checkSourceFields', () => {
  it('refuses fields that do not fit the source, naming them', () => {
    expect(catchError(() => checkSourceFields('upload', { provider_model: 'gpt-4o' }, undefined))).toMatchObject({ status: 422, errors: [{ field: 'provider_model' }] });
    expect(catchError(() => checkSourceFields('custom', {}, { sealed: 'v1.x', last4: null }))).toMatchObject({ status: 422, errors: [{ field: 'api_key' }] });
    expect(catchError(() => checkSourceFields('openai', { config: { http: {} } }, undefined))).toMatchObject({ status: 422, errors: [{ field: 'config.http' }] });
    expect(() => checkSourceFields('anthropic', { provider_model: 'claude' }, { sealed: 'v1.x', last4: null })).not.toThrow();
    expect(() => checkSourceFields('huggingface', {}, { sealed: 'v1.x', last4: null })).not.toThrow();
  });
});

describe('mergeConfig and the signature', () => {
  it('keeps the stored signature whatever a request sends', () => {
    const stored = mergeConfig(undefined, undefined);
    const withSignature = { ...stored, signature: { inputs: [], outputs: [] } };
    const change = { env: { B: '1' }, signature: null } as unknown as Parameters<typeof mergeConfig>[1];
    expect(mergeConfig(withSignature, change).signature).toEqual({ inputs: [], outputs: [] });
  });
});

describe('importSpecOf', () => {
  const body = (extra: Partial<CreateModelDto>): CreateModelDto => ({ name: 'org/model', type: 'llm', ...extra }) as CreateModelDto;

  it('is null for other sources, and refuses import-only fields there', () => {
    expect(importSpecOf(body({ source: 'upload' }))).toBeNull();
    expect(catchError(() => importSpecOf(body({ source: 'upload', revision: 'main' })))).toMatchObject({
      status: 422,
      errors: [{ field: 'revision' }],
    });
    expect(catchError(() => importSpecOf(body({ include: ['*.onnx'] })))).toMatchObject({ status: 422, errors: [{ field: 'include' }] });
  });

  it('records what to import and which fields the Hub may fill', () => {
    expect(importSpecOf({ name: 'gpt2', source: 'huggingface' } as CreateModelDto)).toEqual({
      repo: 'gpt2',
      revision: 'main',
      include: null,
      commit: null,
      fill: ['type', 'framework', 'description', 'tags', 'license'],
    });
    const spec = importSpecOf(body({ source: 'huggingface', revision: 'v1.0', include: ['*.onnx'], framework: 'onnx', tags: ['mine'] }));
    expect(spec).toMatchObject({ revision: 'v1.0', include: ['*.onnx'], fill: ['description', 'license'] });
  });

  it.each(['../etc', 'a/b/c', '/abs', 'org/model.git', 'with space', '-leading'])('refuses the repo id %j', (name) => {
    expect(catchError(() => importSpecOf(body({ source: 'huggingface', name })))).toMatchObject({ status: 422, errors: [{ field: 'name' }] });
  });

  it('refuses a revision that climbs out with ..', () => {
    expect(catchError(() => importSpecOf(body({ source: 'huggingface', revision: 'a/../b' })))).toMatchObject({
      errors: [{ field: 'revision' }],
    });
  });
});

describe('applyImportedMetadata', () => {
  const model = () => Object.assign(new ModelEntity(), { type: 'custom', framework: 'custom', description: null, tags: [], license: null });

  it('fills only the fields the user left empty, with known values', () => {
    const target = model();
    const changed = applyImportedMetadata(target, ['type', 'license'], {
      type: 'vision',
      framework: 'onnx',
      license: 'mit',
      description: 'from the card',
    });
    expect(changed).toEqual(['type', 'license']);
    expect(target).toMatchObject({ type: 'vision', framework: 'custom', license: 'mit', description: null });
  });

  it('ignores values outside the vocabularies and tags that are not valid tags', () => {
    const target = model();
    expect(applyImportedMetadata(target, ['type', 'framework', 'tags'], { type: 'robotics', framework: 'jax', tags: ['ok', 'license:mit', '  '] })).toEqual([
      'tags',
    ]);
    expect(target.tags).toEqual(['ok', 'license:mit']);
  });
});

describe('normalizeTags', () => {
  it('trims, drops empty and repeated tags, and keeps the order', () => {
    expect(normalizeTags([' b', 'a', 'b', '', 'a '])).toEqual(['b', 'a']);
    expect(normalizeTags(undefined)).toEqual([]);
  });
});

function catchError(fn: () => unknown): DomainException {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(DomainException);
    return error as DomainException;
  }
  throw new Error('expected an error');
}
