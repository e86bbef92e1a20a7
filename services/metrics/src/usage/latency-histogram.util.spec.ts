import { describe, expect, it } from '@jest/globals';
import {
  HISTOGRAM_BUCKETS,
  HISTOGRAM_MAX_MS,
  HISTOGRAM_MIN_MS,
  HISTOGRAM_RELATIVE_ERROR,
  LatencyHistogram,
} from './latency-histogram.util.js';

/** Deterministic random numbers (mulberry32), so a failure can be replayed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The exact nearest-rank quantile: the value of rank ⌈q·n⌉. */
function exactQuantile(sorted: readonly number[], q: number): number {
  return sorted[Math.max(1, Math.ceil(q * sorted.length)) - 1]!;
}

const DISTRIBUTIONS: Record<string, (next: () => number) => number> = {
  // Every order of magnitude of the tracked range equally likely.
  'log-uniform over the whole range': (next) => HISTOGRAM_MIN_MS * (HISTOGRAM_MAX_MS / HISTOGRAM_MIN_MS) ** next() * 0.999_999,
  'exponential, mean 40 ms': (next) => -40 * Math.log(1 - next()),
  // A fast path and a slow tail, as model calls look: p95/p99 fall in the tail.
  'bimodal: 92% near 5 ms, 8% near 2 s': (next) => (next() < 0.92 ? 4 + 2 * next() : 1_500 + 1_000 * next()),
  'uniform 0.01–1000 ms': (next) => HISTOGRAM_MIN_MS + (1_000 - HISTOGRAM_MIN_MS) * next(),
};

describe('LatencyHistogram', () => {
  it.each(Object.entries(DISTRIBUTIONS))('reports p50, p95, p99 and more within 2%% of the exact values: %s', (_name, draw) => {
    for (const seed of [1, 2, 3]) {
      const next = random(seed);
      const values = Array.from({ length: 20_000 }, () => draw(next));
      const histogram = new LatencyHistogram();
      for (const value of values) histogram.add(value);
      const sorted = [...values].sort((a, b) => a - b);
      for (const q of [0.001, 0.1, 0.5, 0.9, 0.95, 0.99, 0.999, 1]) {
        const exact = exactQuantile(sorted, q);
        const reported = histogram.quantile(q)!;
        expect(Math.abs(reported - exact) / exact).toBeLessThanOrEqual(HISTOGRAM_RELATIVE_ERROR);
      }
    }
  });

  it('reports any single latency within 2%, on a bucket bound or a hair below it', () => {
    const gamma = 1.019 / 0.981;
    for (let bucket = 1; bucket < HISTOGRAM_BUCKETS - 1; bucket += 1) {
      expect(LatencyHistogram.bucketOf(LatencyHistogram.valueOf(bucket))).toBe(bucket);
      const bound = HISTOGRAM_MIN_MS * gamma ** (bucket - 1);
      for (const value of [bound, bound * (1 - 1e-12), bound * (1 + 1e-12)]) {
        if (value < HISTOGRAM_MIN_MS || value >= HISTOGRAM_MAX_MS) continue;
        const reported = LatencyHistogram.valueOf(LatencyHistogram.bucketOf(value));
        expect(Math.abs(reported - value) / value).toBeLessThanOrEqual(HISTOGRAM_RELATIVE_ERROR);
      }
    }
    const next = random(7);
    for (let i = 0; i < 10_000; i += 1) {
      const value = HISTOGRAM_MIN_MS * (HISTOGRAM_MAX_MS / HISTOGRAM_MIN_MS) ** next() * 0.999_999;
      const reported = LatencyHistogram.valueOf(LatencyHistogram.bucketOf(value));
      expect(Math.abs(reported - value) / value).toBeLessThanOrEqual(HISTOGRAM_RELATIVE_ERROR);
    }
  });

  it('merges into exactly the histogram of all the values', () => {
    const next = random(11);
    const values = Array.from({ length: 5_000 }, () => -100 * Math.log(1 - next()));
    const all = new LatencyHistogram();
    const parts = [new LatencyHistogram(), new LatencyHistogram(), new LatencyHistogram()];
    values.forEach((value, index) => {
      all.add(value);
      parts[index % 3]!.add(value);
    });

    const merged = parts.reduce((sum, part) => sum.merge(part), new LatencyHistogram());

    expect(merged.toSparse()).toEqual(all.toSparse());
    expect(merged.count).toBe(5_000);
    expect(merged.percentiles()).toEqual(all.percentiles());
  });

  it('round-trips through its sparse form, which holds only the buckets in use', () => {
    const histogram = new LatencyHistogram();
    histogram.add(12.5, 3);
    histogram.add(800);
    histogram.add(0);

    const sparse = histogram.toSparse();

    expect(Object.keys(sparse)).toHaveLength(3);
    expect(Object.values(sparse).sort()).toEqual([1, 1, 3]);
    expect(JSON.parse(JSON.stringify(sparse))).toEqual(sparse);
    const back = LatencyHistogram.fromSparse(JSON.parse(JSON.stringify(sparse)) as Record<string, number>);
    expect(back.toSparse()).toEqual(sparse);
    expect(back.count).toBe(5);
  });

  it('reports latencies below 10 µs as 0 and of an hour or more as the hour', () => {
    const histogram = new LatencyHistogram();
    histogram.add(0);
    histogram.add(0.004);
    histogram.add(HISTOGRAM_MAX_MS);
    histogram.add(10 * HISTOGRAM_MAX_MS);

    expect(histogram.quantile(0.5)).toBe(0);
    expect(histogram.quantile(0.75)).toBe(HISTOGRAM_MAX_MS);
    expect(histogram.quantile(1)).toBe(HISTOGRAM_MAX_MS);
  });

  it('has no percentiles when empty', () => {
    expect(new LatencyHistogram().percentiles()).toBeNull();
    expect(new LatencyHistogram().quantile(0.5)).toBeNull();
  });

  it('refuses buckets and counts that cannot come from a histogram', () => {
    const histogram = new LatencyHistogram();
    expect(() => histogram.addToBucket(HISTOGRAM_BUCKETS, 1)).toThrow(RangeError);
    expect(() => histogram.addToBucket(-1, 1)).toThrow(RangeError);
    expect(() => histogram.addToBucket(3, 1.5)).toThrow(RangeError);
    expect(() => LatencyHistogram.fromSparse({ '9999': 1 })).toThrow(RangeError);
  });

  describe('against values worked out by hand, not by the histogram', () => {
    /** Whether a reported value is within the documented 2% of the exact one. */
    const expectWithin2Percent = (reported: number | null, exact: number) => {
      expect(reported).not.toBeNull();
      expect(reported!).toBeGreaterThanOrEqual(exact * (1 - HISTOGRAM_RELATIVE_ERROR));
      expect(reported!).toBeLessThanOrEqual(exact * (1 + HISTOGRAM_RELATIVE_ERROR));
    };
    const histogramOf = (values: readonly number[]) => {
      const histogram = new LatencyHistogram();
      for (const value of values) histogram.add(value);
      return histogram;
    };
    const oneToTen = [7, 3, 10, 1, 9, 5, 2, 8, 6, 4];

    // Nearest rank: sort, take the value of rank ⌈q·n⌉ (at least 1). Neighbouring values in each
    // set are more than 4% apart, so a report within 2% can only be the expected one: a rank off
    // by one fails.
    it.each<[string, readonly number[], number, number]>([
      ['p50 of [10, 20, 30]: ⌈1.5⌉ = 2nd', [30, 10, 20], 0.5, 20],
      ['p34 of [10, 20, 30]: ⌈1.02⌉ = 2nd', [30, 10, 20], 0.34, 20],
      ['p33 of [10, 20, 30]: ⌈0.99⌉ = 1st', [30, 10, 20], 0.33, 10],
      ['p99 of [10, 20, 30]: ⌈2.97⌉ = 3rd', [30, 10, 20], 0.99, 30],
      ['p0 of [10, 20, 30]: rank at least 1, the smallest', [30, 10, 20], 0, 10],
      ['p50 of 1..10: ⌈5⌉ = 5th', oneToTen, 0.5, 5],
      ['p51 of 1..10: ⌈5.1⌉ = 6th', oneToTen, 0.51, 6],
      ['p95 of 1..10: ⌈9.5⌉ = 10th', oneToTen, 0.95, 10],
      ['p10 of 1..10: ⌈1⌉ = 1st', oneToTen, 0.1, 1],
      ['p50 of [1, 3, 40, 250, 1000]: ⌈2.5⌉ = 3rd', [250, 1, 1_000, 3, 40], 0.5, 40],
      ['p79 of [1, 3, 40, 250, 1000]: ⌈3.95⌉ = 4th', [250, 1, 1_000, 3, 40], 0.79, 250],
      ['p100 of one value', [0.5], 1, 0.5],
      ['p1 of one value', [0.5], 0.01, 0.5],
    ])('%s', (_name, values, q, exact) => {
      expectWithin2Percent(histogramOf(values).quantile(q), exact);
    });

    it('reports p50, p95 and p99 of 1..20 ms as 10, 19 and 20 ms (ranks ⌈10⌉, ⌈19⌉, ⌈19.8⌉)', () => {
      const percentiles = histogramOf(Array.from({ length: 20 }, (_, i) => 20 - i)).percentiles()!;
      expectWithin2Percent(percentiles.p50, 10);
      expectWithin2Percent(percentiles.p95, 19);
      expectWithin2Percent(percentiles.p99, 20);
    });

    it('counts repeated values once per call: p60 of 3 × 5 ms and 2 × 500 ms is 5 ms, p61 is 500 ms', () => {
      const histogram = new LatencyHistogram();
      histogram.add(500, 2);
      histogram.add(5, 3);
      expectWithin2Percent(histogram.quantile(0.5), 5); // ⌈2.5⌉ = 3rd
      expectWithin2Percent(histogram.quantile(0.6), 5); // ⌈3⌉ = 3rd
      expectWithin2Percent(histogram.quantile(0.61), 500); // ⌈3.05⌉ = 4th
    });

    // Lower bounds 0.01·γ^(i−1) of buckets 2, 122 and 243, γ = 1.019/0.981, computed to 50 digits
    // apart from this code. A value a billionth below a bound is in the bucket before it.
    it.each([
      [2, 0.010387359836901121],
      [122, 0.99340506919561228],
      [243, 98.685363150353923],
    ])('starts bucket %i at %d ms', (bucket, lower) => {
      expect(LatencyHistogram.bucketOf(lower * (1 + 1e-9))).toBe(bucket);
      expect(LatencyHistogram.bucketOf(lower * (1 - 1e-9))).toBe(bucket - 1);
    });

    it('puts the edges of the range where the documentation says', () => {
      expect(LatencyHistogram.bucketOf(0.009_999_999)).toBe(0);
      expect(LatencyHistogram.bucketOf(0.01)).toBe(1);
      expect(LatencyHistogram.bucketOf(3_599_999.999)).toBe(519);
      expect(LatencyHistogram.bucketOf(3_600_000)).toBe(520);
    });
  });

  it('keeps the stored layout: bucket numbers mean the same ranges as in the database', () => {
    // Stored histograms are bucket indexes: a change here silently corrupts every stored minute.
    expect(HISTOGRAM_BUCKETS).toBe(521);
    expect([0.01, 1, 100, 1_000, 60_000].map((ms) => LatencyHistogram.bucketOf(ms))).toEqual([1, 122, 243, 303, 411]);
    expect(LatencyHistogram.valueOf(243)).toBe(100.6);
  });
});
