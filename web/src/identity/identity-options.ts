import { MODEL_ACCESS_LEVELS, ROLES, TOKEN_SCOPES, type Limits, type Role, type TokenScope } from '../api/identity-types';
import type { Translate } from '../i18n/i18n';

export const ROLE_COLORS: Record<Role, string> = { admin: 'red', maintainer: 'blue', user: 'green', viewer: 'default' };

export const roleOptions = (t: Translate) => ROLES.map((value) => ({ value, label: t(`role.${value}`) }));
export const levelOptions = (t: Translate) => MODEL_ACCESS_LEVELS.map((value) => ({ value, label: t(`level.${value}`) }));
export const scopeOptions = (t: Translate, allowed: readonly TokenScope[] = TOKEN_SCOPES) =>
  TOKEN_SCOPES.map((value) => ({ value, label: t(`scope.${value}`), disabled: !allowed.includes(value) }));

export const LIMIT_FIELDS = ['rpm_limit', 'tpm_limit', 'daily_call_limit'] as const;
/** The API's bounds of every limit (limits.dto.ts); empty means no limit (null). */
export const LIMIT_MAX = 100_000_000;

/** "60 rpm · 10,000 tpm": only the limits that are set; null when none is. */
export function limitsText(limits: Limits, t: Translate): string | null {
  const parts = LIMIT_FIELDS.filter((field) => limits[field] !== null).map((field) => t(`limits.${field}.short`, { value: limits[field]!.toLocaleString('en') }));
  return parts.length ? parts.join(' · ') : null;
}

/** Form values (an empty input is undefined or null) → the API's limits: null is "no limit". */
export function limitsOf(values: Partial<Record<(typeof LIMIT_FIELDS)[number], number | null | undefined>>): Limits {
  return {
    rpm_limit: values.rpm_limit ?? null,
    tpm_limit: values.tpm_limit ?? null,
    daily_call_limit: values.daily_call_limit ?? null,
  };
}
