import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, Unique } from 'typeorm';
import type { TokenScope } from '@modelyard/contracts';
import { UserEntity } from './user.entity.js';

/**
 * An API token: only the SHA-256 of the token is stored (a token is 256 random bits, so a fast hash
 * is enough: nothing to brute-force), with what a person needs to recognise it.
 */
@Entity({ name: 'api_tokens' })
@Unique('uq_api_tokens_hash', ['tokenHash'])
@Index('ix_api_tokens_user', ['userId', 'createdAt'])
export class ApiTokenEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId!: string;

  @ManyToOne(() => UserEntity, { onDelete: 'CASCADE', onUpdate: 'NO ACTION' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'fk_api_tokens_user' })
  user?: UserEntity;

  @Column({ type: 'varchar', length: 100 })
  name!: string;

  @Column({ name: 'token_hash', type: 'varchar', length: 64, select: false })
  tokenHash?: string;

  @Column({ type: 'varchar', length: 16 })
  prefix!: string;

  @Column({ type: 'varchar', length: 4 })
  last4!: string;

  @Column({ type: 'text', array: true })
  scopes!: TokenScope[];

  @Column({ name: 'model_ids', type: 'uuid', array: true, nullable: true })
  modelIds!: string[] | null;

  @Column({ name: 'rpm_limit', type: 'integer', nullable: true })
  rpmLimit!: number | null;

  @Column({ name: 'tpm_limit', type: 'integer', nullable: true })
  tpmLimit!: number | null;

  @Column({ name: 'daily_call_limit', type: 'integer', nullable: true })
  dailyCallLimit!: number | null;

  @Column({ name: 'expires_at', type: 'timestamptz', nullable: true })
  expiresAt!: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'last_used_at', type: 'timestamptz', nullable: true })
  lastUsedAt!: Date | null;

  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt!: Date | null;
}
