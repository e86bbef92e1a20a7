import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * Every usage event (call id) folded into the minute aggregates, claimed in the same transaction
 * as the fold, so a redelivered event finds its claim and is not counted twice. Apart from
 * metrics_processed_events: this table takes tens of thousands of rows a second, is keyed by the
 * event id alone (one consumer group writes it), and is pruned by `occurred_at` through a BRIN
 * index, which costs next to nothing to maintain on rows that arrive roughly in time order.
 */
@Entity({ name: 'metrics_usage_claims' })
// BRIN is not a type TypeORM can describe; the migration creates it and TypeORM leaves it alone.
@Index('IDX_metrics_usage_claims_occurred_at', { synchronize: false })
export class UsageClaimEntity {
  @PrimaryColumn({ name: 'event_id', type: 'uuid' })
  eventId!: string;

  /** The event's own time: claims older than the retention are pruned, and events that old refused. */
  @Column({ name: 'occurred_at', type: 'timestamptz' })
  occurredAt!: Date;
}
