import { Inject, Injectable } from '@nestjs/common';
import type { Limits, ResolvedPrincipal } from '@modelyard/contracts';
import { DomainException, RATE_LIMIT_STORE, type Admission, type LimitRule, type LimitState, type RateLimitStore } from '@modelyard/platform';

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

/** What a request is, for the limits it counts against. */
export interface LimitedRequest {
  /** It calls a model: the daily call quota and the LLM-token rate apply. */
  call: boolean;
}

/** What the answer should say of the limits (RateLimit-* headers): the rule closest to its limit. */
export interface LimitReport {
  limit: number;
  remaining: number;
  resetSeconds: number;
}

type Holder = { kind: 'token' | 'user'; id: string; limits: Limits };

function holdersOf(resolved: ResolvedPrincipal): Holder[] {
  const { principal, limits } = resolved;
  return [
    ...(principal.token_id && limits.token ? [{ kind: 'token' as const, id: principal.token_id, limits: limits.token }] : []),
    { kind: 'user' as const, id: principal.user_id, limits: limits.user },
  ];
}

const rule = (key: string, limit: number | null, windowMs: number, kind: LimitRule['kind']): LimitRule[] => (limit === null ? [] : [{ key, limit, windowMs, kind }]);

/** The rule of a list that leaves the least room: the one a client must watch. */
function tightest(states: readonly LimitState[]): LimitReport | null {
  if (states.length === 0) return null;
  const state = [...states].sort((a, b) => a.limit - a.used - (b.limit - b.used))[0]!;
  return { limit: state.limit, remaining: Math.max(0, state.limit - state.used), resetSeconds: Math.ceil(state.resetMs / 1000) };
}

export const rateLimited = (what: string, retryAfterMs: number) =>
  new DomainException(429, 'rate_limited', `${what} Try again in ${Math.max(1, Math.ceil(retryAfterMs / 1000))} s.`, undefined, Math.max(1, Math.ceil(retryAfterMs / 1000)));

/**
 * Rate limits and quotas of users and API tokens (both apply to a token's requests): requests per
 * minute and, for model calls, calls per UTC day and language-model tokens per minute. Counted in the
 * rate-limit store (Redis in distributed mode: exact across every gateway replica).
 */
@Injectable()
export class LimitsService {
  constructor(@Inject(RATE_LIMIT_STORE) private readonly store: RateLimitStore) {}

  /**
   * Counts the request, or refuses it with a 429 problem (with Retry-After) to throw; reports the
   * tightest limit either way, for the RateLimit headers.
   */
  async admit(resolved: ResolvedPrincipal, request: LimitedRequest): Promise<{ report: LimitReport | null; refusal: DomainException | null }> {
    const holders = holdersOf(resolved);
    if (request.call) {
      // Tokens are known only after a call: refuse while the last minute's already reach the limit.
      const tokens = holders.flatMap((h) => rule(`tpm:${h.kind}:${h.id}`, h.limits.tpm_limit, MINUTE_MS, 'sliding'));
      const room = await this.store.check(tokens);
      if (!room.allowed) {
        return { report: tightest(room.states), refusal: rateLimited(`Language-model token limit reached: ${describe(tokens, room)} per minute.`, room.retryAfterMs) };
      }
    }
    const rules = holders.flatMap((h) => [
      ...rule(`rpm:${h.kind}:${h.id}`, h.limits.rpm_limit, MINUTE_MS, 'sliding'),
      ...(request.call ? rule(`calls:${h.kind}:${h.id}`, h.limits.daily_call_limit, DAY_MS, 'fixed') : []),
    ]);
    if (rules.length === 0) return { report: null, refusal: null };
    const admission = await this.store.admit(rules);
    if (admission.allowed) return { report: tightest(admission.states), refusal: null };
    const daily = admission.states.some((state) => state.used >= state.limit && state.key.startsWith('calls:'));
    const what = daily ? `Daily call quota reached: ${describe(rules, admission)} calls per day (UTC).` : `Rate limit reached: ${describe(rules, admission)} requests per minute.`;
    return { report: tightest(admission.states), refusal: rateLimited(what, admission.retryAfterMs) };
  }

  /** Counts the language-model tokens a call used against the per-minute token limits. */
  async recordTokens(resolved: ResolvedPrincipal, tokens: number): Promise<void> {
    if (tokens <= 0) return;
    const rules = holdersOf(resolved).flatMap((h) => rule(`tpm:${h.kind}:${h.id}`, h.limits.tpm_limit, MINUTE_MS, 'sliding'));
    if (rules.length) await this.store.record(rules, tokens);
  }
}

/** "60 (token) / 100 (user)" for the refusing rules. */
function describe(rules: readonly LimitRule[], admission: Admission): string {
  const refusing = admission.states.filter((state) => state.used >= state.limit);
  const shown = refusing.length ? refusing : admission.states;
  return shown.map((state) => `${state.limit} (${rules.find((r) => r.key === state.key)?.key.split(':')[1] ?? 'limit'})`).join(' / ');
}
