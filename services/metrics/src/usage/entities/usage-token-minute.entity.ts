import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * One API token's calls of one model in one minute (calls made with a session belong to no token).
 * Written with the other minute tables in one transaction. Only the token's id is kept: its name
 * and owner are the registry's, asked for when statistics are shown.
 */
@Entity({ name: 'metrics_usage_token_minutes' })
// BRIN on the minute, for usage across all models over a range; the migration creates it.
@Index('IDX_metrics_usage_token_minutes_minute', { synchronize: false })
export class UsageTokenMinuteEntity {
  @PrimaryColumn({ name: 'model_id', type: 'uuid' })
  modelId!: string;

  /** Start of the minute (UTC) the calls' `occurred_at` fell in. */
  @PrimaryColumn({ type: 'timestamptz' })
  minute!: Date;

  @PrimaryColumn({ name: 'token_id', type: 'uuid' })
  tokenId!: string;

  @Column({ type: 'bigint' })
  calls!: string;

  @Column({ type: 'bigint' })
  failures!: string;

  @Column({ name: 'input_tokens', type: 'bigint' })
  inputTokens!: string;

  @Column({ name: 'output_tokens', type: 'bigint' })
  outputTokens!: string;
}
