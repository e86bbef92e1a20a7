import { Redis } from 'ioredis';
import type { Logger } from '../../logging/logger.js';
import { messageOf } from '../../errors/error-message.util.js';

/** How long a readiness probe waits for PONG, and a store command for its answer, by default. */
export const REDIS_PING_TIMEOUT_MS = 2_000;
export const REDIS_COMMAND_TIMEOUT_MS = 5_000;

export interface RedisStoreConnectionOptions {
  /** `redis://` or `rediss://` URL. It may carry a password: it is never logged nor put in an error. */
  url: string;
  /** Names the connection in CLIENT LIST and in the debug log lines about it. */
  name: string;
  logger?: Logger;
  /** Fails a command with no answer after this long (default 5 s). */
  commandTimeoutMs?: number;
}

/**
 * One connection for a store on the request path (sessions, rate limits). Unlike the job queue's
 * connections, which wait for Redis to come back, a command here fails within `commandTimeoutMs`
 * and after one retry: a sign-in or an API call must get a clear error, not hang until Redis returns.
 */
export function openRedisStoreConnection(options: RedisStoreConnectionOptions): Redis {
  if (!/^rediss?:\/\//.test(options.url)) {
    // Not echoing the value: a malformed URL may still hold the password.
    throw new Error('the Redis URL must start with redis:// or rediss://');
  }
  const connection = new Redis(options.url, {
    connectionName: options.name,
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    commandTimeout: options.commandTimeoutMs ?? REDIS_COMMAND_TIMEOUT_MS,
    connectTimeout: REDIS_PING_TIMEOUT_MS,
    // How long disconnect() waits for a socket to close before destroying it (see BullMqJobQueue).
    disconnectTimeout: 200,
  });
  // Without a listener ioredis prints every failed reconnect; errors carry host and port, never the password.
  connection.on('error', (error: unknown) => options.logger?.debug({ role: options.name, err: messageOf(error) }, 'redis connection error'));
  return connection;
}

/** PING with a deadline, for readiness: an unreachable Redis fails it in seconds, not never. */
export async function pingRedis(connection: Redis): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`redis did not answer PING within ${REDIS_PING_TIMEOUT_MS} ms`)), REDIS_PING_TIMEOUT_MS);
  });
  try {
    await Promise.race([connection.ping(), timeout]);
  } catch (error: unknown) {
    throw new Error(`redis is unreachable: ${messageOf(error)}`);
  } finally {
    clearTimeout(timer);
  }
}

/** Closes gracefully when connected (QUIT lets commands in flight finish), else at once. */
export async function closeRedis(connection: Redis): Promise<void> {
  if (connection.status === 'ready') {
    try {
      await connection.quit();
      return;
    } catch {
      // Fall through: the socket is going away anyway.
    }
  }
  connection.disconnect();
}
