import { describe, expect, it } from '@jest/globals';
import type { StoredProgress } from './entities/model.entity.js';
import { statusBeforeUpload, uploadLeaseLapsed } from './upload-sweep.service.js';

const progress = (extra: Partial<StoredProgress>): StoredProgress => ({
  bytes_done: 0,
  bytes_total: null,
  files_done: 0,
  files_total: 1,
  current_file: 'model.onnx',
  updated_at: '2026-12-01T10:00:00.000Z',
  previous_status: 'inactive',
  ...extra,
});

describe('uploadLeaseLapsed', () => {
  const cutoff = new Date('2026-12-01T10:00:00.000Z');

  it('holds when the lease was last renewed before the cutoff, not at or after it', () => {
    expect(uploadLeaseLapsed(progress({ updated_at: '2026-12-01T09:59:59.999Z' }), cutoff)).toBe(true);
    expect(uploadLeaseLapsed(progress({ updated_at: '2026-12-01T10:00:00.000Z' }), cutoff)).toBe(false);
    expect(uploadLeaseLapsed(progress({ updated_at: '2026-12-01T10:00:05.000Z' }), cutoff)).toBe(false);
  });

  it('holds for an upload that never recorded a lease (no progress, or no readable time)', () => {
    expect(uploadLeaseLapsed(null, cutoff)).toBe(true);
    expect(uploadLeaseLapsed(progress({ updated_at: 'yesterday' }), cutoff)).toBe(true);
  });
});

describe('statusBeforeUpload', () => {
  it('is the status recorded when the upload began', () => {
    expect(statusBeforeUpload(progress({ previous_status: 'inactive' }))).toBe('inactive');
    expect(statusBeforeUpload(progress({ previous_status: 'active' }))).toBe('active');
    expect(statusBeforeUpload(progress({ previous_status: 'error' }))).toBe('error');
  });

  it('is active when none was recorded, or the record says uploading', () => {
    expect(statusBeforeUpload(null)).toBe('active');
    expect(statusBeforeUpload(progress({ previous_status: 'uploading' }))).toBe('active');
  });
});
