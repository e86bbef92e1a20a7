import { LRUCache } from 'lru-cache';
import type { AccessScope, ListModelsQueryDto } from '@modelyard/contracts';

/** The list version as one scalar subquery, so it is read in the same snapshot as the rows beside it. */
export const LIST_VERSION_SQL = '(SELECT lv.version FROM model_list_version lv WHERE lv.id = 1)';

/** Lists counted at once per process: the filters and scopes in use at a time, not every one ever. */
const MAX_TOTALS = 1_000;

/**
 * What a list's total depends on: the caller's access (user, teams, a token's models) and the
 * filters. Not the sort, page or page size: paging through a list, or re-sorting it, reuses its count.
 */
export function listTotalKey(query: ListModelsQueryDto, scope: AccessScope): string {
  const sorted = (values: readonly string[] | null | undefined) => (values ? [...values].sort() : null);
  const who = scope.all ? ['all'] : ['user', scope.user_id, sorted(scope.team_ids)];
  const filters = [query.type ?? null, query.status ?? null, query.source ?? null, query.framework ?? null, sorted(query.tag), query.q ?? null];
  return JSON.stringify([...who, sorted(scope.model_ids), ...filters]);
}

/**
 * Exact totals of lists already counted, each kept with the list version it was counted at
 * (migration AddModelListVersion: every committed change a count could see bumps it). A total is
 * reused only for a page read at that same version, so it is exactly what counting again would
 * answer; any change since, through this process or another replica, makes it a miss.
 */
export class ListTotals {
  private readonly totals = new LRUCache<string, { version: string; total: number }>({ max: MAX_TOTALS });

  /** The total counted at `version`, if there is one. */
  get(key: string, version: string): number | undefined {
    const hit = this.totals.get(key);
    return hit && hit.version === version ? hit.total : undefined;
  }

  set(key: string, version: string, total: number): void {
    this.totals.set(key, { version, total });
  }
}
