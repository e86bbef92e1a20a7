import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';

/** The Redis of the integration tests, or a clear message on how to get one. */
export function integrationRedisUrl(): string {
  const url = process.env.MODELYARD_REDIS_URL;
  if (!url) {
    throw new Error(
      'MODELYARD_REDIS_URL is not set. Run the integration tests through `npm test`, or first ' +
        '`eval "$(bash deploy/local/infra.sh env)"` with Redis up (`bash deploy/local/infra.sh up redis`).',
    );
  }
  return url;
}

/** A key prefix no other run or test uses, so leftovers never meet and cleanup is one SCAN. */
export const newTestPrefix = (): string => `modelyard-test-${randomUUID().slice(0, 8)}`;

/** Every key under `prefix`, with its remaining time to live in ms (-1: none). */
export async function keysUnder(url: string, prefix: string): Promise<Map<string, number>> {
  const redis = new Redis(url);
  try {
    const found = new Map<string, number>();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      for (const key of keys) found.set(key, await redis.pttl(key));
      cursor = next;
    } while (cursor !== '0');
    return found;
  } finally {
    redis.disconnect();
  }
}

export async function deleteKeysUnder(url: string, prefix: string): Promise<void> {
  const keys = [...(await keysUnder(url, prefix)).keys()];
  if (keys.length === 0) return;
  const redis = new Redis(url);
  try {
    await redis.del(...keys);
  } finally {
    redis.disconnect();
  }
}
