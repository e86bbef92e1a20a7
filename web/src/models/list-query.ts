import {
  MODEL_FRAMEWORKS,
  MODEL_SOURCES,
  MODEL_STATUSES,
  MODEL_TYPES,
  SORT_FIELDS,
  type ListQuery,
  type ModelSort,
} from '../api/types';

/*
 * The model list's filters live in the URL (`/models?type=llm&status=active&tag=chat&q=gpt&sort=-updated_at&page=2`)
 * so that a view can be shared, bookmarked and reloaded. The names are the API's query names.
 */

export const DEFAULT_SORT: ModelSort = '-created_at';
export const DEFAULT_PAGE_SIZE = 20;
export const PAGE_SIZES = [10, 20, 50, 100];

const oneOf = <T extends string>(values: readonly T[], value: string | null): T | undefined =>
  value !== null && (values as readonly string[]).includes(value) ? (value as T) : undefined;

const positiveInt = (value: string | null, max: number): number | undefined => {
  if (value === null || !/^\d+$/.test(value)) return undefined;
  const n = Number(value);
  return n >= 1 && n <= max ? n : undefined;
};

const SORTS: readonly string[] = [...SORT_FIELDS, ...SORT_FIELDS.map((f) => `-${f}`)];

/** Reads the list query from the URL; unknown or malformed values are dropped rather than sent to the API. */
export function parseListQuery(params: URLSearchParams): Required<Pick<ListQuery, 'page' | 'page_size' | 'sort'>> & ListQuery {
  const tags = params.getAll('tag').map((t) => t.trim()).filter(Boolean);
  const q = params.get('q')?.trim();
  return {
    type: oneOf(MODEL_TYPES, params.get('type')),
    status: oneOf(MODEL_STATUSES, params.get('status')),
    source: oneOf(MODEL_SOURCES, params.get('source')),
    framework: oneOf(MODEL_FRAMEWORKS, params.get('framework')),
    tag: tags.length ? [...new Set(tags)] : undefined,
    q: q || undefined,
    sort: (oneOf(SORTS, params.get('sort')) as ModelSort | undefined) ?? DEFAULT_SORT,
    page: positiveInt(params.get('page'), 1_000_000) ?? 1,
    page_size: positiveInt(params.get('page_size'), 200) ?? DEFAULT_PAGE_SIZE,
  };
}

/** Writes the query back, leaving defaults out so the plain list keeps the plain URL. */
export function toSearchParams(query: ListQuery): URLSearchParams {
  const params = new URLSearchParams();
  for (const key of ['type', 'status', 'source', 'framework'] as const) {
    const value = query[key];
    if (value) params.set(key, value);
  }
  for (const tag of query.tag ?? []) params.append('tag', tag);
  if (query.q) params.set('q', query.q);
  if (query.sort && query.sort !== DEFAULT_SORT) params.set('sort', query.sort);
  if (query.page && query.page !== 1) params.set('page', String(query.page));
  if (query.page_size && query.page_size !== DEFAULT_PAGE_SIZE) params.set('page_size', String(query.page_size));
  return params;
}

/** A filter change: merges, and goes back to page 1 unless the page itself is what changed. */
export function withChange(query: ListQuery, change: Partial<ListQuery>): ListQuery {
  const next = { ...query, ...change };
  if (!('page' in change)) next.page = 1;
  return next;
}

/** Ant Design's table sorter ↔ the API's sort: `-field` is descending. */
export function sortOrderOf(sort: ModelSort | undefined, field: string): 'ascend' | 'descend' | null {
  if (sort === field) return 'ascend';
  if (sort === `-${field}`) return 'descend';
  return null;
}
