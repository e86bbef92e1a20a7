import type { Redis } from 'ioredis';
import type { Logger } from '../../logging/logger.js';
import type { SessionStore, StoredSession } from '../session-store.port.js';
import { closeRedis, openRedisStoreConnection, pingRedis } from './redis-connection.util.js';
import { checkId, checkSession, SESSION_ID_TAKEN } from './session-input.util.js';

export interface RedisSessionStoreOptions {
  /** `redis://` or `rediss://` URL. It may carry a password: it is never logged nor put in an error. */
  url: string;
  /** First part of every key (default `modelyard`): keys are `<prefix>:session:…`. */
  prefix?: string;
  logger?: Logger;
  /** Fails a command with no answer after this long (default 5 s). */
  commandTimeoutMs?: number;
}

/** Redis's clock in Unix milliseconds, so that no replica's clock decides what has expired. */
const NOW = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`;

/**
 * KEYS: session key, the user's id set. ARGV: session JSON, user id, expiry (Unix ms), session id.
 * The user's set is a sorted set scored by expiry, so that dropping the ids of expired sessions is
 * one ZREMRANGEBYSCORE, and the set expires with its latest session: neither grows without end.
 */
const CREATE = `${NOW}
local existing = redis.call('GET', KEYS[1])
if existing and cjson.decode(existing).user_id ~= ARGV[2] then
  return redis.error_reply('${SESSION_ID_TAKEN}')
end
local expiresAt = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
if expiresAt > now then
  redis.call('SET', KEYS[1], ARGV[1])
  redis.call('PEXPIREAT', KEYS[1], ARGV[3])
  redis.call('ZADD', KEYS[2], ARGV[3], ARGV[4])
else
  redis.call('DEL', KEYS[1])
  redis.call('ZREM', KEYS[2], ARGV[4])
end
local latest = redis.call('ZRANGE', KEYS[2], -1, -1, 'WITHSCORES')
if latest[2] then redis.call('PEXPIREAT', KEYS[2], latest[2]) end
return 1
`;

/**
 * KEYS: the user's id set. ARGV: prefix of session keys, user id. Reads keys named by the set's
 * members, which a single Redis (or Sentinel) allows and Redis Cluster would not. A session whose
 * key is gone (expired, signed out) is not counted; one that holds another user's session is not
 * touched, whatever the set says.
 */
const DELETE_FOR_USER = `
local ended = 0
for _, id in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local key = ARGV[1] .. id
  local raw = redis.call('GET', key)
  if raw and cjson.decode(raw).user_id == ARGV[2] then
    redis.call('DEL', key)
    ended = ended + 1
  end
end
redis.call('DEL', KEYS[1])
return ended
`;

interface SessionCommands {
  modelyardSessionCreate(sessionKey: string, userKey: string, json: string, userId: string, expiresAt: string, id: string): Promise<number>;
  modelyardSessionDeleteForUser(userKey: string, sessionPrefix: string, userId: string): Promise<number>;
}

/**
 * Sessions in Redis, shared by every gateway replica: `<prefix>:session:id:<id>` holds the session
 * as JSON until PEXPIREAT its expiry; `<prefix>:session:user:<user id>` lists a user's session ids.
 */
export class RedisSessionStore implements SessionStore {
  private readonly redis: Redis & SessionCommands;
  private readonly sessionPrefix: string;
  private readonly userPrefix: string;
  private closed = false;

  constructor(options: RedisSessionStoreOptions) {
    const prefix = options.prefix ?? 'modelyard';
    this.sessionPrefix = `${prefix}:session:id:`;
    this.userPrefix = `${prefix}:session:user:`;
    const connection = openRedisStoreConnection({
      url: options.url,
      name: `${prefix}:sessions`,
      ...(options.logger && { logger: options.logger }),
      ...(options.commandTimeoutMs !== undefined && { commandTimeoutMs: options.commandTimeoutMs }),
    });
    connection.defineCommand('modelyardSessionCreate', { numberOfKeys: 2, lua: CREATE });
    connection.defineCommand('modelyardSessionDeleteForUser', { numberOfKeys: 1, lua: DELETE_FOR_USER });
    this.redis = connection as Redis & SessionCommands;
  }

  async create(input: StoredSession): Promise<void> {
    this.assertOpen();
    const { session, expiresAtMs } = checkSession(input);
    await this.redis.modelyardSessionCreate(
      this.sessionPrefix + session.id,
      this.userPrefix + session.user_id,
      JSON.stringify(session),
      session.user_id,
      String(expiresAtMs),
      session.id,
    );
  }

  async get(id: string): Promise<StoredSession | null> {
    this.assertOpen();
    checkId('session id', id);
    const raw = await this.redis.get(this.sessionPrefix + id);
    return raw === null ? null : (JSON.parse(raw) as StoredSession);
  }

  async delete(id: string): Promise<void> {
    this.assertOpen();
    checkId('session id', id);
    // The id stays in its user's set until that set is pruned or dropped; deleteForUser skips it
    // then, since it counts only sessions whose key still exists.
    await this.redis.del(this.sessionPrefix + id);
  }

  async deleteForUser(userId: string): Promise<number> {
    this.assertOpen();
    checkId('user id', userId);
    return this.redis.modelyardSessionDeleteForUser(this.userPrefix + userId, this.sessionPrefix, userId);
  }

  async ping(): Promise<void> {
    this.assertOpen();
    await pingRedis(this.redis);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await closeRedis(this.redis);
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('session store is closed');
  }
}
