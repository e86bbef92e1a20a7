import { AUDIT_ACTIONS, type AuditAction, type AuditQuery } from '../api/identity-types';

/*
 * The audit page's filters live in the URL, as the model list's do
 * (`/audit?actor=mei&action=model.delete&action=permission.change&from=…&page=2`): a view of the log
 * can be shared and reloaded. The names are the API's query names.
 */

export const AUDIT_PAGE_SIZES = [20, 50, 100, 200];
export const DEFAULT_AUDIT_PAGE_SIZE = 50;

const positiveInt = (value: string | null, max: number): number | undefined => {
  if (value === null || !/^\d+$/.test(value)) return undefined;
  const n = Number(value);
  return n >= 1 && n <= max ? n : undefined;
};

const instant = (value: string | null): string | undefined => (value && !Number.isNaN(Date.parse(value)) ? new Date(value).toISOString() : undefined);
const text = (value: string | null, max: number): string | undefined => value?.trim().slice(0, max) || undefined;

/** Reads the query from the URL; unknown actions and malformed values are dropped rather than sent. */
export function parseAuditQuery(params: URLSearchParams): AuditQuery & { page: number; page_size: number } {
  const actions = [...new Set(params.getAll('action'))].filter((a): a is AuditAction => (AUDIT_ACTIONS as readonly string[]).includes(a));
  return {
    actor: text(params.get('actor'), 64),
    action: actions.length ? actions : undefined,
    target_id: text(params.get('target_id'), 200),
    from: instant(params.get('from')),
    to: instant(params.get('to')),
    page: positiveInt(params.get('page'), 1_000_000) ?? 1,
    page_size: positiveInt(params.get('page_size'), 200) ?? DEFAULT_AUDIT_PAGE_SIZE,
  };
}

/** Writes the query back, defaults left out. */
export function auditSearchParams(query: AuditQuery): URLSearchParams {
  const params = new URLSearchParams();
  if (query.actor) params.set('actor', query.actor);
  for (const action of query.action ?? []) params.append('action', action);
  if (query.target_id) params.set('target_id', query.target_id);
  if (query.from) params.set('from', query.from);
  if (query.to) params.set('to', query.to);
  if (query.page && query.page !== 1) params.set('page', String(query.page));
  if (query.page_size && query.page_size !== DEFAULT_AUDIT_PAGE_SIZE) params.set('page_size', String(query.page_size));
  return params;
}

/** A filter change goes back to page 1, unless the page is what changed. */
export function withAuditChange(query: AuditQuery, change: Partial<AuditQuery>): AuditQuery {
  const next = { ...query, ...change };
  if (!('page' in change)) next.page = 1;
  return next;
}
