import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { Admission, LimitRule, RateLimitStore } from '@modelyard/platform';
import { sleep } from '../wait-for.util.js';

export interface RateLimitStoreContractContext {
  store: RateLimitStore;
  /**
   * Another handle on the same counters, as a second gateway replica has: for Redis, an adapter
   * with a connection of its own. An in-process store has only itself to offer.
   */
  other: RateLimitStore;
  /**
   * Moves the store's clock forward. Adapters on a clock of their own (Redis's) leave it out, and
   * the suite sleeps instead, which is why the windows that it waits out are short.
   */
  advance?(ms: number): void;
  /** Closes the stores and removes whatever the factory created. */
  cleanup(): Promise<void>;
}

const TEST_TIMEOUT_MS = 30_000;
/** For tests that wait a window out: short, so the suite stays quick against Redis. */
const SHORT_WINDOW_MS = 1_200;
/** For tests that must not see a window pass, however loaded the machine. */
const LONG_WINDOW_MS = 60_000;
const DAY_MS = 86_400_000;
/** Past a moment the store named, so that it has passed by the store's own clock too. */
const MARGIN_MS = 40;

/**
 * The behaviour every RateLimitStore adapter must show. Every test uses fresh keys, so the suite
 * passes against a Redis holding other runs' leftovers. Assertions about time are bounds and
 * counts, never durations: the times compared are the ones the store itself answered.
 */
export function describeRateLimitStoreContract(name: string, factory: () => Promise<RateLimitStoreContractContext>): void {
  describe(`RateLimitStore contract: ${name}`, () => {
    const contractTest = (title: string, fn: () => Promise<void>): void => it(title, fn, TEST_TIMEOUT_MS);
    let context: RateLimitStoreContractContext;
    let store: RateLimitStore;

    beforeEach(async () => {
      context = await factory();
      store = context.store;
    }, TEST_TIMEOUT_MS);

    afterEach(async () => {
      await context.cleanup();
    }, TEST_TIMEOUT_MS);

    const rule = (kind: LimitRule['kind'], limit: number, windowMs: number): LimitRule => ({
      key: `contract:${kind}:${randomUUID()}`,
      limit,
      windowMs,
      kind,
    });

    async function passTime(ms: number): Promise<void> {
      if (context.advance) context.advance(ms);
      else await sleep(ms);
    }

    /** Waits for the next fixed window to begin, so that a test has (almost) a whole one. */
    async function startOfWindow(fixed: LimitRule): Promise<void> {
      const { states } = await store.check([fixed]);
      await passTime(states[0]!.resetMs + MARGIN_MS);
    }

    async function admitTimes(rules: LimitRule[], times: number, weight?: number): Promise<Admission[]> {
      const answers: Admission[] = [];
      for (let i = 0; i < times; i += 1) answers.push(await store.admit(rules, weight));
      return answers;
    }

    contractTest('answers ping while open', async () => {
      await expect(store.ping()).resolves.toBeUndefined();
    });

    contractTest('admits with no rules', async () => {
      await expect(store.admit([])).resolves.toEqual({ allowed: true, states: [], retryAfterMs: 0 });
      await expect(store.check([])).resolves.toEqual({ allowed: true, states: [], retryAfterMs: 0 });
    });

    for (const kind of ['sliding', 'fixed'] as const) {
      contractTest(`${kind}: admits the limit, then refuses with a retry within the window`, async () => {
        const limit = rule(kind, 3, LONG_WINDOW_MS);
        await startOfWindowIfClose(limit);

        const admitted = await admitTimes([limit], 3);
        const refused = await store.admit([limit]);

        expect(admitted.map((answer) => [answer.allowed, answer.states[0]!.used, answer.retryAfterMs])).toEqual([
          [true, 1, 0],
          [true, 2, 0],
          [true, 3, 0],
        ]);
        expect(refused.allowed).toBe(false);
        expect(refused.states).toEqual([{ key: limit.key, limit: 3, used: 3, resetMs: expect.any(Number) }]);
        expect(refused.retryAfterMs).toBeGreaterThan(0);
        expect(refused.retryAfterMs).toBeLessThanOrEqual(LONG_WINDOW_MS);
        // Room comes back exactly when the oldest entry leaves (sliding) or the window ends (fixed).
        expect(refused.retryAfterMs).toBe(refused.states[0]!.resetMs);
        await expect(store.check([limit])).resolves.toMatchObject({ allowed: false, states: [{ used: 3 }] });
      });
    }

    contractTest('sliding: admits exactly one more once the oldest entry has left the window', async () => {
      const limit = rule('sliding', 3, SHORT_WINDOW_MS);
      await store.admit([limit]);
      await passTime(SHORT_WINDOW_MS / 2);
      await admitTimes([limit], 2);
      const refused = await store.admit([limit]);
      expect(refused).toMatchObject({ allowed: false, states: [{ used: 3 }] });
      // The oldest entry, not the newest, decides: about half a window, not a whole one.
      expect(refused.retryAfterMs).toBe(refused.states[0]!.resetMs);
      expect(refused.retryAfterMs).toBeLessThan(SHORT_WINDOW_MS);

      await passTime(refused.retryAfterMs + MARGIN_MS);

      // The two later entries still count: a fixed window would have forgotten them all.
      const again = await store.admit([limit]);
      expect(again).toMatchObject({ allowed: true, states: [{ used: 3 }] });
      await expect(store.admit([limit])).resolves.toMatchObject({ allowed: false, states: [{ used: 3 }] });
    });

    contractTest('fixed: forgets the whole count when the window ends', async () => {
      const limit = rule('fixed', 2, SHORT_WINDOW_MS);
      await startOfWindow(limit);
      await admitTimes([limit], 2);
      const refused = await store.admit([limit]);
      expect(refused.allowed).toBe(false);
      expect(refused.retryAfterMs).toBeLessThanOrEqual(SHORT_WINDOW_MS);

      await passTime(refused.retryAfterMs + MARGIN_MS);

      const next = await admitTimes([limit], 3);
      expect(next.map((answer) => [answer.allowed, answer.states[0]!.used])).toEqual([
        [true, 1],
        [true, 2],
        [false, 2],
      ]);
      expect(next[2]!.states[0]!.resetMs).toBeLessThanOrEqual(SHORT_WINDOW_MS);
    });

    contractTest('counts nothing on any rule when one of them refuses (all or nothing)', async () => {
      const tight = rule('sliding', 1, LONG_WINDOW_MS);
      const loose = rule('sliding', 10, LONG_WINDOW_MS);
      const daily = rule('fixed', 10, DAY_MS);
      await startOfWindowIfClose(daily);
      await expect(store.admit([loose, tight, daily])).resolves.toMatchObject({
        allowed: true,
        states: [{ key: loose.key, used: 1 }, { key: tight.key, used: 1 }, { key: daily.key, used: 1 }],
      });

      const refused = await store.admit([loose, tight, daily]);

      expect(refused).toMatchObject({ allowed: false, states: [{ used: 1 }, { used: 1 }, { used: 1 }] });
      await expect(store.check([loose, daily])).resolves.toMatchObject({ allowed: true, states: [{ used: 1 }, { used: 1 }] });
      await expect(store.admit([loose])).resolves.toMatchObject({ allowed: true, states: [{ used: 2 }] });
    });

    contractTest('says to retry when every refusing rule has room again: the latest of them', async () => {
      const first = rule('sliding', 1, LONG_WINDOW_MS);
      const second = rule('sliding', 1, 2 * LONG_WINDOW_MS);
      const open = rule('sliding', 5, 4 * LONG_WINDOW_MS);
      await store.admit([first, second, open]);

      const refused = await store.admit([first, second, open]);

      expect(refused.allowed).toBe(false);
      const [firstState, secondState] = refused.states;
      expect(secondState!.resetMs).toBeGreaterThan(firstState!.resetMs);
      // The open rule's reset is later still, but it refused nothing, so it does not count.
      expect(refused.retryAfterMs).toBe(secondState!.resetMs);
    });

    contractTest('shares one counter between rules with the same key, whatever their limits', async () => {
      const small = rule('sliding', 2, LONG_WINDOW_MS);
      const large = { ...small, limit: 5 };

      await expect(store.admit([small, large])).resolves.toMatchObject({ allowed: true, states: [{ used: 1 }, { used: 1 }] });
      await store.admit([large]);
      await expect(store.admit([small])).resolves.toMatchObject({ allowed: false, states: [{ used: 2 }] });
      await expect(store.admit([large])).resolves.toMatchObject({ allowed: true, states: [{ used: 3 }] });
    });

    for (const kind of ['sliding', 'fixed'] as const) {
      contractTest(`${kind}: admits by weight, checks used < limit, and records without checking`, async () => {
        const limit = rule(kind, 10, kind === 'fixed' ? DAY_MS : LONG_WINDOW_MS);
        await startOfWindowIfClose(limit);

        await expect(store.admit([limit], 4)).resolves.toMatchObject({ allowed: true, states: [{ used: 4 }] });
        await expect(store.admit([limit], 7)).resolves.toMatchObject({ allowed: false, states: [{ used: 4 }] });
        await expect(store.admit([limit], 6)).resolves.toMatchObject({ allowed: true, states: [{ used: 10 }] });
        const full = await store.check([limit]);
        expect(full).toMatchObject({ allowed: false, states: [{ used: 10 }] });
        expect(full.retryAfterMs).toBeGreaterThan(0);

        const quota = rule(kind, 10, kind === 'fixed' ? DAY_MS : LONG_WINDOW_MS);
        await store.record([quota], 9);
        // Room left (9 < 10) even though most calls will use more: check counts nothing itself.
        await expect(store.check([quota])).resolves.toMatchObject({ allowed: true, states: [{ used: 9 }], retryAfterMs: 0 });
        await store.record([quota], 5);
        await store.record([quota], 0);
        await expect(store.check([quota])).resolves.toMatchObject({ allowed: false, states: [{ used: 14 }] });
      });
    }

    contractTest('sliding: a weighted retry waits for as many entries to leave as the weight needs', async () => {
      const limit = rule('sliding', 5, LONG_WINDOW_MS);
      await store.admit([limit], 2);
      await passTime(50);
      await store.admit([limit], 3);

      const needsOldest = await store.admit([limit], 2);
      const needsBoth = await store.admit([limit], 3);

      expect(needsOldest.allowed).toBe(false);
      expect(needsOldest.retryAfterMs).toBe(needsOldest.states[0]!.resetMs);
      expect(needsBoth.allowed).toBe(false);
      expect(needsBoth.retryAfterMs).toBeGreaterThan(needsBoth.states[0]!.resetMs);
      expect(needsBoth.retryAfterMs).toBeLessThanOrEqual(LONG_WINDOW_MS);
    });

    contractTest('never admits a weight over the limit, and counts nothing for it', async () => {
      const limit = rule('sliding', 5, LONG_WINDOW_MS);

      const refused = await store.admit([limit], 6);

      expect(refused).toMatchObject({ allowed: false, states: [{ used: 0 }] });
      expect(refused.retryAfterMs).toBeGreaterThan(0);
      expect(refused.retryAfterMs).toBeLessThanOrEqual(LONG_WINDOW_MS);
      await expect(store.admit([limit], 5)).resolves.toMatchObject({ allowed: true, states: [{ used: 5 }] });
    });

    contractTest('forgets what was counted on reset, for both kinds, and resets unknown keys quietly', async () => {
      const sliding = rule('sliding', 1, LONG_WINDOW_MS);
      const fixed = rule('fixed', 1, DAY_MS);
      await startOfWindowIfClose(fixed);
      await store.admit([sliding, fixed]);
      await expect(store.admit([sliding])).resolves.toMatchObject({ allowed: false });

      await store.reset([sliding.key, fixed.key, `contract:unknown:${randomUUID()}`]);

      await expect(store.admit([sliding, fixed])).resolves.toMatchObject({ allowed: true, states: [{ used: 1 }, { used: 1 }] });
      await expect(store.reset([])).resolves.toBeUndefined();
    });

    contractTest('admits exactly the limit when 50 callers on two replicas race for 20 places', async () => {
      const sliding = rule('sliding', 20, LONG_WINDOW_MS);
      const daily = rule('fixed', 20, DAY_MS);
      await startOfWindowIfClose(daily);

      const answers = await Promise.all(
        Array.from({ length: 50 }, (_, index) => (index % 2 === 0 ? store : context.other).admit([sliding, daily])),
      );

      const admitted = answers.filter((answer) => answer.allowed);
      expect(admitted).toHaveLength(20);
      // Each admission saw its own place: 1 to 20, once each.
      expect(admitted.map((answer) => answer.states[0]!.used).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
      for (const answer of answers.filter((candidate) => !candidate.allowed)) expect(answer.retryAfterMs).toBeGreaterThan(0);
      await expect(context.other.check([sliding, daily])).resolves.toMatchObject({ allowed: false, states: [{ used: 20 }, { used: 20 }] });
    });

    contractTest('refuses malformed rules and weights the same way', async () => {
      const valid = rule('sliding', 5, LONG_WINDOW_MS);
      await expect(store.admit([{ ...valid, limit: -1 }])).rejects.toThrow(RangeError);
      await expect(store.admit([{ ...valid, limit: 1.5 }])).rejects.toThrow(RangeError);
      await expect(store.admit([{ ...valid, windowMs: 0 }])).rejects.toThrow(RangeError);
      await expect(store.admit([{ ...valid, key: '' }])).rejects.toThrow(TypeError);
      await expect(store.admit([{ ...valid, kind: 'leaky' as LimitRule['kind'] }])).rejects.toThrow(RangeError);
      await expect(store.admit([valid, { ...valid, windowMs: 1_000 }])).rejects.toThrow('must have the same kind and window');
      await expect(store.admit([valid], 0)).rejects.toThrow(RangeError);
      await expect(store.admit([valid], 2.5)).rejects.toThrow(RangeError);
      await expect(store.record([valid], -1)).rejects.toThrow(RangeError);
      await expect(store.reset([''])).rejects.toThrow(TypeError);
      await expect(store.check([valid])).resolves.toMatchObject({ allowed: true, states: [{ used: 0, resetMs: 0 }] });
    });

    contractTest('refuses every call once closed, and closes twice without complaint', async () => {
      const valid = rule('sliding', 5, LONG_WINDOW_MS);
      await store.close();
      await store.close();
      await expect(store.admit([valid])).rejects.toThrow('rate limit store is closed');
      await expect(store.check([valid])).rejects.toThrow('rate limit store is closed');
      await expect(store.ping()).rejects.toThrow('rate limit store is closed');
    });

    /**
     * Tests on a long fixed window must not straddle its end (midnight UTC for a day): in the rare
     * run that starts within seconds of it, they wait for the next window first.
     */
    async function startOfWindowIfClose(fixed: LimitRule): Promise<void> {
      if (fixed.kind !== 'fixed') return;
      const { states } = await store.check([fixed]);
      if (states[0]!.resetMs < 10_000) await startOfWindow(fixed);
    }
  });
}
