import type { Admission, LimitRule, LimitState, RateLimitStore } from '../rate-limit-store.port.js';
import { checkLimitKey, checkLimitRules, checkWeight, fixedWindow, slidingRetryMs, type LogEntry } from './limit-rules.util.js';

export interface InProcessRateLimitStoreOptions {
  /** The clock, in Unix milliseconds (default Date.now); tests pass their own to move time. */
  now?: () => number;
  /**
   * How often, at most, a call also drops every counter whose window has passed (default 60 s):
   * a key never used again (a token revoked) would otherwise stay in memory for good.
   */
  sweepIntervalMs?: number;
}

interface SlidingLog {
  /** Oldest first. */
  entries: LogEntry[];
  windowMs: number;
}

interface FixedCounter {
  windowMs: number;
  start: number;
  end: number;
  count: number;
}

interface RuleState extends LimitState {
  /** 0 when the rule has room for the weight asked about. */
  retryMs: number;
}

const DEFAULT_SWEEP_INTERVAL_MS = 60_000;

/**
 * Rate limits within one process, for the standalone build and tests: the Redis adapter's
 * algorithms over maps. Each call runs to the end without awaiting, which is what makes it atomic
 * here (the Redis adapter gets that from running one Lua script).
 */
export class InProcessRateLimitStore implements RateLimitStore {
  private readonly sliding = new Map<string, SlidingLog>();
  private readonly fixed = new Map<string, FixedCounter>();
  private readonly now: () => number;
  private readonly sweepIntervalMs: number;
  private nextSweepAt: number;
  private closed = false;

  constructor(options: InProcessRateLimitStoreOptions = {}) {
    this.now = options.now ?? Date.now;
    this.sweepIntervalMs = options.sweepIntervalMs ?? DEFAULT_SWEEP_INTERVAL_MS;
    if (!Number.isInteger(this.sweepIntervalMs) || this.sweepIntervalMs < 1) {
      throw new RangeError(`sweepIntervalMs must be a positive integer, got ${this.sweepIntervalMs}`);
    }
    this.nextSweepAt = this.now() + this.sweepIntervalMs;
  }

  async admit(rules: readonly LimitRule[], weight = 1): Promise<Admission> {
    this.assertOpen();
    checkLimitRules(rules);
    checkWeight(weight, 1);
    const now = this.sweepIfDue();
    const before = rules.map((rule) => this.read(rule, weight, now));
    if (before.some((state) => state.retryMs > 0)) return refused(before);
    this.add(rules, weight, now);
    return { allowed: true, states: rules.map((rule) => publicState(this.read(rule, weight, now))), retryAfterMs: 0 };
  }

  async check(rules: readonly LimitRule[]): Promise<Admission> {
    this.assertOpen();
    checkLimitRules(rules);
    const now = this.sweepIfDue();
    // Room means used < limit, which for whole units is room for one more.
    const states = rules.map((rule) => this.read(rule, 1, now));
    if (states.some((state) => state.retryMs > 0)) return refused(states);
    return { allowed: true, states: states.map(publicState), retryAfterMs: 0 };
  }

  async record(rules: readonly LimitRule[], weight: number): Promise<void> {
    this.assertOpen();
    checkLimitRules(rules);
    checkWeight(weight, 0);
    if (weight === 0) return;
    const now = this.sweepIfDue();
    // Trims each sliding log to its window first, as the Redis script does before it adds.
    for (const rule of rules) this.read(rule, weight, now);
    this.add(rules, weight, now);
  }

  async reset(keys: readonly string[]): Promise<void> {
    this.assertOpen();
    for (const key of keys) checkLimitKey(key);
    for (const key of keys) {
      this.sliding.delete(key);
      this.fixed.delete(key);
    }
  }

  async ping(): Promise<void> {
    this.assertOpen();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.sliding.clear();
    this.fixed.clear();
  }

  private read(rule: LimitRule, weight: number, now: number): RuleState {
    const { key, limit, windowMs } = rule;
    if (rule.kind === 'fixed') {
      const { start, end } = fixedWindow(now, windowMs);
      const counter = this.fixed.get(key);
      // A counter of another window (an earlier one, or another window length) counts nothing now.
      const used = counter && counter.windowMs === windowMs && counter.start === start ? counter.count : 0;
      return { key, limit, used, resetMs: end - now, retryMs: used + weight <= limit ? 0 : end - now };
    }
    const log = this.sliding.get(key);
    const entries = log ? trim(log, windowMs, now) : [];
    if (log && entries.length === 0) this.sliding.delete(key);
    const used = entries.reduce((sum, entry) => sum + entry.weight, 0);
    const oldest = entries[0];
    return {
      key,
      limit,
      used,
      resetMs: oldest ? Math.min(windowMs, oldest.at + windowMs - now) : 0,
      retryMs: slidingRetryMs(entries, used, weight, limit, windowMs, now),
    };
  }

  /** Counts `weight` once per distinct key: rules that share a key share its counter. */
  private add(rules: readonly LimitRule[], weight: number, now: number): void {
    const seen = new Set<string>();
    for (const { key, windowMs, kind } of rules) {
      if (seen.has(key)) continue;
      seen.add(key);
      if (kind === 'fixed') {
        const { start, end } = fixedWindow(now, windowMs);
        const counter = this.fixed.get(key);
        if (counter && counter.windowMs === windowMs && counter.start === start) counter.count += weight;
        else this.fixed.set(key, { windowMs, start, end, count: weight });
        continue;
      }
      let log = this.sliding.get(key);
      if (!log) {
        log = { entries: [], windowMs };
        this.sliding.set(key, log);
      }
      log.windowMs = windowMs;
      insertInOrder(log.entries, { at: now, weight });
    }
  }

  /** Drops every counter whose window has passed, once per interval (amortised over the calls). */
  private sweepIfDue(): number {
    const now = this.now();
    if (now < this.nextSweepAt) return now;
    this.nextSweepAt = now + this.sweepIntervalMs;
    for (const [key, log] of this.sliding) if (trim(log, log.windowMs, now).length === 0) this.sliding.delete(key);
    for (const [key, counter] of this.fixed) if (counter.end <= now) this.fixed.delete(key);
    return now;
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('rate limit store is closed');
  }
}

/** Drops the entries that have left the window (counted at or before now − window); returns the rest. */
function trim(log: SlidingLog, windowMs: number, now: number): LogEntry[] {
  const cutoff = now - windowMs;
  let gone = 0;
  while (gone < log.entries.length && log.entries[gone]!.at <= cutoff) gone += 1;
  if (gone > 0) log.entries.splice(0, gone);
  return log.entries;
}

/** Appends, or inserts in time order should the clock have gone back (a test's clock can). */
function insertInOrder(entries: LogEntry[], entry: LogEntry): void {
  let index = entries.length;
  while (index > 0 && entries[index - 1]!.at > entry.at) index -= 1;
  entries.splice(index, 0, entry);
}

function refused(states: RuleState[]): Admission {
  return {
    allowed: false,
    states: states.map(publicState),
    retryAfterMs: Math.max(...states.map((state) => state.retryMs)),
  };
}

function publicState({ key, limit, used, resetMs }: RuleState): LimitState {
  return { key, limit, used, resetMs };
}
