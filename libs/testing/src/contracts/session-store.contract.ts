import { createHash, randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { SessionStore, StoredSession } from '@modelyard/platform';
import { sleep } from '../wait-for.util.js';

export interface SessionStoreContractContext {
  store: SessionStore;
  /** Closes the store and removes whatever the factory created. */
  cleanup(): Promise<void>;
}

const TEST_TIMEOUT_MS = 30_000;
const HOUR_MS = 3_600_000;
/** Long enough to create a session before it ends, short enough to wait out. */
const SHORT_LIVED_MS = 300;

/** A session as the gateway makes one: the id is the SHA-256 of a bearer token nobody else has. */
function newSession(userId: string, lifetimeMs = HOUR_MS, clientIp: string | null = '203.0.113.7'): StoredSession {
  const now = Date.now();
  return {
    id: createHash('sha256').update(randomUUID()).digest('hex'),
    user_id: userId,
    created_at: new Date(now).toISOString(),
    expires_at: new Date(now + lifetimeMs).toISOString(),
    client_ip: clientIp,
  };
}

/** Waits until `session` has expired, by the clock that set its expiry (plus a little, for Redis's). */
async function outlive(session: StoredSession): Promise<void> {
  await sleep(Math.max(0, Date.parse(session.expires_at) - Date.now()) + 50);
}

/**
 * The behaviour every SessionStore adapter must show. Every test uses fresh user ids and session
 * ids, so the suite passes against a Redis holding other runs' leftovers.
 */
export function describeSessionStoreContract(name: string, factory: () => Promise<SessionStoreContractContext>): void {
  describe(`SessionStore contract: ${name}`, () => {
    const contractTest = (title: string, fn: () => Promise<void>): void => it(title, fn, TEST_TIMEOUT_MS);
    let context: SessionStoreContractContext;
    let store: SessionStore;

    beforeEach(async () => {
      context = await factory();
      store = context.store;
    }, TEST_TIMEOUT_MS);

    afterEach(async () => {
      await context.cleanup();
    }, TEST_TIMEOUT_MS);

    const newUser = (): string => `user-${randomUUID()}`;

    contractTest('answers ping while open', async () => {
      await expect(store.ping()).resolves.toBeUndefined();
    });

    contractTest('gives back a session as it was stored, client IP or none', async () => {
      const withIp = newSession(newUser());
      const withoutIp = newSession(newUser(), HOUR_MS, null);
      await store.create(withIp);
      await store.create(withoutIp);

      await expect(store.get(withIp.id)).resolves.toEqual(withIp);
      await expect(store.get(withoutIp.id)).resolves.toEqual(withoutIp);
    });

    contractTest('returns null for a session it never had', async () => {
      await expect(store.get(newSession(newUser()).id)).resolves.toBeNull();
    });

    contractTest('no longer finds a session once it has expired', async () => {
      const session = newSession(newUser(), SHORT_LIVED_MS);
      await store.create(session);

      await outlive(session);

      await expect(store.get(session.id)).resolves.toBeNull();
    });

    contractTest('keeps nothing for a session created already expired', async () => {
      const session = newSession(newUser(), -1_000);
      await store.create(session);

      await expect(store.get(session.id)).resolves.toBeNull();
      await expect(store.deleteForUser(session.user_id)).resolves.toBe(0);
    });

    contractTest('ends one session on delete, and takes deleting an unknown one in its stride', async () => {
      const user = newUser();
      const ended = newSession(user);
      const kept = newSession(user);
      await store.create(ended);
      await store.create(kept);

      await store.delete(ended.id);
      await store.delete(ended.id);
      await store.delete(newSession(user).id);

      await expect(store.get(ended.id)).resolves.toBeNull();
      await expect(store.get(kept.id)).resolves.toEqual(kept);
    });

    contractTest("ends every session of one user and none of another's, and says how many", async () => {
      const user = newUser();
      const other = newUser();
      const sessions = [newSession(user), newSession(user), newSession(user, HOUR_MS, null)];
      const othersSession = newSession(other);
      for (const session of [...sessions, othersSession]) await store.create(session);

      await expect(store.deleteForUser(user)).resolves.toBe(3);

      for (const session of sessions) await expect(store.get(session.id)).resolves.toBeNull();
      await expect(store.get(othersSession.id)).resolves.toEqual(othersSession);
      await expect(store.deleteForUser(user)).resolves.toBe(0);
      await expect(store.deleteForUser(newUser())).resolves.toBe(0);
    });

    contractTest('counts only live sessions when ending a user’s sessions (not expired or signed-out ones)', async () => {
      const user = newUser();
      const live = newSession(user);
      const signedOut = newSession(user);
      const expiring = newSession(user, SHORT_LIVED_MS);
      for (const session of [live, signedOut, expiring]) await store.create(session);
      await store.delete(signedOut.id);
      await outlive(expiring);

      await expect(store.deleteForUser(user)).resolves.toBe(1);
      await expect(store.get(live.id)).resolves.toBeNull();
    });

    contractTest('lets a user sign in again after all their sessions were ended', async () => {
      const user = newUser();
      await store.create(newSession(user));
      await store.deleteForUser(user);

      const again = newSession(user);
      await store.create(again);

      await expect(store.get(again.id)).resolves.toEqual(again);
      await expect(store.deleteForUser(user)).resolves.toBe(1);
    });

    contractTest("replaces a user's own session on a second create, and refuses an id another user's session holds", async () => {
      const user = newUser();
      const session = newSession(user);
      await store.create(session);
      const extended = { ...session, expires_at: new Date(Date.now() + 2 * HOUR_MS).toISOString() };

      await store.create(extended);
      await expect(store.get(session.id)).resolves.toEqual(extended);

      const intruder = newUser();
      await expect(store.create({ ...session, user_id: intruder })).rejects.toThrow('session id already in use by another user');
      await expect(store.get(session.id)).resolves.toEqual(extended);
      await expect(store.deleteForUser(intruder)).resolves.toBe(0);
      await expect(store.deleteForUser(user)).resolves.toBe(1);
    });

    contractTest('refuses malformed sessions the same way', async () => {
      const session = newSession(newUser());
      await expect(store.create({ ...session, id: '' })).rejects.toThrow(TypeError);
      await expect(store.create({ ...session, user_id: '' })).rejects.toThrow(TypeError);
      await expect(store.create({ ...session, expires_at: 'tomorrow' })).rejects.toThrow(RangeError);
      await expect(store.create({ ...session, id: 'x'.repeat(257) })).rejects.toThrow(RangeError);
      await expect(store.get('')).rejects.toThrow(TypeError);
      await expect(store.deleteForUser('')).rejects.toThrow(TypeError);
      await expect(store.get(session.id)).resolves.toBeNull();
    });

    contractTest('refuses every call once closed, and closes twice without complaint', async () => {
      await store.close();
      await store.close();
      await expect(store.get(newSession(newUser()).id)).rejects.toThrow('session store is closed');
      await expect(store.create(newSession(newUser()))).rejects.toThrow('session store is closed');
      await expect(store.ping()).rejects.toThrow('session store is closed');
    });
  });
}
