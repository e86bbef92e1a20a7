import { Column, Entity, Index, PrimaryColumn, Unique } from 'typeorm';
import type { AuditAction, AuditResult, AuditTargetType } from '@modelyard/contracts';

/**
 * One append-only audit record. `hash` = SHA-256 over `prev_hash` and the record's canonical form
 * (see audit-hash.util.ts), so an edited, removed or inserted row breaks the chain. A trigger
 * refuses UPDATE and DELETE (see the migration).
 */
@Entity({ name: 'audit_events' })
@Unique('uq_audit_events_id', ['id'])
@Index('ix_audit_events_occurred', ['occurredAt', 'seq'])
@Index('ix_audit_events_action', ['action', 'occurredAt'])
@Index('ix_audit_events_target', ['targetId', 'occurredAt'])
@Index('ix_audit_events_actor', ['actorUsername', 'occurredAt'])
export class AuditEventEntity {
  // bigint comes back from pg as a string; the chain numbers records 1, 2, 3… without gaps.
  @PrimaryColumn({ type: 'bigint' })
  seq!: string;

  @Column({ type: 'uuid' })
  id!: string;

  @Column({ name: 'occurred_at', type: 'timestamptz' })
  occurredAt!: Date;

  @Column({ type: 'varchar', length: 64 })
  action!: AuditAction;

  @Column({ type: 'varchar', length: 16 })
  result!: AuditResult;

  @Column({ name: 'actor_user_id', type: 'uuid', nullable: true })
  actorUserId!: string | null;

  @Column({ name: 'actor_username', type: 'varchar', length: 200 })
  actorUsername!: string;

  @Column({ name: 'actor_token_id', type: 'uuid', nullable: true })
  actorTokenId!: string | null;

  @Column({ name: 'target_type', type: 'varchar', length: 32, nullable: true })
  targetType!: AuditTargetType | null;

  @Column({ name: 'target_id', type: 'varchar', length: 200, nullable: true })
  targetId!: string | null;

  @Column({ name: 'client_ip', type: 'varchar', length: 64, nullable: true })
  clientIp!: string | null;

  @Column({ name: 'request_id', type: 'varchar', length: 128, nullable: true })
  requestId!: string | null;

  @Column({ type: 'jsonb' })
  details!: Record<string, unknown>;

  @Column({ name: 'prev_hash', type: 'varchar', length: 64 })
  prevHash!: string;

  @Column({ type: 'varchar', length: 64 })
  hash!: string;
}
