import { createHash, randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { RedisSessionStore, type StoredSession } from '@modelyard/platform';
import { freePort } from '../process.util.js';
import { describeSessionStoreContract, sleep } from './index.js';
import { deleteKeysUnder, integrationRedisUrl, keysUnder, newTestPrefix } from './redis-test-keys.util.js';

const redisUrl = integrationRedisUrl();

describeSessionStoreContract('RedisSessionStore', async () => {
  const prefix = newTestPrefix();
  const store = new RedisSessionStore({ url: redisUrl, prefix });
  return {
    store,
    cleanup: async () => {
      await store.close();
      await deleteKeysUnder(redisUrl, prefix);
    },
  };
});

function newSession(userId: string, lifetimeMs: number): StoredSession {
  const now = Date.now();
  return {
    id: createHash('sha256').update(randomUUID()).digest('hex'),
    user_id: userId,
    created_at: new Date(now).toISOString(),
    expires_at: new Date(now + lifetimeMs).toISOString(),
    client_ip: '198.51.100.4',
  };
}

describe('RedisSessionStore', () => {
  const opened: Array<{ store: RedisSessionStore; prefix: string }> = [];

  function open(prefix: string): RedisSessionStore {
    const store = new RedisSessionStore({ url: redisUrl, prefix });
    opened.push({ store, prefix });
    return store;
  }

  afterEach(async () => {
    const toClose = opened.splice(0);
    await Promise.allSettled(toClose.map(({ store }) => store.close()));
    for (const prefix of new Set(toClose.map((entry) => entry.prefix))) await deleteKeysUnder(redisUrl, prefix);
  });

  it('keeps every key under <prefix>:session:, each expiring, the user set with the latest session', async () => {
    const prefix = newTestPrefix();
    const store = open(prefix);
    const short = newSession('u1', 5_000);
    const long = newSession('u1', 60_000);
    await store.create(long);
    await store.create(short);

    const keys = await keysUnder(redisUrl, prefix);

    expect([...keys.keys()].sort()).toEqual(
      [`${prefix}:session:id:${short.id}`, `${prefix}:session:id:${long.id}`, `${prefix}:session:user:u1`].sort(),
    );
    for (const ttl of keys.values()) {
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(60_000);
    }
    // Created second, the shorter session must not cut the set's life short: it lives for the longer one.
    expect(keys.get(`${prefix}:session:user:u1`)).toBeGreaterThan(keys.get(`${prefix}:session:id:${short.id}`)!);
  });

  it("prunes the ids of expired sessions from the user's set when it is touched", async () => {
    const prefix = newTestPrefix();
    const store = open(prefix);
    // The long session keeps the set alive, so only pruning can take the expired id out of it.
    const long = newSession('u1', 60_000);
    const expiring = newSession('u1', 300);
    await store.create(long);
    await store.create(expiring);
    await sleep(Date.parse(expiring.expires_at) - Date.now() + 50);

    const next = newSession('u1', 120_000);
    await store.create(next);

    const redis = new Redis(redisUrl);
    try {
      await expect(redis.zrange(`${prefix}:session:user:u1`, 0, -1)).resolves.toEqual([long.id, next.id]);
    } finally {
      redis.disconnect();
    }
  });

  it('shares sessions between replicas: one signs in, another finds it and signs the user out', async () => {
    const prefix = newTestPrefix();
    const first = open(prefix);
    const second = open(prefix);
    const session = newSession('u1', 60_000);

    await first.create(session);

    await expect(second.get(session.id)).resolves.toEqual(session);
    await expect(second.deleteForUser('u1')).resolves.toBe(1);
    await expect(first.get(session.id)).resolves.toBeNull();
  });

  it('fails ping quickly when Redis is unreachable, without the password in the error', async () => {
    const secret = `pw-${randomUUID()}`;
    const store = new RedisSessionStore({ url: `redis://modelyard:${secret}@127.0.0.1:${await freePort()}` });
    opened.push({ store, prefix: 'modelyard-unreachable-none' });

    const failure = await store.ping().then(
      () => new Error('ping succeeded'),
      (error: unknown) => error,
    );

    expect((failure as Error).message).toMatch(/redis is unreachable/);
    expect(JSON.stringify(failure, Object.getOwnPropertyNames(failure))).not.toContain(secret);
    let badUrl: unknown;
    try {
      new RedisSessionStore({ url: `http://user:${secret}@example` });
    } catch (error: unknown) {
      badUrl = error;
    }
    expect(String(badUrl)).toMatch(/must start with redis/);
    expect(String(badUrl)).not.toContain(secret);
  });
});
