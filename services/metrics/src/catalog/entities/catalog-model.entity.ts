import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { ModelStatus } from '@modelyard/contracts';

/**
 * The metrics service's own copy of what it needs to know about each model (name for labels,
 * status, whether it still exists), kept current from the registry's events. Services own their
 * tables: metrics never reads the registry's.
 */
@Entity({ name: 'metrics_models' })
export class CatalogModelEntity {
  @PrimaryColumn({ name: 'model_id', type: 'uuid' })
  modelId!: string;

  @Column({ type: 'varchar', length: 200 })
  name!: string;

  @Column({ type: 'varchar', length: 64 })
  version!: string;

  @Column({ type: 'varchar', length: 32 })
  status!: ModelStatus;

  @Column({ name: 'deleted_at', type: 'timestamptz', nullable: true })
  deletedAt!: Date | null;

  /** `occurred_at` of the last event applied; older events arriving late do not overwrite newer state. */
  @Column({ name: 'last_event_at', type: 'timestamptz' })
  lastEventAt!: Date;
}
