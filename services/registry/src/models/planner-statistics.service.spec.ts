import { describe, expect, it } from '@jest/globals';
import { needsAnalyze } from './planner-statistics.service.js';

describe('needsAnalyze (autovacuum default: 50 rows + 10% of the table)', () => {
  it('asks for statistics of a table never analysed once more than 50 rows changed', () => {
    expect(needsAnalyze(50, -1)).toBe(false);
    expect(needsAnalyze(51, -1)).toBe(true);
    expect(needsAnalyze(100_000, -1)).toBe(true);
  });

  it('asks again once more than 10% of the rows it had (plus 50) changed since', () => {
    expect(needsAnalyze(10_050, 100_000)).toBe(false);
    expect(needsAnalyze(10_051, 100_000)).toBe(true);
  });
});
