import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * Every event a consumer group has applied. Inserted in the same transaction as the event's
 * effect, so a redelivered event (at-least-once delivery) finds its row and is skipped.
 */
@Entity({ name: 'metrics_processed_events' })
export class ProcessedEventEntity {
  @PrimaryColumn({ name: 'consumer_group', type: 'varchar', length: 200 })
  consumerGroup!: string;

  @PrimaryColumn({ name: 'event_id', type: 'uuid' })
  eventId!: string;

  @Column({ name: 'processed_at', type: 'timestamptz', default: () => 'now()' })
  processedAt!: Date;
}
