import { Check, Column, Entity, PrimaryColumn } from 'typeorm';

/** The audit chain's last record: one row, locked by every append (see AuditService). */
@Entity({ name: 'audit_chain_head' })
@Check('ck_audit_chain_head_single', `"id" = 1`)
export class AuditChainHeadEntity {
  @PrimaryColumn({ type: 'smallint' })
  id!: number;

  @Column({ type: 'bigint' })
  seq!: string;

  @Column({ type: 'varchar', length: 64 })
  hash!: string;
}
