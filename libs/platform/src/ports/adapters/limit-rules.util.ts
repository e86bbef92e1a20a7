import type { LimitRule } from '../rate-limit-store.port.js';

/** Keys name a token or a user; the bound only keeps a caller's mistake from making huge keys. */
const MAX_KEY_LENGTH = 512;

/**
 * Checks rules the same way in every adapter. Rules that share a key in one call must agree on
 * kind and window: they share one counter, which has one window (limits may differ; the call is
 * admitted only if every one of them has room).
 */
export function checkLimitRules(rules: readonly LimitRule[]): void {
  if (!Array.isArray(rules)) throw new TypeError('rules must be an array');
  const byKey = new Map<string, LimitRule>();
  for (const rule of rules) {
    checkLimitKey(rule.key);
    if (!Number.isSafeInteger(rule.limit) || rule.limit < 0) {
      throw new RangeError(`limit must be a non-negative integer, got ${rule.limit} for ${rule.key}`);
    }
    if (!Number.isSafeInteger(rule.windowMs) || rule.windowMs < 1) {
      throw new RangeError(`windowMs must be a positive integer, got ${rule.windowMs} for ${rule.key}`);
    }
    if (rule.kind !== 'sliding' && rule.kind !== 'fixed') throw new RangeError(`kind must be 'sliding' or 'fixed', got ${String(rule.kind)}`);
    const other = byKey.get(rule.key);
    if (other && (other.kind !== rule.kind || other.windowMs !== rule.windowMs)) {
      throw new RangeError(`rules sharing the key ${rule.key} must have the same kind and window`);
    }
    byKey.set(rule.key, rule);
  }
}

export function checkLimitKey(key: string): void {
  if (typeof key !== 'string' || key.length === 0) throw new TypeError('a limit key must be a non-empty string');
  if (key.length > MAX_KEY_LENGTH) throw new RangeError(`a limit key must be at most ${MAX_KEY_LENGTH} characters`);
}

/** Weights are whole units (calls, tokens); `admit` needs at least 1, `record` accepts 0 (counts nothing). */
export function checkWeight(weight: number, minimum: 0 | 1): void {
  if (!Number.isSafeInteger(weight) || weight < minimum) {
    throw new RangeError(`weight must be an integer ≥ ${minimum}, got ${weight}`);
  }
}

/** One entry of a sliding log: when it was counted and how much. */
export interface LogEntry {
  at: number;
  weight: number;
}

/**
 * Milliseconds until a sliding log, oldest entry first, has room for `weight` more: until enough
 * entries have left (an entry counted at `at` leaves at `at + windowMs`). A weight over the limit
 * never fits; then the answer is the whole window, after which everything counted now has left.
 * The Redis adapter's Lua computes the same.
 */
export function slidingRetryMs(entries: readonly LogEntry[], used: number, weight: number, limit: number, windowMs: number, now: number): number {
  const excess = used + weight - limit;
  if (excess <= 0) return 0;
  if (weight > limit) return windowMs;
  let freed = 0;
  for (const entry of entries) {
    freed += entry.weight;
    if (freed >= excess) return Math.min(windowMs, entry.at + windowMs - now);
  }
  return windowMs;
}

/** The fixed window holding `now`: windows start at multiples of `windowMs` since the Unix epoch. */
export function fixedWindow(now: number, windowMs: number): { start: number; end: number } {
  const start = now - (now % windowMs);
  return { start, end: start + windowMs };
}
