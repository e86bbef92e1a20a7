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

  it('keeps the stored layout: bucket numbers mean the same ranges as in the database', () => {
    // Stored histograms are bucket indexes: a change here silently corrupts every stored minute.
    expect(HISTOGRAM_BUCKETS).toBe(521);
    expect([0.01, 1, 100, 1_000, 60_000].map((ms) => LatencyHistogram.bucketOf(ms))).toEqual([1, 122, 243, 303, 411]);
    expect(LatencyHistogram.valueOf(243)).toBe(100.6);
  });
});
