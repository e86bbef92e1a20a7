import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { EntityManager, Repository, SelectQueryBuilder } from 'typeorm';
import type { AccessScope, ListModelsQueryDto, ModelSortField } from '@modelyard/contracts';
import { readableModelsSql } from '../access/access-scope.util.js';
import { ModelEntity } from './entities/model.entity.js';
import { LIST_VERSION_SQL, ListTotals, listTotalKey } from './list-totals.util.js';

/**
 * Per sort field: its column, whether it holds NULLs, and the same order as an expression no index
 * provides (see list()).
 */
const SORT_COLUMNS: Record<ModelSortField, { column: string; nullable: boolean; unindexed: string }> = {
  name: { column: 'model.name', nullable: false, unindexed: "model.name || ''" },
  created_at: { column: 'model.createdAt', nullable: false, unindexed: "model.createdAt + interval '0'" },
  updated_at: { column: 'model.updatedAt', nullable: false, unindexed: "model.updatedAt + interval '0'" },
  latency_ms: { column: 'model.latencyMs', nullable: true, unindexed: 'model.latencyMs + 0' },
  accuracy: { column: 'model.accuracy', nullable: true, unindexed: 'model.accuracy + 0' },
};

/** pg_trgm finds a pattern through its index only from three characters on. */
const TRIGRAM_MIN_LENGTH = 3;

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
  private readonly totals = new ListTotals();

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

  /**
   * The page of models the scope may read: lists, counts and searches never show another. The total
   * is exact: counted, or reused from a count made at the same list version as this page (ListTotals).
   */
  async list(query: ListModelsQueryDto, scope: AccessScope): Promise<{ items: ModelEntity[]; total: number }> {
    const qb = this.filtered(query);
    const access = readableModelsSql(scope, 'model', 'access', 'row');
    qb.andWhere(access.sql, access.params).addSelect(LIST_VERSION_SQL, 'list_version');
    const { field, direction } = parseSort(query.sort);
    const sort = SORT_COLUMNS[field];
    // A search sorts its matches rather than walking the sort column's index: the planner cannot
    // tell how rare a term is, and for a rare one the walk reads the whole table to fill a page
    // (every row tested against the pattern), where the trigram indexes find the few matches at once.
    const column = query.q && query.q.length >= TRIGRAM_MIN_LENGTH ? sort.unindexed : sort.column;
    // Unknown latency or accuracy sorts last either way; the id makes the order total, so pages
    // neither repeat nor skip rows. NULLS LAST only where NULLs exist: on a NOT NULL column it
    // would stop PostgreSQL from reading a descending order backwards off an ascending index
    // (the migration has DESC NULLS LAST indexes for the nullable ones).
    (sort.nullable ? qb.orderBy(column, direction, 'NULLS LAST') : qb.orderBy(column, direction))
      .addOrderBy('model.id', direction)
      .offset((query.page - 1) * query.page_size)
      .limit(query.page_size);
    const { entities, raw } = await qb.getRawAndEntities<{ list_version: string }>();
    const key = listTotalKey(query, scope);
    // An empty page (no match, or past the end) carries no version: count.
    const version = raw[0]?.list_version;
    // A first page that is not full holds the whole list: that is its total, nothing to count.
    if (query.page === 1 && entities.length < query.page_size) {
      if (version !== undefined) this.totals.set(key, version, entities.length);
      return { items: entities, total: entities.length };
    }
    const known = version === undefined ? undefined : this.totals.get(key, version);
    return { items: entities, total: known ?? (await this.count(query, scope, key)) };
  }

  /** Counts the list and keeps the total with the version it was counted at. */
  private async count(query: ListModelsQueryDto, scope: AccessScope, key: string): Promise<number> {
    // A search counts its few trigram matches: probing each one's grants beats hashing every grant
    // of the user (at 100k models, 47 matches: 0.5 ms against 5 ms); other filters leave thousands.
    const searched = query.q !== undefined && query.q.length >= TRIGRAM_MIN_LENGTH;
    const access = readableModelsSql(scope, 'model', 'access', searched ? 'row' : 'set');
    const row = await this.filtered(query)
      .andWhere(access.sql, access.params)
      .select('COUNT(1)', 'total')
      .addSelect(LIST_VERSION_SQL, 'list_version')
      .getRawOne<{ total: string; list_version: string }>();
    const total = Number(row?.total ?? 0);
    if (row) this.totals.set(key, row.list_version, total);
    return total;
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
