import { describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { METRICS_PATTERNS, type MetricsMessages, type MetricsPattern, type UsageErrorClass } from '@modelyard/contracts';
import { UsageConsumer } from '../src/usage/usage.consumer.js';
import { MINUTE, USAGE_TARGETS, useMetricsService, usageEvent as usage, type UsageEvent } from './support/usage-harness.js';

/** Exact nearest-rank quantile, what the histogram's answer must be within 2% of. */
const exactQuantile = (values: readonly number[], q: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(1, Math.ceil(q * sorted.length)) - 1]!;
};

describe.each(USAGE_TARGETS)('metrics service: usage statistics on %s', (target, open) => {
  const system = useMetricsService(target, open);
  const sql = <T = unknown>(text: string, params?: unknown[]) => system().sql<T>(text, params);
  const settle = () => system().settle();
  const publish = (events: UsageEvent[]) => system().platform.eventBus.publish(events);
  const ask = <P extends MetricsPattern>(pattern: P, request: MetricsMessages[P]['request']) => system().ask(pattern, request);

  const minutes = () =>
    sql<Array<{ model_id: string; minute: Date; calls: string; successes: string; failures: string; latency: object; errors: object }>>(
      'SELECT * FROM metrics_usage_minutes ORDER BY model_id, minute',
    );
  const actorMinutes = () =>
    sql<Array<{ model_id: string; minute: Date; actor: string; calls: string; failures: string; input_tokens: string; output_tokens: string }>>(
      'SELECT * FROM metrics_usage_actor_minutes ORDER BY model_id, minute, actor',
    );

  it('counts a batch holding duplicates once, and a batch delivered again changes nothing', async () => {
    const model = randomUUID();
    const start = Math.floor(Date.now() / MINUTE) * MINUTE - 10 * MINUTE;
    const events = [
      usage(model, start + 1_000, 12),
      usage(model, start + 2_000, 15, { error: 'timeout' }),
      usage(model, start + MINUTE + 5, 40),
    ];

    // The second copy of the first event comes in the same batch (the bus takes what has queued).
    await publish([...events, events[0]!]);
    await settle();

    const once = await minutes();
    expect(once.map(({ minute, calls, successes, failures, errors }) => ({ minute: minute.getTime(), calls, successes, failures, errors }))).toEqual([
      { minute: start, calls: '2', successes: '1', failures: '1', errors: { timeout: 1 } },
      { minute: start + MINUTE, calls: '1', successes: '1', failures: '0', errors: {} },
    ]);
    const scrape = (await system().platform.metrics.scrape()).body;
    expect(scrape).toMatch(/modelyard_events_consumed_total\{group="modelyard-metrics-usage",type="usage.recorded",outcome="applied"\} 3/);
    expect(scrape).toMatch(/modelyard_events_consumed_total\{group="modelyard-metrics-usage",type="usage.recorded",outcome="duplicate"\} 1/);
    expect(scrape).toMatch(/modelyard_event_batch_size_count\{group="modelyard-metrics-usage"\} 1/);

    // At-least-once delivery: the whole batch again, as after a crash before the offset commit.
    const actorsOnce = await actorMinutes();
    expect(actorsOnce.map(({ minute, actor, calls, failures }) => ({ minute: minute.getTime(), actor, calls, failures }))).toEqual([
      { minute: start, actor: 'int-test', calls: '2', failures: '1' },
      { minute: start + MINUTE, actor: 'int-test', calls: '1', failures: '0' },
    ]);

    await publish(events);
    await settle();

    expect(await minutes()).toEqual(once);
    expect(await actorMinutes()).toEqual(actorsOnce);
    expect((await sql<Array<{ n: number }>>('SELECT count(*)::int AS n FROM metrics_usage_claims'))[0]!.n).toBe(3);
  });

  it('counts overlapping batches applied at the same time once', async () => {
    const model = randomUUID();
    const at = Date.now() - 5 * MINUTE;
    const events = Array.from({ length: 500 }, (_, i) => usage(model, at + i, 1 + (i % 50), { actor: `user-${i % 7}`, tokens: [2, 1] }));
    const consumer = system().metrics.app.get(UsageConsumer);

    // Two members applying the same events at once, as during a partition hand-over.
    await Promise.all([consumer.applyBatch(events.slice(0, 400)), consumer.applyBatch(events.slice(100)), consumer.applyBatch(events)]);

    const [row] = await minutes();
    expect(row).toMatchObject({ calls: '500', input_tokens: '1000', output_tokens: '500' });
    const byActor = await sql<Array<{ calls: number; input_tokens: number; n: number }>>(
      'SELECT sum(calls)::int AS calls, sum(input_tokens)::int AS input_tokens, count(*)::int AS n FROM metrics_usage_actor_minutes',
    );
    expect(byActor).toEqual([{ calls: 500, input_tokens: 1_000, n: 7 }]);
  });

  it('answers stats over a range: totals, percentiles within 2%, errors by class, a series per minute', async () => {
    const model = randomUUID();
    const from = Math.floor(Date.now() / MINUTE) * MINUTE - 3 * 60 * MINUTE;
    const latencies: number[] = [];
    const events: UsageEvent[] = [];
    // 30 minutes, 40 calls each; latency 1..1200 ms spread over the whole range; 1 in 10 fails.
    for (let minute = 0; minute < 30; minute += 1) {
      for (let call = 0; call < 40; call += 1) {
        const latency = 1 + ((minute * 40 + call) * 7919) % 1200;
        const error: UsageErrorClass | null = call % 10 === 0 ? (minute % 3 === 0 ? 'runtime_error' : 'invalid_input') : null;
        latencies.push(latency);
        events.push(usage(model, from + minute * MINUTE + call * 1_000, latency, { error }));
      }
    }
    // Outside the range on either side: must not count.
    events.push(usage(model, from - 1, 5), usage(model, from + 60 * MINUTE, 5));
    await publish(events);
    await settle();

    const stats = await ask(METRICS_PATTERNS.modelStats, {
      model_id: model,
      from: new Date(from).toISOString(),
      to: new Date(from + 60 * MINUTE).toISOString(),
    });

    expect(stats).toMatchObject({ model_id: model, calls: 1_200, step_seconds: 60 });
    expect(stats.success_rate).toBeCloseTo(1_080 / 1_200, 12);
    expect(stats.throughput_rps).toBeCloseTo(1_200 / 3_600, 12);
    for (const [name, q] of [['p50', 0.5], ['p95', 0.95], ['p99', 0.99]] as const) {
      const exact = exactQuantile(latencies, q);
      expect(Math.abs(stats.latency_ms![name] - exact) / exact).toBeLessThanOrEqual(0.02);
    }
    expect(stats.errors).toEqual([
      { class: 'invalid_input', count: 80 },
      { class: 'runtime_error', count: 40 },
    ]);
    expect(stats.series).toHaveLength(60);
    expect(stats.series.slice(0, 30).every((point) => point.calls === 40 && point.success_rate === 0.9)).toBe(true);
    expect(stats.series[30]).toEqual({
      start: new Date(from + 30 * MINUTE).toISOString(),
      calls: 0,
      success_rate: null,
      latency_ms: null,
      input_tokens: 0,
      output_tokens: 0,
    });
    // Events without token fields (all of these) count no tokens.
    expect(stats.tokens).toEqual({ input: 0, output: 0 });
    expect(stats.by_user).toEqual([{ user_id: null, username: 'int-test', actor: 'int-test', calls: 1_200, failures: 120, success_rate: 0.9, input_tokens: 0, output_tokens: 0 }]);
    const firstMinute = latencies.slice(0, 40);
    expect(Math.abs(stats.series[0]!.latency_ms!.p99 - exactQuantile(firstMinute, 0.99)) / exactQuantile(firstMinute, 0.99)).toBeLessThanOrEqual(0.02);

    // A day: 15-minute steps, the same totals.
    const day = await ask(METRICS_PATTERNS.modelStats, {
      model_id: model,
      from: new Date(from - 12 * 60 * MINUTE).toISOString(),
      to: new Date(from + 12 * 60 * MINUTE).toISOString(),
    });
    expect(day).toMatchObject({ calls: 1_202, step_seconds: 900 });
    expect(day.series).toHaveLength(96);
  });

  it('adds tokens per model and per user: two users, a duplicate counted once, old events without tokens, over ranges', async () => {
    const model = randomUUID();
    const other = randomUUID();
    const from = Math.floor(Date.now() / MINUTE) * MINUTE - 2 * 60 * MINUTE;
    const duplicated = usage(model, from + 5 * MINUTE + 10, 30, { actor: 'alice', tokens: [400, 100] });
    const first = [
      usage(model, from + 10, 20, { actor: 'alice', tokens: [100, 50] }),
      usage(model, from + 20, 25, { actor: 'bob', tokens: [10, 5], error: 'provider_error' }),
      duplicated,
      // Published before events carried tokens, and an ONNX call (null tokens): both count 0 tokens.
      usage(model, from + 5 * MINUTE + 20, 8, { actor: 'bob' }),
      usage(model, from + 5 * MINUTE + 30, 9, { actor: 'bob', tokens: [null, null] }),
      usage(model, from + 30 * MINUTE, 40, { actor: 'alice', tokens: [1, 2] }),
      // Another model: none of this one's figures.
      usage(other, from + 10, 20, { actor: 'alice', tokens: [9_999, 9_999] }),
    ];
    await publish([...first, duplicated]);
    await settle();
    // The duplicate again, in a later batch, as after a redelivery.
    await publish([duplicated]);
    await settle();

    const window = (startMinute: number, endMinute: number) =>
      ask(METRICS_PATTERNS.modelStats, {
        model_id: model,
        from: new Date(from + startMinute * MINUTE).toISOString(),
        to: new Date(from + endMinute * MINUTE).toISOString(),
      });

    const hour = await window(0, 60);
    expect(hour).toMatchObject({ calls: 6, tokens: { input: 511, output: 157 }, step_seconds: 60 });
    expect(hour.series[0]).toMatchObject({ calls: 2, input_tokens: 110, output_tokens: 55 });
    expect(hour.series[5]).toMatchObject({ calls: 3, input_tokens: 400, output_tokens: 100 });
    expect(hour.series[30]).toMatchObject({ calls: 1, input_tokens: 1, output_tokens: 2 });
    expect(hour.series.reduce((sum, point) => sum + point.output_tokens, 0)).toBe(157);
    // Same calls, so most calls first leaves them in name order.
    expect(hour.by_user).toEqual([
      { user_id: null, username: 'alice', actor: 'alice', calls: 3, failures: 0, success_rate: 1, input_tokens: 501, output_tokens: 152 },
      { user_id: null, username: 'bob', actor: 'bob', calls: 3, failures: 1, success_rate: 2 / 3, input_tokens: 10, output_tokens: 5 },
    ]);

    // Minutes 1 to 29: only the minute-5 calls.
    const middle = await window(1, 30);
    expect(middle).toMatchObject({ calls: 3, tokens: { input: 400, output: 100 } });
    expect(middle.by_user).toEqual([
      { user_id: null, username: 'bob', actor: 'bob', calls: 2, failures: 0, success_rate: 1, input_tokens: 0, output_tokens: 0 },
      { user_id: null, username: 'alice', actor: 'alice', calls: 1, failures: 0, success_rate: 1, input_tokens: 400, output_tokens: 100 },
    ]);

    // After every call: zeros and no users.
    const after = await window(31, 60);
    expect(after).toMatchObject({ calls: 0, tokens: { input: 0, output: 0 }, by_user: [], by_token: [] });
  });

  it('lists at most 50 users, most calls first and ties by name in byte order', async () => {
    const model = randomUUID();
    const at = Date.now() - 30 * MINUTE;
    const events: UsageEvent[] = [];
    // user-01 … user-60 make 1 … 60 calls; three more tie with user-60. Byte order puts 'Zed-ops'
    // first (a linguistic collation would put it last), whatever the database's collation.
    for (let n = 1; n <= 60; n += 1) {
      const actor = `user-${String(n).padStart(2, '0')}`;
      for (let call = 0; call < n; call += 1) events.push(usage(model, at + call, 5, { actor, tokens: [n, 0] }));
    }
    for (const actor of ['user-000', 'Zed-ops', 'user-00']) {
      for (let call = 0; call < 60; call += 1) events.push(usage(model, at + 1_000 + call, 5, { actor }));
    }
    await publish(events);
    await settle();

    const stats = await ask(METRICS_PATTERNS.modelStats, {
      model_id: model,
      from: new Date(at - MINUTE).toISOString(),
      to: new Date(at + 2 * MINUTE).toISOString(),
    });

    expect(stats.calls).toBe(1_830 + 180);
    expect(stats.by_user).toHaveLength(50);
    expect(stats.by_user.slice(0, 5).map((user) => [user.actor, user.calls])).toEqual([
      ['Zed-ops', 60],
      ['user-00', 60],
      ['user-000', 60],
      ['user-60', 60],
      ['user-59', 59],
    ]);
    expect(stats.by_user[4]).toEqual({ user_id: null, username: 'user-59', actor: 'user-59', calls: 59, failures: 0, success_rate: 1, input_tokens: 59 * 59, output_tokens: 0 });
    expect(stats.by_user.at(-1)!.actor).toBe('user-14');
  });

  it('answers 422 problems for a bad range over RPC', async () => {
    const model = randomUUID();
    const problem = await ask(METRICS_PATTERNS.modelStats, { model_id: model, from: '2026-01-01T00:00:00Z', to: '2026-06-01T00:00:00Z' }).catch(
      (error: unknown) => error,
    );
    expect(problem).toMatchObject({ status: 422, code: 'validation_failed', errors: [{ field: 'to', detail: 'must be at most 90 days after from' }] });
    await expect(ask(METRICS_PATTERNS.modelStats, { model_id: model, from: '2026-01-02T00:00:00Z', to: '2026-01-01T00:00:00Z' })).rejects.toMatchObject({
      status: 422,
    });
  });

  it('summarises the last hour of the models that had calls', async () => {
    const [busy, quiet, silent] = [randomUUID(), randomUUID(), randomUUID()];
    const now = Date.now();
    await publish([
      usage(busy, now - 30 * MINUTE, 10, { tokens: [120, 30] }),
      usage(busy, now - 20 * MINUTE, 20, { error: 'timeout' }),
      usage(busy, now - 10 * MINUTE, 30, { actor: 'other', tokens: [5, null] }),
      usage(busy, now - 2 * 60 * MINUTE, 999, { tokens: [1_000, 1_000] }),
      usage(quiet, now - 3 * 60 * MINUTE, 5),
    ]);
    await settle();

    const summaries = await ask(METRICS_PATTERNS.modelSummaries, { model_ids: [silent, quiet, busy] });

    expect(summaries).toHaveLength(1);
    expect(summaries[0]).toMatchObject({ model_id: busy, calls: 3, success_rate: 2 / 3, input_tokens: 125, output_tokens: 30 });
    expect(Math.abs(summaries[0]!.latency_p50_ms! - 20) / 20).toBeLessThanOrEqual(0.02);
  });

  it('refuses events older than the claim retention, and prunes claims that old', async () => {
    const model = randomUUID();
    const eightDaysAgo = Date.now() - 8 * 24 * 60 * MINUTE;
    await publish([usage(model, eightDaysAgo, 10), usage(model, Date.now() - MINUTE, 10)]);
    await settle();
    expect((await minutes()).map((row) => row.calls)).toEqual(['1']);
    expect((await system().platform.metrics.scrape()).body).toMatch(/outcome="expired"\} 1/);

    // Claims of events that old (say, kept from before the service refused them).
    await sql(
      `INSERT INTO metrics_usage_claims (event_id, occurred_at) SELECT gen_random_uuid(), $1::timestamptz FROM generate_series(1, 2500)`,
      [new Date(eightDaysAgo)],
    );
    const consumer = system().metrics.app.get(UsageConsumer);

    expect(await consumer.prune()).toBe(2_500);
    expect((await sql<Array<{ n: number }>>('SELECT count(*)::int AS n FROM metrics_usage_claims'))[0]!.n).toBe(1);
  });

  it('answers its health pattern', async () => {
    const report = await ask(METRICS_PATTERNS.health, {});
    expect(report.status).toBe('ok');
    expect(Object.keys(report.checks).sort()).toEqual(['blob_store', 'database', 'event_bus', 'job_queue', 'rate_limit_store', 'session_store']);
  });
});
