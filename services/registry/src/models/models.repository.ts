import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { EntityManager, Repository, SelectQueryBuilder } from 'typeorm';
import type { AccessScope, ListModelsQueryDto, ModelSortField } from '@modelyard/contracts';
import { readableModelsSql } from '../access/access-scope.util.js';
import { ModelEntity } from './entities/model.entity.js';

const SORT_COLUMNS: Record<ModelSortField, { column: string; nullable: boolean }> = {
  name: { column: 'model.name', nullable: false },
  created_at: { column: 'model.createdAt', nullable: false },
  updated_at: { column: 'model.updatedAt', nullable: false },
  latency_ms: { column: 'model.latencyMs', nullable: true },
  accuracy: { column: 'model.accuracy', nullable: true },
};

/** `%` and `_` in user text are literals, not wildcards. */
export const escapeLike = (text: string): string => text.replace(/[\\%_]/g, (c) => `\\${c}`);

/** Splits "-created_at" into its column and direction. */
export function parseSort(sort: ListModelsQueryDto['sort']): { field: ModelSortField; direction: 'ASC' | 'DESC' } {
  return sort.startsWith('-')
    ? { field: sort.slice(1) as ModelSortField, direction: 'DESC' }
    : { field: sort as ModelSortField, direction: 'ASC' };
}

@Injectable()
export class ModelsRepository {
  constructor(@InjectRepository(ModelEntity) private readonly models: Repository<ModelEntity>) {}

  /**
   * A model the scope may read; null when it may not (for it, the model does not exist). Reads for
   * a caller take its scope: there is no unscoped way to read a model for someone.
   */
  findReadable(id: string, scope: AccessScope): Promise<ModelEntity | null> {
    const access = readableModelsSql(scope, 'model');
    return this.models.createQueryBuilder('model').where('model.id = :id', { id }).andWhere(access.sql, access.params).getOne();
  }

  /** A model with its sealed secret, for the workers that call it. */
  findWithSecret(id: string): Promise<ModelEntity | null> {
    return this.models.createQueryBuilder('model').addSelect('model.secret').where('model.id = :id', { id }).getOne();
  }

  /** Reads and row-locks a model for a change inside `manager`'s transaction. */
  findForUpdate(id: string, manager: EntityManager): Promise<ModelEntity | null> {
    return manager
      .getRepository(ModelEntity)
      .createQueryBuilder('model')
      .setLock('pessimistic_write')
      .where('model.id = :id', { id })
      .getOne();
  }

  /** The page of models the scope may read: lists, counts and searches never show another. */
  async list(query: ListModelsQueryDto, scope: AccessScope): Promise<{ items: ModelEntity[]; total: number }> {
    const qb = this.filtered(query);
    const access = readableModelsSql(scope, 'model');
    qb.andWhere(access.sql, access.params);
    const { field, direction } = parseSort(query.sort);
    const { column, nullable } = SORT_COLUMNS[field];
    // Unknown latency or accuracy sorts last either way; the id makes the order total, so pages
    // neither repeat nor skip rows. NULLS LAST only where NULLs exist: on a NOT NULL column it
    // would stop PostgreSQL from reading a descending order backwards off an ascending index
    // (the migration has DESC NULLS LAST indexes for the nullable ones).
    (nullable ? qb.orderBy(column, direction, 'NULLS LAST') : qb.orderBy(column, direction))
      .addOrderBy('model.id', direction)
      .skip((query.page - 1) * query.page_size)
      .take(query.page_size);
    const [items, total] = await qb.getManyAndCount();
    return { items, total };
  }

  private filtered(query: ListModelsQueryDto): SelectQueryBuilder<ModelEntity> {
    const qb = this.models.createQueryBuilder('model');
    if (query.type) qb.andWhere('model.type = :type', { type: query.type });
    if (query.status) qb.andWhere('model.status = :status', { status: query.status });
    if (query.source) qb.andWhere('model.source = :source', { source: query.source });
    if (query.framework) qb.andWhere('model.framework = :framework', { framework: query.framework });
    if (query.tag?.length) qb.andWhere('model.tags @> :tags', { tags: query.tag });
    if (query.q) {
      qb.andWhere('(model.name ILIKE :q OR model.description ILIKE :q)', { q: `%${escapeLike(query.q)}%` });
    }
    return qb;
  }
}
