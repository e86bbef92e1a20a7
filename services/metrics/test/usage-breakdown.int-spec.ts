import { describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { METRICS_PATTERNS } from '@modelyard/contracts';
import { UsageConsumer } from '../src/usage/usage.consumer.js';
import { MINUTE, USAGE_TARGETS, useMetricsService, usageEvent as usage, type UsageEvent } from './support/usage-harness.js';

// Fixed ids, so that ties (broken by id) have a known order: ALICE < BOB, and A1 < A2 < B1.
const ALICE = '10000000-0000-4000-8000-00000000000a';
const BOB = '20000000-0000-4000-8000-00000000000b';
const A1 = 'a1000000-0000-4000-8000-0000000000a1';
const A2 = 'a2000000-0000-4000-8000-0000000000a2';
const B1 = 'b1000000-0000-4000-8000-0000000000b1';

/** What a user's or token's entry holds besides its identity. */
const counts = (calls: number, failures: number, input = 0, output = 0) => ({
  calls,
  failures,
  success_rate: (calls - failures) / calls,
  input_tokens: input,
  output_tokens: output,
});
const user = (id: string | null, name: string, ...rest: Parameters<typeof counts>) => ({ user_id: id, username: name, actor: name, ...counts(...rest) });
const token = (id: string, ...rest: Parameters<typeof counts>) => ({ token_id: id, name: null, prefix: null, user: null, ...counts(...rest) });

describe.each(USAGE_TARGETS)('metrics service: usage per user and per API token on %s', (target, open) => {
  const system = useMetricsService(target, open);
  const publish = async (events: UsageEvent[]) => {
    await system().platform.eventBus.publish(events);
    await system().settle();
  };
  const rows = (table: string, key: string) => system().sql<Array<Record<string, unknown>>>(`SELECT * FROM ${table} ORDER BY model_id, minute, ${key}`);

  it("breaks a model's calls down by user id and by token, over ranges; events without a user id stay by name; redeliveries count once", async () => {
    const model = randomUUID();
    const other = randomUUID();
    const from = Math.floor(Date.now() / MINUTE) * MINUTE - 60 * MINUTE;
    const events = [
      // Alice: two calls with her CI token (one failing), one in the console (no token), one with another token.
      usage(model, from + 1_000, 10, { actor: 'alice', user: ALICE, token: A1, tokens: [100, 10] }),
      usage(model, from + 2_000, 10, { actor: 'alice', user: ALICE, token: A1, error: 'timeout' }),
      usage(model, from + 3_000, 10, { actor: 'alice', user: ALICE, token: null, tokens: [5, 5] }),
      usage(model, from + 10 * MINUTE, 10, { actor: 'alice', user: ALICE, token: A2, tokens: [1, 1] }),
      // Bob: three calls with his token, in two minutes.
      usage(model, from + 4_000, 10, { actor: 'bob', user: BOB, token: B1, tokens: [7, 0] }),
      usage(model, from + 5_000, 10, { actor: 'bob', user: BOB, token: B1, error: 'provider_error' }),
      usage(model, from + 10 * MINUTE + 1, 10, { actor: 'bob', user: BOB, token: B1, tokens: [3, 3] }),
      // From before users existed: by name only.
      usage(model, from + 6_000, 10, { actor: 'carol' }),
      // Another model: none of this one's figures.
      usage(other, from + 1_000, 10, { actor: 'alice', user: ALICE, token: A1, tokens: [999, 999] }),
    ];
    await publish([...events, events[0]!]);
    const written = { users: await rows('metrics_usage_user_minutes', 'user_id'), tokens: await rows('metrics_usage_token_minutes', 'token_id') };
    // At-least-once delivery: the whole batch again, and some of it by two members at once.
    const consumer = system().metrics.app.get(UsageConsumer);
    await Promise.all([consumer.applyBatch(events), consumer.applyBatch(events.slice(3)), publish(events)]);
    expect(await rows('metrics_usage_user_minutes', 'user_id')).toEqual(written.users);
    expect(await rows('metrics_usage_token_minutes', 'token_id')).toEqual(written.tokens);
    expect(written.users).toHaveLength(5);

    const stats = (startMinute: number, endMinute: number) =>
      system().ask(METRICS_PATTERNS.modelStats, {
        model_id: model,
        from: new Date(from + startMinute * MINUTE).toISOString(),
        to: new Date(from + endMinute * MINUTE).toISOString(),
      });
    const hour = await stats(0, 60);
    expect(hour.calls).toBe(8);
    expect(hour.by_user).toEqual([user(ALICE, 'alice', 4, 1, 106, 16), user(BOB, 'bob', 3, 1, 10, 3), user(null, 'carol', 1, 0)]);
    // The console call belongs to no token; equal calls go by id.
    expect(hour.by_token).toEqual([token(B1, 3, 1, 10, 3), token(A1, 2, 1, 100, 10), token(A2, 1, 0, 1, 1)]);

    // Minute 10 alone: one call of each user, with its token.
    const later = await stats(10, 11);
    expect(later.by_user).toEqual([user(ALICE, 'alice', 1, 0, 1, 1), user(BOB, 'bob', 1, 0, 3, 3)]);
    expect(later.by_token).toEqual([token(A2, 1, 0, 1, 1), token(B1, 1, 0, 3, 3)]);
    expect(await stats(11, 60)).toMatchObject({ calls: 0, by_user: [], by_token: [] });
  });

  it('shows the latest username of a user id, and keeps a name recorded without an id apart from a user of that name', async () => {
    const model = randomUUID();
    const at = Date.now() - 30 * MINUTE;
    // A user deleted and made again under the same name has a new id: two entries, one name.
    await publish([usage(model, at, 5, { actor: 'old-name', user: ALICE }), usage(model, at + 1_000, 5, { actor: 'admin' })]);
    await publish([usage(model, at + 2 * MINUTE, 5, { actor: 'new-name', user: ALICE }), usage(model, at + 2 * MINUTE, 5, { actor: 'admin', user: BOB })]);

    const stats = await system().ask(METRICS_PATTERNS.modelStats, {
      model_id: model,
      from: new Date(at - MINUTE).toISOString(),
      to: new Date(at + 5 * MINUTE).toISOString(),
    });

    // Ties go by name in byte order, then the name without an id first.
    expect(stats.by_user).toEqual([user(ALICE, 'new-name', 2, 0), user(null, 'admin', 1, 0), user(BOB, 'admin', 1, 0)]);
  });

  it('answers usage per user and per token across all models: the busiest, or those picked by id', async () => {
    const [m1, m2] = [randomUUID(), randomUUID()];
    const at = Date.now() - 20 * MINUTE;
    const events: UsageEvent[] = [
      usage(m1, at, 5, { actor: 'alice', user: ALICE, token: A1, tokens: [10, 1] }),
      usage(m2, at + 1, 5, { actor: 'alice', user: ALICE, token: A1, tokens: [20, 2], error: 'timeout' }),
      usage(m2, at + 2, 5, { actor: 'bob', user: BOB, token: B1 }),
      usage(m1, at + 3, 5, { actor: 'legacy' }),
      // Outside the range asked for.
      usage(m1, at - 2 * 60 * MINUTE, 5, { actor: 'alice', user: ALICE, token: A1 }),
    ];
    // 55 more users with one call each: the list stops at 50.
    for (let n = 0; n < 55; n += 1) events.push(usage(m2, at + 10 + n, 5, { actor: `u-${String(n).padStart(2, '0')}`, user: randomUUID() }));
    await publish(events);
    const range = { from: new Date(at - MINUTE).toISOString(), to: new Date(at + 5 * MINUTE).toISOString() };

    const users = await system().ask(METRICS_PATTERNS.usageByUser, range);
    expect(users).toMatchObject(range);
    expect(users.items).toHaveLength(50);
    expect(users.items.slice(0, 3)).toEqual([user(ALICE, 'alice', 2, 1, 30, 3), user(BOB, 'bob', 1, 0), user(null, 'legacy', 1, 0)]);
    expect(users.items.at(-1)!.username).toBe('u-46');

    // Picked by id: those with calls, and never a name recorded without one.
    const picked = await system().ask(METRICS_PATTERNS.usageByUser, { ...range, user_ids: [BOB, randomUUID()] });
    expect(picked.items).toEqual([user(BOB, 'bob', 1, 0)]);

    const tokens = await system().ask(METRICS_PATTERNS.usageByToken, range);
    expect(tokens.items).toEqual([token(A1, 2, 1, 30, 3), token(B1, 1, 0)]);
    const pickedTokens = await system().ask(METRICS_PATTERNS.usageByToken, { ...range, token_ids: [B1.toUpperCase()] });
    expect(pickedTokens.items).toEqual([token(B1, 1, 0)]);

    // The default range, the last hour, holds the same calls.
    expect((await system().ask(METRICS_PATTERNS.usageByToken, {})).items).toEqual(tokens.items);
  });

  it('answers 422 problems for bad ids over RPC', async () => {
    await expect(system().ask(METRICS_PATTERNS.usageByUser, { user_ids: ['not-a-uuid'] })).rejects.toMatchObject({
      status: 422,
      code: 'validation_failed',
      errors: [{ field: 'user_ids.0', detail: 'must be a UUID' }],
    });
    await expect(system().ask(METRICS_PATTERNS.usageByToken, { from: 'soon' })).rejects.toMatchObject({ status: 422, errors: [{ field: 'from' }] });
  });
});
