import { Check, Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, Unique } from 'typeorm';
import type { ModelAccessLevel } from '@modelyard/contracts';
import { TeamEntity } from '../../identity/entities/team.entity.js';
import { UserEntity } from '../../identity/entities/user.entity.js';
import { ModelEntity } from '../../models/entities/model.entity.js';

/** A level on one model given to a user or to a team (exactly one of them). */
@Entity({ name: 'model_grants' })
@Unique('uq_model_grants_user', ['modelId', 'userId'])
@Unique('uq_model_grants_team', ['modelId', 'teamId'])
@Check('ck_model_grants_level', `"level" IN ('read','use','edit','manage')`)
@Check('ck_model_grants_grantee', `("user_id" IS NULL) <> ("team_id" IS NULL)`)
@Index('ix_model_grants_user', ['userId', 'modelId'])
@Index('ix_model_grants_team', ['teamId', 'modelId'])
export class ModelGrantEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'model_id', type: 'uuid' })
  modelId!: string;

  @ManyToOne(() => ModelEntity, { onDelete: 'CASCADE', onUpdate: 'NO ACTION' })
  @JoinColumn({ name: 'model_id', foreignKeyConstraintName: 'fk_model_grants_model' })
  model?: ModelEntity;

  @Column({ name: 'user_id', type: 'uuid', nullable: true })
  userId!: string | null;

  @ManyToOne(() => UserEntity, { onDelete: 'CASCADE', onUpdate: 'NO ACTION' })
  @JoinColumn({ name: 'user_id', foreignKeyConstraintName: 'fk_model_grants_user' })
  user?: UserEntity;

  @Column({ name: 'team_id', type: 'uuid', nullable: true })
  teamId!: string | null;

  @ManyToOne(() => TeamEntity, { onDelete: 'CASCADE', onUpdate: 'NO ACTION' })
  @JoinColumn({ name: 'team_id', foreignKeyConstraintName: 'fk_model_grants_team' })
  team?: TeamEntity;

  @Column({ type: 'varchar', length: 8 })
  level!: ModelAccessLevel;
}
