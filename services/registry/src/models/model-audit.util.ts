import type { ModelConfig } from '@modelyard/contracts';

/** Longest text kept in an audit diff: a 10,000-character description need not be copied whole. */
const MAX_TEXT = 500;

const shown = (value: unknown): unknown => (typeof value === 'string' && value.length > MAX_TEXT ? `${value.slice(0, MAX_TEXT)}…` : value);
const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/** Names of the entries of two records that differ (added, removed or changed). */
function changedNames(before: Record<string, unknown>, after: Record<string, unknown>): string[] {
  return [...new Set([...Object.keys(before), ...Object.keys(after)])].filter((name) => !same(before[name], after[name])).sort();
}

/**
 * How a model's config changed, for the audit log. Environment variables and endpoint headers may
 * hold credentials, so only their names are kept; the signature is read from files, so only the fact.
 */
function configDiff(before: ModelConfig, after: ModelConfig): Record<string, unknown> {
  const diff: Record<string, unknown> = {};
  for (const member of ['input_format', 'output_format', 'parameters'] as const) {
    if (!same(before[member], after[member])) diff[member] = { from: before[member], to: after[member] };
  }
  if (!same(before.env, after.env)) diff.env = { variables_changed: changedNames(before.env, after.env) };
  if (!same(before.signature, after.signature)) diff.signature = { changed: true };
  if (!same(before.http, after.http)) {
    const { headers: headersBefore = {}, ...restBefore } = before.http ?? {};
    const { headers: headersAfter = {}, ...restAfter } = after.http ?? {};
    const http: Record<string, unknown> = {};
    for (const name of changedNames(restBefore, restAfter)) http[name] = { from: (restBefore as Record<string, unknown>)[name], to: (restAfter as Record<string, unknown>)[name] };
    const headers = changedNames(headersBefore, headersAfter);
    if (headers.length) http.headers_changed = headers;
    diff.http = http;
  }
  return diff;
}

/** The fields of a model edit, before and after, in API names; `api_key` only as "changed". */
export function modelUpdateDiff(fields: readonly string[], before: Record<string, unknown>, after: Record<string, unknown>): Record<string, unknown> {
  const diff: Record<string, unknown> = {};
  for (const field of fields) {
    if (field === 'api_key') diff.api_key = { changed: true };
    else if (field === 'config') diff.config = configDiff(before.config as ModelConfig, after.config as ModelConfig);
    else diff[field] = { from: shown(before[field]), to: shown(after[field]) };
  }
  return diff;
}
