import { describe, expect, it } from '@jest/globals';
import { InProcessSessionStore, type StoredSession } from '@modelyard/platform';
import { describeSessionStoreContract } from './index.js';

describeSessionStoreContract('InProcessSessionStore', async () => {
  const store = new InProcessSessionStore();
  return { store, cleanup: () => store.close() };
});

const T0 = Date.parse('2026-03-01T12:00:00.000Z');

function session(id: string, userId: string, expiresAtMs: number): StoredSession {
  return {
    id,
    user_id: userId,
    created_at: new Date(T0).toISOString(),
    expires_at: new Date(expiresAtMs).toISOString(),
    client_ip: null,
  };
}

describe('InProcessSessionStore', () => {
  function clockedStore(sweepIntervalMs = 60_000): { store: InProcessSessionStore; clock: { now: number } } {
    const clock = { now: T0 };
    return { store: new InProcessSessionStore({ now: () => clock.now, sweepIntervalMs }), clock };
  }

  it('ends a session exactly at its expires_at, by its clock', async () => {
    const { store, clock } = clockedStore();
    await store.create(session('a', 'u1', T0 + 1_000));

    clock.now = T0 + 999;
    await expect(store.get('a')).resolves.toMatchObject({ id: 'a' });
    clock.now = T0 + 1_000;
    await expect(store.get('a')).resolves.toBeNull();
  });

  it('hands out copies: changing what get returned changes nothing stored', async () => {
    const { store } = clockedStore();
    await store.create(session('a', 'u1', T0 + 1_000));

    const got = await store.get('a');
    if (got) got.user_id = 'someone-else';

    await expect(store.get('a')).resolves.toMatchObject({ user_id: 'u1' });
  });

  it('drops expired sessions nobody reads again, once per sweep interval, so memory does not grow without end', async () => {
    const { store, clock } = clockedStore(10_000);
    for (let i = 0; i < 100; i += 1) await store.create(session(`old-${i}`, `u${i}`, T0 + 1_000));
    expect(store['sessions'].size).toBe(100);

    clock.now = T0 + 5_000;
    await store.create(session('fresh', 'u-fresh', T0 + 60_000));
    // Expired, but the sweep is not due yet: the work is amortised, not done on every call.
    expect(store['sessions'].size).toBe(101);

    clock.now = T0 + 10_000;
    await store.get('fresh');

    expect(store['sessions'].size).toBe(1);
    expect([...store['byUser'].keys()]).toEqual(['u-fresh']);
  });

  it('refuses a sweep interval that is not a positive integer', () => {
    expect(() => new InProcessSessionStore({ sweepIntervalMs: 0 })).toThrow(RangeError);
  });
});
