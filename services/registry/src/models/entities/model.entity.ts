import {
  Check,
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
  Unique,
  UpdateDateColumn,
} from 'typeorm';
import type {
  ArtifactDto,
  HuggingFaceImportDto,
  ModelConfig,
  ModelFramework,
  ModelSource,
  ModelStatus,
  ModelType,
  ModelVisibility,
  TransferProgressDto,
} from '@modelyard/contracts';
import { UserEntity } from '../../identity/entities/user.entity.js';

/** A transfer in progress, with the status to return to when it ends (never shown by the API). */
export interface StoredProgress extends TransferProgressDto {
  previous_status: ModelStatus;
}

/** A Hugging Face import, with the fields the user left for the import to fill (never shown). */
export interface StoredImport extends HuggingFaceImportDto {
  fill: string[];
}

/*
 * Indexes serve the list query (filters + sort + page) at 100k+ rows: a composite for the most
 * common filter pair in its default order, one per sort key, GIN for tags, and trigram GIN for the
 * case-insensitive `q` search. `synchronize: false` marks those TypeORM cannot describe itself
 * (GIN, opclasses): the migration owns them and the schema check leaves them alone.
 */
@Entity({ name: 'models' })
@Unique('uq_models_name_version', ['name', 'version'])
@Check('ck_models_type', `"type" IN ('llm','vision','audio','multimodal','embedding','custom')`)
@Check(
  'ck_models_framework',
  `"framework" IN ('pytorch','tensorflow','onnx','tensorrt','openvino','openai','anthropic','custom')`,
)
@Check('ck_models_source', `"source" IN ('huggingface','openai','anthropic','upload','endpoint','custom')`)
@Check('ck_models_status', `"status" IN ('active','inactive','uploading','error')`)
@Check('ck_models_secret', `"has_secret" = ("secret" IS NOT NULL)`)
@Check('ck_models_secret_origin', `("secret" IS NULL) = ("secret_origin" IS NULL)`)
@Check('ck_models_accuracy', `"accuracy" IS NULL OR ("accuracy" >= 0 AND "accuracy" <= 1)`)
@Check('ck_models_visibility', `"visibility" IN ('private','internal')`)
@Index('ix_models_owner', ['ownerId'])
@Index('ix_models_visibility', ['visibility'])
@Index('ix_models_type_status_created', ['type', 'status', 'createdAt', 'id'])
@Index('ix_models_status_created', ['status', 'createdAt', 'id'])
@Index('ix_models_created', ['createdAt', 'id'])
@Index('ix_models_updated', ['updatedAt', 'id'])
@Index('ix_models_name', ['name', 'id'])
@Index('ix_models_latency', ['latencyMs', 'id'])
@Index('ix_models_accuracy', ['accuracy', 'id'])
@Index('ix_models_source', ['source'])
@Index('ix_models_framework', ['framework'])
@Index('ix_models_latency_desc', { synchronize: false })
@Index('ix_models_accuracy_desc', { synchronize: false })
@Index('ix_models_tags', { synchronize: false })
@Index('ix_models_name_trgm', { synchronize: false })
@Index('ix_models_description_trgm', { synchronize: false })
export class ModelEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'varchar', length: 200 })
  name!: string;

  @Column({ type: 'varchar', length: 64 })
  version!: string;

  @Column({ type: 'varchar', length: 32 })
  type!: ModelType;

  @Column({ type: 'varchar', length: 32 })
  framework!: ModelFramework;

  @Column({ type: 'varchar', length: 32 })
  source!: ModelSource;

  @Column({ type: 'varchar', length: 32 })
  status!: ModelStatus;

  @Column({ name: 'status_message', type: 'text', nullable: true })
  statusMessage!: string | null;

  @Column({ type: 'text', nullable: true })
  description!: string | null;

  @Column({ type: 'varchar', length: 2048, nullable: true })
  endpoint!: string | null;

  @Column({ type: 'text', array: true, default: () => "'{}'" })
  tags!: string[];

  @Column({ type: 'jsonb' })
  config!: ModelConfig;

  @Column({ type: 'double precision', nullable: true })
  accuracy!: number | null;

  @Column({ name: 'latency_ms', type: 'double precision', nullable: true })
  latencyMs!: number | null;

  /** The creator's username, as it was then (shown as `owner`). */
  @Column({ type: 'varchar', length: 200 })
  owner!: string;

  /** The owning user, who has `manage` on the model; null once that user is deleted. */
  @Column({ name: 'owner_id', type: 'uuid', nullable: true })
  ownerId!: string | null;

  @ManyToOne(() => UserEntity, { onDelete: 'SET NULL', onUpdate: 'NO ACTION' })
  @JoinColumn({ name: 'owner_id', foreignKeyConstraintName: 'fk_models_owner' })
  ownerUser?: UserEntity;

  @Column({ type: 'varchar', length: 16, default: 'private' })
  visibility!: ModelVisibility;

  @Column({ type: 'varchar', length: 200, nullable: true })
  license!: string | null;

  @Column({ type: 'jsonb', default: () => "'[]'" })
  artifacts!: ArtifactDto[];

  @Column({ type: 'jsonb', nullable: true })
  progress!: StoredProgress | null;

  @Column({ name: 'import_spec', type: 'jsonb', nullable: true })
  importSpec!: StoredImport | null;

  @Column({ name: 'provider_model', type: 'varchar', length: 200, nullable: true })
  providerModel!: string | null;

  /**
   * The sealed secret (see SecretCipher). `select: false`: loaded only where asked for by name, so
   * a record read for an answer cannot carry it by mistake.
   */
  @Column({ type: 'text', nullable: true, select: false })
  secret?: string | null;

  @Column({ name: 'has_secret', type: 'boolean', default: false })
  hasSecret!: boolean;

  @Column({ name: 'secret_last4', type: 'varchar', length: 4, nullable: true })
  secretLast4!: string | null;

  /** Where the secret may be sent (see secretOriginOf); set with the secret, null without one. */
  @Column({ name: 'secret_origin', type: 'text', nullable: true })
  secretOrigin!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
