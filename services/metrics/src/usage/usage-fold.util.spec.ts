import { describe, expect, it } from '@jest/globals';
import type { UsageErrorClass } from '@modelyard/contracts';
import { LatencyHistogram } from './latency-histogram.util.js';
import { foldUsage, storableActor, type TimedUsageEvent } from './usage-fold.util.js';

const MODEL = '7b0c1d6e-1c1a-4c39-9d49-3f1f0c2a9e11';
const MINUTE = 60_000;
const T0 = Date.parse('2026-11-27T08:00:00.000Z');
const ALICE = '11111111-1111-4111-8111-111111111111';
const BOB = '22222222-2222-4222-8222-222222222222';
const ALICE_CI = 'aaaaaaaa-0000-4000-8000-00000000000a';
const BOB_CLI = 'bbbbbbbb-0000-4000-8000-00000000000b';
let seq = 0;

function event(
  at: number,
  options: {
    actor?: string;
    model?: string;
    error?: UsageErrorClass | null;
    latencyMs?: number;
    tokens?: [number | null, number | null];
    user?: string | null;
    token?: string | null;
  } = {},
): TimedUsageEvent {
  seq += 1;
  const payload = {
    model_id: options.model ?? MODEL,
    actor: options.actor ?? 'admin',
    kind: 'invoke' as const,
    outcome: options.error ? ('failure' as const) : ('success' as const),
    error_class: options.error ?? null,
    latency_ms: options.latencyMs ?? 10,
    worker: 'worker-1',
    // Events from before tokens were recorded have no token fields at all.
    ...(options.tokens ? { input_tokens: options.tokens[0], output_tokens: options.tokens[1] } : {}),
    // Events from before users existed have neither id; sessions (the console) have no token.
    ...(options.user !== undefined && { user_id: options.user }),
    ...(options.token !== undefined && { token_id: options.token }),
  };
  const id = `00000000-0000-4000-8000-${String(seq).padStart(12, '0')}`;
  return { event: { id, type: 'usage.recorded', key: payload.model_id, occurred_at: new Date(at).toISOString(), payload }, at };
}

describe('foldUsage', () => {
  it('sums calls, failures and tokens per (model, minute) and per (model, minute, actor)', () => {
    const { minutes, actors } = foldUsage([
      event(T0 + 1_000, { actor: 'admin', tokens: [100, 20] }),
      event(T0 + 2_000, { actor: 'ci-bot', tokens: [7, 3], error: 'provider_error' }),
      event(T0 + 59_999, { actor: 'admin', tokens: [50, null] }),
      event(T0 + MINUTE, { actor: 'admin', tokens: [1, 1] }),
    ]);

    expect([...minutes.values()].map(({ latency, ...rest }) => ({ ...rest, latencyCount: latency.count }))).toEqual([
      { modelId: MODEL, minute: T0, calls: 3, successes: 2, failures: 1, inputTokens: 157, outputTokens: 23, errors: { provider_error: 1 }, latencyCount: 3 },
      { modelId: MODEL, minute: T0 + MINUTE, calls: 1, successes: 1, failures: 0, inputTokens: 1, outputTokens: 1, errors: {}, latencyCount: 1 },
    ]);
    expect([...actors.values()]).toEqual([
      { modelId: MODEL, minute: T0, actor: 'admin', calls: 2, failures: 0, inputTokens: 150, outputTokens: 20 },
      { modelId: MODEL, minute: T0, actor: 'ci-bot', calls: 1, failures: 1, inputTokens: 7, outputTokens: 3 },
      { modelId: MODEL, minute: T0 + MINUTE, actor: 'admin', calls: 1, failures: 0, inputTokens: 1, outputTokens: 1 },
    ]);
  });

  it('counts 0 tokens for events without token fields or with null ones (ONNX calls, older events)', () => {
    const { minutes, actors } = foldUsage([event(T0), event(T0 + 1, { tokens: [null, null] })]);

    expect([...minutes.values()][0]).toMatchObject({ calls: 2, inputTokens: 0, outputTokens: 0 });
    expect([...actors.values()]).toEqual([{ modelId: MODEL, minute: T0, actor: 'admin', calls: 2, failures: 0, inputTokens: 0, outputTokens: 0 }]);
  });

  it('folds the spellings of one model id into one row, but keeps actors apart by exact name', () => {
    const { minutes, actors } = foldUsage([
      event(T0, { model: MODEL.toUpperCase(), actor: 'Admin' }),
      event(T0, { actor: 'admin' }),
      // A '|' in the name cannot collide with another actor's key.
      event(T0, { actor: 'a|b' }),
      event(T0, { actor: 'a' }),
    ]);

    expect(minutes.size).toBe(1);
    expect([...minutes.values()][0]!.modelId).toBe(MODEL);
    expect([...actors.values()].map((a) => [a.modelId, a.actor, a.calls])).toEqual([
      [MODEL, 'Admin', 1],
      [MODEL, 'admin', 1],
      [MODEL, 'a|b', 1],
      [MODEL, 'a', 1],
    ]);
  });

  it('puts every latency in the minute histogram', () => {
    const { minutes } = foldUsage([event(T0, { latencyMs: 5 }), event(T0, { latencyMs: 500, error: 'timeout' })]);
    const expected = new LatencyHistogram();
    expected.add(5);
    expected.add(500);

    expect([...minutes.values()][0]!.latency.toSparse()).toEqual(expected.toSparse());
  });

  it('answers nothing for no events', () => {
    const { minutes, actors, users, tokens } = foldUsage([]);
    expect([minutes.size, actors.size, users.size, tokens.size]).toEqual([0, 0, 0, 0]);
  });

  it('counts calls with a user id per user id, and calls made with an API token per token as well', () => {
    const { minutes, actors, users, tokens } = foldUsage([
      event(T0 + 1_000, { actor: 'alice', user: ALICE, token: ALICE_CI, tokens: [10, 5] }),
      event(T0 + 2_000, { actor: 'alice', user: ALICE, token: ALICE_CI, error: 'timeout' }),
      // The console: a session, no token.
      event(T0 + 3_000, { actor: 'alice', user: ALICE, token: null, tokens: [1, 1] }),
      event(T0 + 4_000, { actor: 'bob', user: BOB, token: BOB_CLI, tokens: [7, 0] }),
      event(T0 + MINUTE, { actor: 'bob', user: BOB, token: BOB_CLI, tokens: [2, 2], error: 'provider_error' }),
    ]);

    expect([...minutes.values()].map((m) => [m.minute, m.calls, m.failures])).toEqual([
      [T0, 4, 1],
      [T0 + MINUTE, 1, 1],
    ]);
    // Calls with a user id are not counted by name as well.
    expect(actors.size).toBe(0);
    expect([...users.values()]).toEqual([
      { modelId: MODEL, minute: T0, userId: ALICE, username: 'alice', usernameAt: T0 + 3_000, calls: 3, failures: 1, inputTokens: 11, outputTokens: 6 },
      { modelId: MODEL, minute: T0, userId: BOB, username: 'bob', usernameAt: T0 + 4_000, calls: 1, failures: 0, inputTokens: 7, outputTokens: 0 },
      { modelId: MODEL, minute: T0 + MINUTE, userId: BOB, username: 'bob', usernameAt: T0 + MINUTE, calls: 1, failures: 1, inputTokens: 2, outputTokens: 2 },
    ]);
    expect([...tokens.values()]).toEqual([
      { modelId: MODEL, minute: T0, tokenId: ALICE_CI, calls: 2, failures: 1, inputTokens: 10, outputTokens: 5 },
      { modelId: MODEL, minute: T0, tokenId: BOB_CLI, calls: 1, failures: 0, inputTokens: 7, outputTokens: 0 },
      { modelId: MODEL, minute: T0 + MINUTE, tokenId: BOB_CLI, calls: 1, failures: 1, inputTokens: 2, outputTokens: 2 },
    ]);
  });

  it('keeps events without a user id by name, beside users counted by id', () => {
    const { actors, users, tokens } = foldUsage([
      // Before users existed: no ids at all; a null id is the same.
      event(T0, { actor: 'admin' }),
      event(T0 + 1, { actor: 'admin', user: null, token: null }),
      // The same name with a user id is that user, not the old name.
      event(T0 + 2, { actor: 'admin', user: ALICE }),
    ]);

    expect([...actors.values()]).toEqual([{ modelId: MODEL, minute: T0, actor: 'admin', calls: 2, failures: 0, inputTokens: 0, outputTokens: 0 }]);
    expect([...users.values()].map((u) => [u.userId, u.username, u.calls])).toEqual([[ALICE, 'admin', 1]]);
    expect(tokens.size).toBe(0);
  });

  it('folds the spellings of a user or token id into one row, named by the latest event of the batch', () => {
    const { users, tokens } = foldUsage([
      event(T0 + 5, { actor: 'later', user: ALICE.toUpperCase(), token: ALICE_CI.toUpperCase() }),
      // Earlier, though it comes after in the batch: its name is not the one kept.
      event(T0 + 1, { actor: 'earlier', user: ALICE, token: ALICE_CI }),
      event(T0 + 2, { actor: 'nul\0name', user: BOB }),
    ]);

    expect([...users.values()].map((u) => [u.userId, u.username, u.calls])).toEqual([
      [ALICE, 'later', 2],
      [BOB, 'nul\uFFFDname', 1],
    ]);
    expect([...tokens.values()].map((t) => [t.tokenId, t.calls])).toEqual([[ALICE_CI, 2]]);
  });
});

describe('storableActor', () => {
  it('keeps names as they are, except U+0000, which PostgreSQL text cannot hold', () => {
    expect(storableActor('ci-bot ✓')).toBe('ci-bot ✓');
    expect(storableActor('a\0b\0')).toBe('a\uFFFDb\uFFFD');
  });
});
