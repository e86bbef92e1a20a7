import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { UsageErrorClass } from '@modelyard/contracts';
import type { SparseHistogram } from '../latency-histogram.util.js';

/**
 * One model's calls in one minute: the grain every usage statistic is computed from. Rows only
 * grow (counts add, histograms merge); the UsageRepository writes them with one upsert per batch.
 * The counts are bigint, which TypeORM reads as strings; the repository reads sums with SQL.
 */
@Entity({ name: 'metrics_usage_minutes' })
export class UsageMinuteEntity {
  @PrimaryColumn({ name: 'model_id', type: 'uuid' })
  modelId!: string;

  /** Start of the minute (UTC) the calls' `occurred_at` fell in. */
  @PrimaryColumn({ type: 'timestamptz' })
  minute!: Date;

  @Column({ type: 'bigint' })
  calls!: string;

  @Column({ type: 'bigint' })
  successes!: string;

  @Column({ type: 'bigint' })
  failures!: string;

  /** Tokens the provider counted; calls that count none (ONNX, events before tokens were recorded) add 0. */
  @Column({ name: 'input_tokens', type: 'bigint', default: 0 })
  inputTokens!: string;

  @Column({ name: 'output_tokens', type: 'bigint', default: 0 })
  outputTokens!: string;

  /** Latencies of all the minute's calls: LatencyHistogram's sparse form, bucket index → count. */
  @Column({ type: 'jsonb' })
  latency!: SparseHistogram;

  /** Failures by error class → count; failures without a class are counted in `failures` only. */
  @Column({ type: 'jsonb' })
  errors!: Partial<Record<UsageErrorClass, number>>;
}
