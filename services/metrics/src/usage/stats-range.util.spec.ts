import { describe, expect, it } from '@jest/globals';
import { MAX_RANGE_MS, MAX_SERIES_POINTS, chooseStepSeconds, minuteOf, stepCount, successRate } from './stats-range.util.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

describe('chooseStepSeconds', () => {
  it.each([
    ['one minute', MINUTE, 60],
    ['two hours: 120 minutes, the most at 1 m', 2 * HOUR, 60],
    ['a millisecond past two hours', 2 * HOUR + 1, 300],
    ['ten hours', 10 * HOUR, 300],
    ['a day', DAY, 900],
    ['five days', 5 * DAY, 3_600],
    ['thirty days', 30 * DAY, 21_600],
    ['ninety days, the longest range', MAX_RANGE_MS, 86_400],
  ])('%s → %i s', (_name, rangeMs, step) => {
    expect(chooseStepSeconds(rangeMs)).toBe(step);
  });

  it('never gives more than 120 points, and always the shortest step that does', () => {
    const steps = [60, 300, 900, 3_600, 21_600, 86_400];
    for (let rangeMs = 1_000; rangeMs <= MAX_RANGE_MS; rangeMs = Math.ceil(rangeMs * 1.07)) {
      const step = chooseStepSeconds(rangeMs);
      expect(stepCount(rangeMs, step)).toBeLessThanOrEqual(MAX_SERIES_POINTS);
      const shorter = steps[steps.indexOf(step) - 1];
      if (shorter) expect(stepCount(rangeMs, shorter)).toBeGreaterThan(MAX_SERIES_POINTS);
    }
  });

  it('refuses a range no step can cover in 120 points', () => {
    expect(() => chooseStepSeconds(121 * DAY)).toThrow(RangeError);
  });
});

describe('stats helpers', () => {
  it('counts partial steps: ⌈range / step⌉', () => {
    expect(stepCount(HOUR, 60)).toBe(60);
    expect(stepCount(HOUR + 1, 60)).toBe(61);
  });

  it('has no success rate without calls', () => {
    expect(successRate(0, 0)).toBeNull();
    expect(successRate(3, 4)).toBe(0.75);
  });

  it('puts an instant in its UTC minute', () => {
    expect(new Date(minuteOf(Date.parse('2026-11-27T08:15:59.999Z'))).toISOString()).toBe('2026-11-27T08:15:00.000Z');
  });
});
