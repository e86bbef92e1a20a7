import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * One user's calls of one model in one minute, for calls recorded with a user id (calls without
 * one stay in UsageActorMinuteEntity, by name). Written in the same transaction as the model's
 * UsageMinuteEntity and the event claims, so the tables always agree. Counts are bigint (strings in
 * TypeORM); the repository reads sums with SQL.
 */
@Entity({ name: 'metrics_usage_user_minutes' })
// BRIN on the minute, for usage across all models over a range; the migration creates it.
@Index('IDX_metrics_usage_user_minutes_minute', { synchronize: false })
export class UsageUserMinuteEntity {
  // Model and minute first: most queries are one model over a range of minutes.
  @PrimaryColumn({ name: 'model_id', type: 'uuid' })
  modelId!: string;

  /** Start of the minute (UTC) the calls' `occurred_at` fell in. */
  @PrimaryColumn({ type: 'timestamptz' })
  minute!: Date;

  @PrimaryColumn({ name: 'user_id', type: 'uuid' })
  userId!: string;

  /** The username the minute's latest calls carried, for display (usernames do not change, ids outlive them). */
  @Column({ type: 'text' })
  username!: string;

  @Column({ type: 'bigint' })
  calls!: string;

  @Column({ type: 'bigint' })
  failures!: string;

  @Column({ name: 'input_tokens', type: 'bigint' })
  inputTokens!: string;

  @Column({ name: 'output_tokens', type: 'bigint' })
  outputTokens!: string;
}
