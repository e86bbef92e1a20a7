import { Column, Entity, Index, PrimaryGeneratedColumn, Unique } from 'typeorm';
import type { AnyEventEnvelope } from '@modelyard/contracts';

/**
 * An event written in the same transaction as the change it announces. The relay publishes rows
 * in `seq` order and stamps `published_at`, so nothing is announced that was not committed and
 * nothing committed is lost while the bus is down.
 */
@Entity({ name: 'outbox_events' })
@Unique('uq_outbox_event_id', ['eventId'])
@Index('ix_outbox_unpublished', { synchronize: false })
@Index('ix_outbox_published_at', { synchronize: false })
export class OutboxEventEntity {
  // bigint comes back from pg as a string: exact, and only ever compared or passed back.
  @PrimaryGeneratedColumn({ type: 'bigint' })
  seq!: string;

  @Column({ name: 'event_id', type: 'uuid' })
  eventId!: string;

  @Column({ type: 'varchar', length: 200 })
  topic!: string;

  @Column({ type: 'varchar', length: 100 })
  type!: string;

  @Column({ type: 'varchar', length: 200 })
  key!: string;

  @Column({ type: 'jsonb' })
  envelope!: AnyEventEnvelope;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;

  @Column({ name: 'published_at', type: 'timestamptz', nullable: true })
  publishedAt!: Date | null;

  @Column({ type: 'integer', default: 0 })
  attempts!: number;

  @Column({ name: 'last_error', type: 'text', nullable: true })
  lastError!: string | null;
}
