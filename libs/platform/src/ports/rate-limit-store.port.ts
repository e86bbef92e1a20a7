/**
 * Port: counters for rate limits and quotas, shared by every gateway replica, exact across them.
 * Real adapter: Redis, one atomic Lua script per operation, timed by Redis's own clock (replicas'
 * clocks may disagree); in-process twin: the same algorithms over maps (standalone).
 *
 * Two kinds of window:
 * - `sliding`: a log of what was admitted, so that no span of `windowMs` ever holds more than
 *   `limit` (the promise a per-minute limit makes; a fixed minute would admit twice the limit
 *   across a minute boundary);
 * - `fixed`: a counter for the current window, which starts at multiples of `windowMs` since the
 *   Unix epoch (a calendar day in UTC for a daily quota).
 */
export interface LimitRule {
  /** What is counted, e.g. `rpm:token:<id>`; rules with the same key share one counter. */
  key: string;
  limit: number;
  windowMs: number;
  kind: 'sliding' | 'fixed';
}

export interface LimitState {
  key: string;
  limit: number;
  /** Counted in the window, this admission included when it was admitted. */
  used: number;
  /** Milliseconds until the window frees room (sliding: the oldest entry leaves; fixed: the window ends). */
  resetMs: number;
}

export interface Admission {
  allowed: boolean;
  /** One per rule, in the order given. */
  states: LimitState[];
  /** When refused: milliseconds until every refusing rule has room again; 0 when allowed. */
  retryAfterMs: number;
}

export interface RateLimitStore {
  /**
   * Counts `weight` (default 1) against every rule if and only if each has room for it (used +
   * weight ≤ limit): all or nothing, atomically, so concurrent callers on any replica never admit
   * more than a limit. With no rules, admits.
   */
  admit(rules: readonly LimitRule[], weight?: number): Promise<Admission>;
  /**
   * Whether each rule has room left (used < limit), counting nothing: for costs known only after
   * the work (language-model tokens), checked before it and recorded after.
   */
  check(rules: readonly LimitRule[]): Promise<Admission>;
  /** Counts `weight` against every rule without checking (tokens a call used; a failed sign-in). */
  record(rules: readonly LimitRule[], weight: number): Promise<void>;
  /** Forgets what was counted for these keys (a successful sign-in clears its failures). */
  reset(keys: readonly string[]): Promise<void>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export const RATE_LIMIT_STORE = Symbol('RateLimitStore');
