/**
 * A mergeable latency histogram with fixed log-scale buckets, the kind DDSketch uses: every value
 * in [HISTOGRAM_MIN_MS, HISTOGRAM_MAX_MS) lands in a bucket whose bounds are within a factor of
 * γ = (1 + α) / (1 − α) of each other, and a quantile is reported as the point of its bucket that
 * is at most α away, relatively, from every value in the bucket. So a reported p99 is within α of
 * the exact p99 (the value of rank ⌈0.99·n⌉), however the data are distributed, and two
 * histograms merge by adding counts: per-minute histograms add up to a day's exactly.
 *
 * NEVER CHANGE the layout (α, the bounds, the numbering): stored histograms are bucket indexes.
 * A different layout needs a new column and a migration that re-buckets.
 */

/** α: relative error of a bucket's reported value; 1.9%, so that with the rounding to 4 digits (≤ 0.05%) it stays under 2%. */
const ALPHA = 0.019;
const GAMMA = (1 + ALPHA) / (1 - ALPHA);
const LOG_GAMMA = Math.log(GAMMA);

/** The smallest latency told apart from zero: 10 µs. */
export const HISTOGRAM_MIN_MS = 0.01;
/** The largest latency tracked: one hour. */
export const HISTOGRAM_MAX_MS = 3_600_000;
/** Relative error of a reported quantile for values in [HISTOGRAM_MIN_MS, HISTOGRAM_MAX_MS). */
export const HISTOGRAM_RELATIVE_ERROR = 0.02;

/** Regular buckets 1..REGULAR; bucket i holds [MIN·γ^(i−1), MIN·γ^i). */
const REGULAR = Math.ceil(Math.log(HISTOGRAM_MAX_MS / HISTOGRAM_MIN_MS) / LOG_GAMMA);
const UNDERFLOW = 0;
const OVERFLOW = REGULAR + 1;
/** Buckets in all: underflow (below 10 µs, zero included), the regular ones, overflow (an hour or more). */
export const HISTOGRAM_BUCKETS = REGULAR + 2;

export interface LatencyPercentiles {
  p50: number;
  p95: number;
  p99: number;
}

/** Sparse form for the database: bucket index → count, only non-empty buckets (jsonb keys are strings). */
export type SparseHistogram = Record<string, number>;

export class LatencyHistogram {
  /**
   * Counts per bucket. Whole numbers, in float64 because a busy model's 90 days can pass 2^32
   * calls and float64 holds every integer up to 2^53 exactly (BigInt64Array would be slower).
   */
  private readonly counts = new Float64Array(HISTOGRAM_BUCKETS);
  private total = 0;

  /** Which bucket a latency falls into. */
  static bucketOf(ms: number): number {
    if (!(ms >= HISTOGRAM_MIN_MS)) return UNDERFLOW;
    if (ms >= HISTOGRAM_MAX_MS) return OVERFLOW;
    const index = Math.floor(Math.log(ms / HISTOGRAM_MIN_MS) / LOG_GAMMA) + 1;
    // Rounding of the logarithm can push a value on a bound one bucket off the range.
    return Math.min(Math.max(index, 1), REGULAR);
  }

  /**
   * The value reported for a bucket [lower, upper): 2·lower·upper/(lower+upper), within α of both
   * bounds, rounded to 4 digits. Underflow reports 0 and overflow the hour: outside the range only
   * a bound can be said.
   */
  static valueOf(bucket: number): number {
    if (bucket <= UNDERFLOW) return 0;
    if (bucket >= OVERFLOW) return HISTOGRAM_MAX_MS;
    const lower = HISTOGRAM_MIN_MS * GAMMA ** (bucket - 1);
    // The last regular bucket ends at the hour, short of lower·γ.
    const upper = Math.min(lower * GAMMA, HISTOGRAM_MAX_MS);
    return Number(((2 * lower * upper) / (lower + upper)).toPrecision(4));
  }

  static fromSparse(sparse: SparseHistogram): LatencyHistogram {
    const histogram = new LatencyHistogram();
    for (const [bucket, count] of Object.entries(sparse)) histogram.addToBucket(Number(bucket), count);
    return histogram;
  }

  get count(): number {
    return this.total;
  }

  add(ms: number, times = 1): void {
    this.addToBucket(LatencyHistogram.bucketOf(ms), times);
  }

  addToBucket(bucket: number, count: number): void {
    if (!Number.isInteger(bucket) || bucket < 0 || bucket >= HISTOGRAM_BUCKETS) {
      throw new RangeError(`histogram bucket ${bucket} is outside 0..${HISTOGRAM_BUCKETS - 1}`);
    }
    if (!Number.isSafeInteger(count) || count < 0) throw new RangeError(`histogram count must be a whole number ≥ 0, got ${count}`);
    this.counts[bucket]! += count;
    this.total += count;
  }

  merge(other: LatencyHistogram): this {
    for (let bucket = 0; bucket < HISTOGRAM_BUCKETS; bucket += 1) this.counts[bucket]! += other.counts[bucket]!;
    this.total += other.total;
    return this;
  }

  /** The value of rank ⌈q·n⌉ (nearest rank), within α; null when empty. */
  quantile(q: number): number | null {
    if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile must be within 0..1, got ${q}`);
    if (this.total === 0) return null;
    const rank = Math.max(1, Math.ceil(q * this.total));
    let seen = 0;
    for (let bucket = 0; bucket < HISTOGRAM_BUCKETS; bucket += 1) {
      seen += this.counts[bucket]!;
      if (seen >= rank) return LatencyHistogram.valueOf(bucket);
    }
    return LatencyHistogram.valueOf(OVERFLOW);
  }

  percentiles(): LatencyPercentiles | null {
    if (this.total === 0) return null;
    return { p50: this.quantile(0.5)!, p95: this.quantile(0.95)!, p99: this.quantile(0.99)! };
  }

  toSparse(): SparseHistogram {
    const sparse: SparseHistogram = {};
    for (let bucket = 0; bucket < HISTOGRAM_BUCKETS; bucket += 1) {
      if (this.counts[bucket]! > 0) sparse[bucket] = this.counts[bucket]!;
    }
    return sparse;
  }
}
