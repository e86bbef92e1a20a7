import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from '../../logging/logger.js';
import type { Admission, LimitRule, RateLimitStore } from '../rate-limit-store.port.js';
import { checkLimitKey, checkLimitRules, checkWeight } from './limit-rules.util.js';
import { closeRedis, openRedisStoreConnection, pingRedis } from './redis-connection.util.js';

export interface RedisRateLimitStoreOptions {
  /** `redis://` or `rediss://` URL. It may carry a password: it is never logged nor put in an error. */
  url: string;
  /** First part of every key (default `modelyard`): keys are `<prefix>:limit:…`. */
  prefix?: string;
  logger?: Logger;
  /** Fails a command with no answer after this long (default 5 s). */
  commandTimeoutMs?: number;
}

/*
 * The scripts. KEYS holds two keys per rule: rule i's counter at KEYS[2i-1] and, for a sliding
 * rule, its running total at KEYS[2i]; ARGV[1] is the weight, ARGV[2] a token unique to the call,
 * then three per rule: kind, window (ms), limit. Every rule's keys are in KEYS, so one script sees
 * and changes all of them at once: all or nothing, and no replica can slip in between.
 *
 * The clock is Redis's TIME, never the caller's: replicas' clocks may disagree, and a limit that
 * trusted them would be as loose as their worst clock.
 *
 * Sliding: a sorted set, score = when counted (ms), member = "<call token>:<weight>", and beside it
 * the sum of the weights still in it. Each call takes off the total what has left the window and
 * removes those entries, so the work per call is the entries that left since the last call, not
 * every entry of the window: summing the whole log on every call cost ~1 ms of Redis time at 1,000
 * entries and ~9 ms at 10,000 (a token at 170 requests/s), on every request. Both keys expire when
 * the newest entry leaves. A log found without its total (written before totals were kept) is
 * summed once. Fixed: a hash whose one field, "<window>:<window start>", counts the current
 * window; it expires when the window ends. InProcessRateLimitStore mirrors this in TypeScript
 * (limit-rules.util.ts has the shared arithmetic).
 */
const PRELUDE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local rules = #KEYS / 2

local function rule(i)
  return ARGV[3 * i], tonumber(ARGV[3 * i + 1]), tonumber(ARGV[3 * i + 2])
end

local function weightOf(member)
  return tonumber(string.match(member, ':(%d+)$'))
end

local function fixedField(window)
  local start = now - (now % window)
  return window .. ':' .. start, start + window - now
end

-- The weight still in a sliding log's window, after dropping the entries that have left it.
local function slidingUsed(log, total, window)
  local expired = redis.call('ZRANGEBYSCORE', log, '-inf', now - window)
  if #expired > 0 then redis.call('ZREMRANGEBYSCORE', log, '-inf', now - window) end
  local stored = redis.call('GET', total)
  if redis.call('ZCARD', log) == 0 then
    if stored then redis.call('DEL', total) end
    return 0
  end
  if stored and #expired == 0 then return tonumber(stored) end
  local used = 0
  if stored then
    used = tonumber(stored)
    for j = 1, #expired do used = used - weightOf(expired[j]) end
  else
    for _, member in ipairs(redis.call('ZRANGE', log, 0, -1)) do used = used + weightOf(member) end
  end
  local ttl = redis.call('PTTL', log)
  if ttl > 0 then redis.call('SET', total, used, 'PX', ttl) else redis.call('SET', total, used) end
  return used
end

-- used, ms until the window frees room, ms until there is room for weight (0: there is now)
local function read(i, weight)
  local key = KEYS[2 * i - 1]
  local kind, window, limit = rule(i)
  if kind == 'fixed' then
    local field, left = fixedField(window)
    local used = tonumber(redis.call('HGET', key, field) or '0')
    if used + weight <= limit then return used, left, 0 end
    return used, left, left
  end
  local used = slidingUsed(key, KEYS[2 * i], window)
  local reset = 0
  local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
  if #oldest > 0 then reset = math.min(window, tonumber(oldest[2]) + window - now) end
  local excess = used + weight - limit
  if excess <= 0 then return used, reset, 0 end
  -- A weight over the limit never fits: answer the whole window (everything counted by now has left).
  if weight > limit then return used, reset, window end
  -- Room comes back as the oldest entries leave: walk them, oldest first, a hundred at a time.
  local freed, from = 0, 0
  while true do
    local entries = redis.call('ZRANGE', key, from, from + 99, 'WITHSCORES')
    if #entries == 0 then return used, reset, window end
    for j = 1, #entries, 2 do
      freed = freed + weightOf(entries[j])
      if freed >= excess then return used, reset, math.min(window, tonumber(entries[j + 1]) + window - now) end
    end
    from = from + 100
  end
end

-- Counts ARGV[1] once per distinct key: rules that share a key share its counter.
local function writeAll()
  local written = {}
  for i = 1, rules do
    local key = KEYS[2 * i - 1]
    if not written[key] then
      written[key] = true
      local kind, window = rule(i)
      if kind == 'fixed' then
        local field, left = fixedField(window)
        redis.call('HINCRBY', key, field, ARGV[1])
        -- Another field is a count of another window length: it counts nothing now.
        if redis.call('HLEN', key) > 1 then
          for _, other in ipairs(redis.call('HKEYS', key)) do
            if other ~= field then redis.call('HDEL', key, other) end
          end
        end
        redis.call('PEXPIRE', key, left)
      else
        redis.call('ZADD', key, now, ARGV[2] .. ':' .. ARGV[1])
        redis.call('INCRBY', KEYS[2 * i], ARGV[1])
        redis.call('PEXPIRE', key, window)
        redis.call('PEXPIRE', KEYS[2 * i], window)
      end
    end
  end
end

-- Reply: allowed (0/1), retry after (ms), then used and reset (ms) per rule.
local function evaluate(weight)
  local out = {0, 0}
  for i = 1, rules do
    local used, reset, retry = read(i, weight)
    out[#out + 1] = used
    out[#out + 1] = reset
    if retry > out[2] then out[2] = retry end
  end
  return out
end
`;

const ADMIT = `${PRELUDE}
local weight = tonumber(ARGV[1])
local out = evaluate(weight)
if out[2] > 0 then return out end
writeAll()
out[1] = 1
for i = 1, rules do
  local kind, window = rule(i)
  out[1 + 2 * i] = out[1 + 2 * i] + weight
  -- This admission is the oldest entry of a log that was empty.
  if kind == 'sliding' and out[2 + 2 * i] == 0 then out[2 + 2 * i] = window end
end
return out
`;

/** Room means used < limit, which for whole units is room for a weight of 1. */
const CHECK = `${PRELUDE}
local out = evaluate(1)
if out[2] == 0 then out[1] = 1 end
return out
`;

const RECORD = `${PRELUDE}
for i = 1, rules do
  local kind, window = rule(i)
  if kind == 'sliding' then slidingUsed(KEYS[2 * i - 1], KEYS[2 * i], window) end
end
writeAll()
return 1
`;

const RESET = `
for i = 1, #KEYS do redis.call('DEL', KEYS[i]) end
return 1
`;

type ScriptArg = string | number;

interface LimitCommands {
  modelyardLimitAdmit(keyCount: number, ...args: ScriptArg[]): Promise<number[]>;
  modelyardLimitCheck(keyCount: number, ...args: ScriptArg[]): Promise<number[]>;
  modelyardLimitRecord(keyCount: number, ...args: ScriptArg[]): Promise<number>;
  modelyardLimitReset(keyCount: number, ...args: ScriptArg[]): Promise<number>;
}

/** Rate limits in Redis, exact across every gateway replica: one atomic Lua script per operation. */
export class RedisRateLimitStore implements RateLimitStore {
  private readonly redis: Redis & LimitCommands;
  private readonly slidingPrefix: string;
  /** A sliding log's running total. */
  private readonly totalPrefix: string;
  private readonly fixedPrefix: string;
  private closed = false;

  constructor(options: RedisRateLimitStoreOptions) {
    const prefix = options.prefix ?? 'modelyard';
    // Each kind of value its own key space: a sorted set, a total and a hash can never meet under one name.
    this.slidingPrefix = `${prefix}:limit:s:`;
    this.totalPrefix = `${prefix}:limit:t:`;
    this.fixedPrefix = `${prefix}:limit:f:`;
    const connection = openRedisStoreConnection({
      url: options.url,
      name: `${prefix}:limits`,
      ...(options.logger && { logger: options.logger }),
      ...(options.commandTimeoutMs !== undefined && { commandTimeoutMs: options.commandTimeoutMs }),
    });
    // No numberOfKeys: each call passes its own count, as many keys as it has rules.
    connection.defineCommand('modelyardLimitAdmit', { lua: ADMIT });
    connection.defineCommand('modelyardLimitCheck', { lua: CHECK });
    connection.defineCommand('modelyardLimitRecord', { lua: RECORD });
    connection.defineCommand('modelyardLimitReset', { lua: RESET });
    this.redis = connection as Redis & LimitCommands;
  }

  async admit(rules: readonly LimitRule[], weight = 1): Promise<Admission> {
    this.assertOpen();
    checkLimitRules(rules);
    checkWeight(weight, 1);
    if (rules.length === 0) return { allowed: true, states: [], retryAfterMs: 0 };
    return toAdmission(rules, await this.redis.modelyardLimitAdmit(2 * rules.length, ...this.scriptArgs(rules, weight)));
  }

  async check(rules: readonly LimitRule[]): Promise<Admission> {
    this.assertOpen();
    checkLimitRules(rules);
    if (rules.length === 0) return { allowed: true, states: [], retryAfterMs: 0 };
    return toAdmission(rules, await this.redis.modelyardLimitCheck(2 * rules.length, ...this.scriptArgs(rules, 1)));
  }

  async record(rules: readonly LimitRule[], weight: number): Promise<void> {
    this.assertOpen();
    checkLimitRules(rules);
    checkWeight(weight, 0);
    if (rules.length === 0 || weight === 0) return;
    await this.redis.modelyardLimitRecord(2 * rules.length, ...this.scriptArgs(rules, weight));
  }

  async reset(keys: readonly string[]): Promise<void> {
    this.assertOpen();
    for (const key of keys) checkLimitKey(key);
    if (keys.length === 0) return;
    const storageKeys = keys.flatMap((key) => [this.slidingPrefix + key, this.totalPrefix + key, this.fixedPrefix + key]);
    await this.redis.modelyardLimitReset(storageKeys.length, ...storageKeys);
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

  private scriptArgs(rules: readonly LimitRule[], weight: number): ScriptArg[] {
    const keys = rules.flatMap((rule) => [(rule.kind === 'fixed' ? this.fixedPrefix : this.slidingPrefix) + rule.key, this.totalPrefix + rule.key]);
    const perRule = rules.flatMap((rule) => [rule.kind, rule.windowMs, rule.limit]);
    return [...keys, String(weight), randomUUID(), ...perRule];
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('rate limit store is closed');
  }
}

function toAdmission(rules: readonly LimitRule[], reply: number[]): Admission {
  const [allowed, retryAfterMs] = reply;
  return {
    allowed: allowed === 1,
    states: rules.map((rule, index) => ({
      key: rule.key,
      limit: rule.limit,
      used: Number(reply[2 + 2 * index]),
      resetMs: Number(reply[3 + 2 * index]),
    })),
    retryAfterMs: allowed === 1 ? 0 : Number(retryAfterMs),
  };
}
