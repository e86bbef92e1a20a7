import { describe, expect, it } from '@jest/globals';
import { escapeLike, parseSort } from './models.repository.js';

describe('parseSort', () => {
  it('reads a leading "-" as descending', () => {
    expect(parseSort('-created_at')).toEqual({ field: 'created_at', direction: 'DESC' });
    expect(parseSort('latency_ms')).toEqual({ field: 'latency_ms', direction: 'ASC' });
  });
});

describe('escapeLike', () => {
  it('makes LIKE wildcards and the escape character literal', () => {
    expect(escapeLike('100%_done\\')).toBe('100\\%\\_done\\\\');
    expect(escapeLike('plain text')).toBe('plain text');
  });
});
