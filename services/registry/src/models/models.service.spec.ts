import { describe, expect, it } from '@jest/globals';
import { DomainException } from '@modelyard/platform';
import { mergeConfig, normalizeTags, toggledStatus } from './models.service.js';

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
  const stored = { input_format: 'text', output_format: 'json', parameters: { t: 1 }, env: { A: '1' } };

  it('completes a partial config with empty members', () => {
    expect(mergeConfig(undefined, { parameters: { t: 2 } })).toEqual({
      input_format: null,
      output_format: null,
      parameters: { t: 2 },
      env: {},
    });
    expect(mergeConfig(undefined, undefined)).toEqual({ input_format: null, output_format: null, parameters: {}, env: {} });
  });

  it('replaces the members sent and keeps the others', () => {
    expect(mergeConfig(stored, { env: { B: '2' } })).toEqual({ ...stored, env: { B: '2' } });
  });

  it('treats null as "clear this member"', () => {
    expect(mergeConfig(stored, { input_format: null, parameters: null })).toEqual({ ...stored, input_format: null, parameters: {} });
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
