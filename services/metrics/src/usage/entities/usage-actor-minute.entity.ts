import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * One actor's calls of one model in one minute: what per-user statistics are computed from.
 * Written in the same transaction as the model's UsageMinuteEntity and the event claims, so the
 * two tables always agree. Counts are bigint (strings in TypeORM); the repository reads sums with SQL.
 */
@Entity({ name: 'metrics_usage_actor_minutes' })
export class UsageActorMinuteEntity {
  // Model and minute first: every query is one model over a range of minutes.
  @PrimaryColumn({ name: 'model_id', type: 'uuid' })
  modelId!: string;

  /** Start of the minute (UTC) the calls' `occurred_at` fell in. */
  @PrimaryColumn({ type: 'timestamptz' })
  minute!: Date;

  /** Who made the calls: the name of the API token, as the usage event carries it. */
  @PrimaryColumn({ type: 'text' })
  actor!: string;

  @Column({ type: 'bigint' })
  calls!: string;

  @Column({ type: 'bigint' })
  failures!: string;

  /** Tokens the provider counted; calls that count none (ONNX, older events) add 0. */
  @Column({ name: 'input_tokens', type: 'bigint' })
  inputTokens!: string;

  @Column({ name: 'output_tokens', type: 'bigint' })
  outputTokens!: string;
}
