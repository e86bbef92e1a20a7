import { describe, expect, it } from '@jest/globals';
import { InProcessRateLimitStore, type LimitRule } from '@modelyard/platform';
import { describeRateLimitStoreContract } from './index.js';

// Not on a window boundary, so the contract's fixed-window cases meet a window already under way.
const CONTRACT_START_MS = Date.parse('2026-03-01T12:00:00.000Z') + 12_345;

describeRateLimitStoreContract('InProcessRateLimitStore', async () => {
  let now = CONTRACT_START_MS;
  const store = new InProcessRateLimitStore({ now: () => now });
  return {
    store,
    other: store,
    advance: (ms) => {
      now += ms;
    },
    cleanup: () => store.close(),
  };
});

/** A multiple of every window below, so window starts are easy to read. */
const T0 = Date.parse('2026-03-01T00:00:00.000Z');

describe('InProcessRateLimitStore', () => {
  function clockedStore(sweepIntervalMs = 60_000): { store: InProcessRateLimitStore; clock: { now: number } } {
    const clock = { now: T0 };
    return { store: new InProcessRateLimitStore({ now: () => clock.now, sweepIntervalMs }), clock };
  }

  const sliding: LimitRule = { key: 'rpm', limit: 2, windowMs: 1_000, kind: 'sliding' };
  const fixed: LimitRule = { key: 'daily', limit: 2, windowMs: 1_000, kind: 'fixed' };

  it('sliding: frees room exactly when the oldest entry leaves, not a millisecond before', async () => {
    const { store, clock } = clockedStore();
    await store.admit([sliding]);
    clock.now = T0 + 300;
    await store.admit([sliding]);

    clock.now = T0 + 400;
    await expect(store.admit([sliding])).resolves.toEqual({
      allowed: false,
      states: [{ key: 'rpm', limit: 2, used: 2, resetMs: 600 }],
      retryAfterMs: 600,
    });
    clock.now = T0 + 999;
    await expect(store.admit([sliding])).resolves.toMatchObject({ allowed: false, retryAfterMs: 1 });
    clock.now = T0 + 1_000;
    await expect(store.admit([sliding])).resolves.toEqual({
      allowed: true,
      // The entry of T0 + 300 is now the oldest: it leaves at T0 + 1300.
      states: [{ key: 'rpm', limit: 2, used: 2, resetMs: 300 }],
      retryAfterMs: 0,
    });
  });

  it('fixed: windows start at multiples of the window since the epoch, and the count ends with them', async () => {
    const { store, clock } = clockedStore();
    clock.now = T0 + 250;
    await expect(store.admit([fixed])).resolves.toMatchObject({ states: [{ used: 1, resetMs: 750 }] });
    clock.now = T0 + 999;
    await store.admit([fixed]);
    await expect(store.admit([fixed])).resolves.toMatchObject({ allowed: false, retryAfterMs: 1 });

    clock.now = T0 + 1_000;
    await expect(store.admit([fixed])).resolves.toEqual({
      allowed: true,
      states: [{ key: 'daily', limit: 2, used: 1, resetMs: 1_000 }],
      retryAfterMs: 0,
    });
  });

  it('sliding: an empty window reports no reset; the first admission resets a whole window later', async () => {
    const { store } = clockedStore();
    await expect(store.check([sliding])).resolves.toMatchObject({ states: [{ used: 0, resetMs: 0 }] });
    await expect(store.admit([sliding])).resolves.toMatchObject({ states: [{ used: 1, resetMs: 1_000 }] });
  });

  it('keeps counting across a clock that steps back (entries stay in time order)', async () => {
    const { store, clock } = clockedStore();
    clock.now = T0 + 500;
    await store.admit([sliding]);
    clock.now = T0 + 100;
    await store.admit([sliding]);

    clock.now = T0 + 1_100;
    // The entry of T0 + 100 has left, the one of T0 + 500 has not.
    await expect(store.check([sliding])).resolves.toMatchObject({ allowed: true, states: [{ used: 1, resetMs: 400 }] });
  });

  it('drops counters whose window has passed, once per sweep interval, so memory does not grow without end', async () => {
    const { store, clock } = clockedStore(10_000);
    for (let i = 0; i < 50; i += 1) {
      await store.admit([
        { ...sliding, key: `s${i}` },
        { ...fixed, key: `f${i}` },
      ]);
    }
    expect([store['sliding'].size, store['fixed'].size]).toEqual([50, 50]);

    clock.now = T0 + 5_000;
    await store.admit([{ ...sliding, key: 'recent', windowMs: 60_000 }]);
    expect(store['sliding'].size).toBe(51);

    clock.now = T0 + 10_000;
    await store.check([]);

    expect([...store['sliding'].keys()]).toEqual(['recent']);
    expect(store['fixed'].size).toBe(0);
  });

  it('treats a fixed key used with another window length as a fresh count', async () => {
    const { store } = clockedStore();
    await store.admit([fixed]);
    await store.admit([fixed]);

    await expect(store.admit([{ ...fixed, windowMs: 2_000 }])).resolves.toMatchObject({ allowed: true, states: [{ used: 1 }] });
  });
});
