import { Check, Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import type { Role } from '@modelyard/contracts';

/** A person (or a service account) that signs in or owns API tokens. */
@Entity({ name: 'users' })
@Check('ck_users_role', `"role" IN ('admin','maintainer','user','viewer')`)
// Unique on lower(username): the migration owns it (TypeORM cannot describe an expression index).
@Index('uq_users_username', { synchronize: false })
export class UserEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'varchar', length: 64 })
  username!: string;

  @Column({ name: 'display_name', type: 'varchar', length: 200, nullable: true })
  displayName!: string | null;

  @Column({ type: 'varchar', length: 16 })
  role!: Role;

  /** `scrypt$…` (see password-hash.util.ts); null: the user cannot sign in with a password. */
  @Column({ name: 'password_hash', type: 'text', nullable: true, select: false })
  passwordHash?: string | null;

  @Column({ type: 'boolean', default: false })
  disabled!: boolean;

  /** The built-in admin that the bootstrap admin token stands for. */
  @Column({ type: 'boolean', default: false })
  builtin!: boolean;

  @Column({ name: 'rpm_limit', type: 'integer', nullable: true })
  rpmLimit!: number | null;

  @Column({ name: 'tpm_limit', type: 'integer', nullable: true })
  tpmLimit!: number | null;

  @Column({ name: 'daily_call_limit', type: 'integer', nullable: true })
  dailyCallLimit!: number | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
