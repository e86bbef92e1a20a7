import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * One actor's calls of one model in one minute, for calls recorded without a user id (from before
 * users existed); calls with one are in UsageUserMinuteEntity. Written in the same transaction as
 * the model's UsageMinuteEntity and the event claims, so the tables always agree. Counts are bigint
 * (strings in TypeORM); the repository reads sums with SQL.
 */
@Entity({ name: 'metrics_usage_actor_minutes' })
// BRIN on the minute, for usage across all models over a range; the migration creates it.
@Index('IDX_metrics_usage_actor_minutes_minute', { synchronize: false })
export class UsageActorMinuteEntity {
  // Model and minute first: every query is one model over a range of minutes.
  @PrimaryColumn({ name: 'model_id', type: 'uuid' })
  modelId!: string;

  /** Start of the minute (UTC) the calls' `occurred_at` fell in. */
  @PrimaryColumn({ type: 'timestamptz' })
  minute!: Date;

  /** Who made the calls: the name the usage event carries (a token's name, in the oldest events). */
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
