import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { RedisRateLimitStore, type LimitRule } from '@modelyard/platform';
import { freePort } from '../process.util.js';
import { describeRateLimitStoreContract } from './index.js';
import { deleteKeysUnder, integrationRedisUrl, keysUnder, newTestPrefix } from './redis-test-keys.util.js';

const redisUrl = integrationRedisUrl();

describeRateLimitStoreContract('RedisRateLimitStore', async () => {
  const prefix = newTestPrefix();
  // Two adapters, two connections: two gateway replicas counting against the same keys.
  const store = new RedisRateLimitStore({ url: redisUrl, prefix });
  const other = new RedisRateLimitStore({ url: redisUrl, prefix });
  return {
    store,
    other,
    cleanup: async () => {
      await Promise.all([store.close(), other.close()]);
      await deleteKeysUnder(redisUrl, prefix);
    },
  };
});

describe('RedisRateLimitStore', () => {
  const opened: Array<{ store: RedisRateLimitStore; prefix: string }> = [];

  function open(prefix: string): RedisRateLimitStore {
    const store = new RedisRateLimitStore({ url: redisUrl, prefix });
    opened.push({ store, prefix });
    return store;
  }

  afterEach(async () => {
    const toClose = opened.splice(0);
    await Promise.allSettled(toClose.map(({ store }) => store.close()));
    for (const prefix of new Set(toClose.map((entry) => entry.prefix))) await deleteKeysUnder(redisUrl, prefix);
  });

  it('keeps every counter under <prefix>:limit:, each expiring within its window', async () => {
    const prefix = newTestPrefix();
    const store = open(prefix);
    const sliding: LimitRule = { key: 'rpm:token:a', limit: 10, windowMs: 60_000, kind: 'sliding' };
    const fixed: LimitRule = { key: 'day:token:a', limit: 10, windowMs: 86_400_000, kind: 'fixed' };
    await store.admit([sliding, fixed], 3);
    await store.record([sliding, fixed], 2);
    await store.check([sliding, fixed]);

    const keys = await keysUnder(redisUrl, prefix);

    expect([...keys.keys()].sort()).toEqual([`${prefix}:limit:f:day:token:a`, `${prefix}:limit:s:rpm:token:a`]);
    expect(keys.get(`${prefix}:limit:s:rpm:token:a`)).toBeGreaterThan(0);
    expect(keys.get(`${prefix}:limit:s:rpm:token:a`)).toBeLessThanOrEqual(60_000);
    expect(keys.get(`${prefix}:limit:f:day:token:a`)).toBeGreaterThan(0);
    expect(keys.get(`${prefix}:limit:f:day:token:a`)).toBeLessThanOrEqual(86_400_000);
  });

  it('logs each sliding admission once, as a member carrying its weight', async () => {
    const prefix = newTestPrefix();
    const store = open(prefix);
    const rule: LimitRule = { key: 'tpm', limit: 100, windowMs: 60_000, kind: 'sliding' };
    await store.admit([rule, { ...rule, limit: 50 }], 7);
    await store.record([rule], 11);

    const redis = new Redis(redisUrl);
    try {
      const members = await redis.zrange(`${prefix}:limit:s:tpm`, 0, -1);
      expect(members.map((member) => member.split(':').pop()).sort()).toEqual(['11', '7']);
    } finally {
      redis.disconnect();
    }
  });

  it('fails ping quickly when Redis is unreachable, without the password in the error', async () => {
    const secret = `pw-${randomUUID()}`;
    const store = new RedisRateLimitStore({ url: `redis://modelyard:${secret}@127.0.0.1:${await freePort()}` });
    opened.push({ store, prefix: 'modelyard-unreachable-none' });

    const failure = await store.ping().then(
      () => new Error('ping succeeded'),
      (error: unknown) => error,
    );
    const admitFailure = await store.admit([{ key: 'k', limit: 1, windowMs: 1_000, kind: 'sliding' }]).then(
      () => new Error('admit succeeded'),
      (error: unknown) => error,
    );

    expect((failure as Error).message).toMatch(/redis is unreachable/);
    expect(admitFailure).toBeInstanceOf(Error);
    for (const error of [failure, admitFailure]) expect(JSON.stringify(error, Object.getOwnPropertyNames(error))).not.toContain(secret);
  });
});
