import { describe, expect, it } from '@jest/globals';
import { DomainException } from '@modelyard/platform';
import { LatencyHistogram } from './latency-histogram.util.js';
import { MAX_PICKED_IDS, MAX_STATS_TOKENS, MAX_STATS_USERS, StatsService } from './stats.service.js';
import type { TokenTotals, UsageBreakdownRepository, UserTotals } from './usage-breakdown.repository.js';
import type { UsageRepository, UsageTotals } from './usage.repository.js';

const MODEL = '7b0c1d6e-1c1a-4c39-9d49-3f1f0c2a9e11';
const OTHER = 'a3b2b6a8-5d0c-4a51-8f0e-8f4f3c1f7c22';
const ALICE = '11111111-1111-4111-8111-111111111111';
const TOKEN = '22222222-2222-4222-8222-222222222222';
const totalsOf = (calls: number, successes: number, inputTokens = 0, outputTokens = 0): UsageTotals => ({ calls, successes, inputTokens, outputTokens });
const histogramOf = (...latencies: number[]): LatencyHistogram => {
  const histogram = new LatencyHistogram();
  for (const ms of latencies) histogram.add(ms);
  return histogram;
};

/** The service over a repository that answers from fixed tables, recording what it was asked. */
function newTestService(data: {
  totals?: Map<number, UsageTotals>;
  histograms?: Map<number, LatencyHistogram>;
  errors?: Array<{ class: string; count: number }>;
  users?: UserTotals[];
  tokens?: TokenTotals[];
  summaries?: Map<string, UsageTotals & { latency: LatencyHistogram }>;
}) {
  const calls: unknown[][] = [];
  const repository = {
    totalsByStep: async (...args: unknown[]) => (calls.push(['totalsByStep', ...args]), data.totals ?? new Map()),
    histogramsByStep: async (...args: unknown[]) => (calls.push(['histogramsByStep', ...args]), data.histograms ?? new Map()),
    errorsByClass: async (...args: unknown[]) => (calls.push(['errorsByClass', ...args]), data.errors ?? []),
    summaries: async (...args: unknown[]) => (calls.push(['summaries', ...args]), data.summaries ?? new Map()),
  };
  const breakdowns = {
    topUsers: async (...args: unknown[]) => (calls.push(['topUsers', ...args]), data.users ?? []),
    topTokens: async (...args: unknown[]) => (calls.push(['topTokens', ...args]), data.tokens ?? []),
  };
  return { sut: new StatsService(repository as unknown as UsageRepository, breakdowns as unknown as UsageBreakdownRepository), mocks: { calls } };
}

async function problemOf(promise: Promise<unknown>): Promise<DomainException> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(DomainException);
  return error as DomainException;
}

describe('StatsService.modelStats', () => {
  const from = '2026-11-27T08:00:00.000Z';
  const to = '2026-11-27T09:00:00.000Z';

  it('adds up the steps, merges their histograms for the range, and fills steps without calls', async () => {
    const { sut, mocks } = newTestService({
      totals: new Map([
        [0, totalsOf(3, 2)],
        [59, totalsOf(1, 1)],
      ]),
      histograms: new Map([
        [0, histogramOf(10, 20, 30)],
        [59, histogramOf(1_000)],
      ]),
      errors: [{ class: 'timeout', count: 1 }],
    });

    const stats = await sut.modelStats({ model_id: MODEL, from, to });

    expect(mocks.calls[0]).toEqual(['totalsByStep', MODEL, new Date(from), new Date(to), 60]);
    expect(stats).toMatchObject({ model_id: MODEL, from, to, calls: 4, success_rate: 0.75, step_seconds: 60, errors: [{ class: 'timeout', count: 1 }] });
    expect(stats.throughput_rps).toBeCloseTo(4 / 3_600, 12);
    // Nearest rank over the merged [10, 20, 30, 1000]: p50 ⌈0.5·4⌉ = 2nd (20 ms), p95 ⌈3.8⌉ and p99 ⌈3.96⌉ =
    // 4th (1000 ms). Each is reported as its bucket's value, worked out apart from the code from
    // the documented layout (bucket i = [0.01·γ^(i−1), 0.01·γ^i), γ = 1.019/0.981): 20 ms → 19.62,
    // 30 ms → 29.8, 1000 ms → 983.4, all within the documented 2%.
    expect(stats.latency_ms).toEqual({ p50: 19.62, p95: 983.4, p99: 983.4 });
    expect(stats.series).toHaveLength(60);
    expect(stats.series[0]).toEqual({
      start: from,
      calls: 3,
      success_rate: 2 / 3,
      // [10, 20, 30]: p50 ⌈1.5⌉ = 2nd, p95 ⌈2.85⌉ and p99 ⌈2.97⌉ = 3rd.
      latency_ms: { p50: 19.62, p95: 29.8, p99: 29.8 },
      input_tokens: 0,
      output_tokens: 0,
    });
    expect(stats.series[1]).toEqual({ start: '2026-11-27T08:01:00.000Z', calls: 0, success_rate: null, latency_ms: null, input_tokens: 0, output_tokens: 0 });
    expect(stats.series[59]!.start).toBe('2026-11-27T08:59:00.000Z');
  });

  it('adds up tokens over the range and per step, and lists users and API tokens as the repository ranks them', async () => {
    const { sut, mocks } = newTestService({
      totals: new Map([
        [2, totalsOf(2, 2, 100, 40)],
        [7, totalsOf(3, 1, 25, 0)],
      ]),
      users: [
        { userId: ALICE, username: 'alice', calls: 4, failures: 2, inputTokens: 25, outputTokens: 0 },
        // Recorded before users existed: by name, without an id.
        { userId: null, username: 'admin', calls: 1, failures: 0, inputTokens: 100, outputTokens: 40 },
      ],
      tokens: [{ tokenId: TOKEN, calls: 4, failures: 1, inputTokens: 25, outputTokens: 0 }],
    });

    const stats = await sut.modelStats({ model_id: MODEL.toUpperCase(), from, to });

    const range = { modelId: MODEL, from: new Date(from), to: new Date(to) };
    expect(mocks.calls).toContainEqual(['topUsers', range, MAX_STATS_USERS]);
    expect(mocks.calls).toContainEqual(['topTokens', range, MAX_STATS_TOKENS]);
    expect([MAX_STATS_USERS, MAX_STATS_TOKENS]).toEqual([50, 50]);
    expect(stats.tokens).toEqual({ input: 125, output: 40 });
    expect(stats.series[2]).toMatchObject({ calls: 2, input_tokens: 100, output_tokens: 40 });
    expect(stats.series[7]).toMatchObject({ calls: 3, input_tokens: 25, output_tokens: 0 });
    expect(stats.series.reduce((sum, point) => sum + point.input_tokens, 0)).toBe(125);
    expect(stats.by_user).toEqual([
      { user_id: ALICE, username: 'alice', actor: 'alice', calls: 4, failures: 2, success_rate: 0.5, input_tokens: 25, output_tokens: 0 },
      { user_id: null, username: 'admin', actor: 'admin', calls: 1, failures: 0, success_rate: 1, input_tokens: 100, output_tokens: 40 },
    ]);
    // The token's name and user are the registry's: the gateway adds them.
    expect(stats.by_token).toEqual([
      { token_id: TOKEN, name: null, prefix: null, user: null, calls: 4, failures: 1, success_rate: 0.75, input_tokens: 25, output_tokens: 0 },
    ]);
  });

  it('answers a range without calls with zeros and nulls, not an error', async () => {
    const { sut } = newTestService({});

    const stats = await sut.modelStats({ model_id: MODEL, from, to: '2026-11-28T08:00:00.000Z' });

    expect(stats).toMatchObject({
      calls: 0,
      success_rate: null,
      latency_ms: null,
      throughput_rps: 0,
      errors: [],
      step_seconds: 900,
      tokens: { input: 0, output: 0 },
      by_user: [],
      by_token: [],
    });
    expect(stats.series).toHaveLength(96);
  });

  it('defaults to the hour before now', async () => {
    const { sut, mocks } = newTestService({});
    const now = new Date('2026-11-27T12:34:56.000Z');

    const stats = await sut.modelStats({ model_id: MODEL } as never, now);

    expect([stats.from, stats.to]).toEqual(['2026-11-27T11:34:56.000Z', '2026-11-27T12:34:56.000Z']);
    expect(mocks.calls[0]![2]).toEqual(new Date('2026-11-27T11:34:56.000Z'));
  });

  it.each([
    ['from after to', { model_id: MODEL, from: to, to: from }, [{ field: 'from', detail: 'must be before to' }]],
    ['an empty range', { model_id: MODEL, from, to: from }, [{ field: 'from', detail: 'must be before to' }]],
    ['more than 90 days', { model_id: MODEL, from: '2026-01-01T00:00:00Z', to: '2026-04-01T00:00:01Z' }, [{ field: 'to', detail: 'must be at most 90 days after from' }]],
    [
      'a bad id and a bad date',
      { model_id: 'resnet', from: 'yesterday', to },
      [
        { field: 'model_id', detail: 'must be a UUID' },
        { field: 'from', detail: 'must be an ISO 8601 date-time' },
      ],
    ],
  ])('refuses %s with 422 naming the fields', async (_name, request, errors) => {
    const { sut, mocks } = newTestService({});

    const problem = await problemOf(sut.modelStats(request));

    expect(problem.status).toBe(422);
    expect(problem.errors).toEqual(errors);
    expect(mocks.calls).toEqual([]);
  });

  it('accepts exactly 90 days', async () => {
    const { sut } = newTestService({});
    const stats = await sut.modelStats({ model_id: MODEL, from: '2026-01-01T00:00:00Z', to: '2026-04-01T00:00:00Z' });
    expect(stats.step_seconds).toBe(86_400);
    expect(stats.series).toHaveLength(90);
  });
});

describe('StatsService.modelSummaries', () => {
  it('answers for the models with calls in the last hour, in the order asked', async () => {
    const now = new Date('2026-11-27T12:00:00.000Z');
    const { sut, mocks } = newTestService({
      summaries: new Map([
        [MODEL, { ...totalsOf(4, 3, 1_200, 300), latency: histogramOf(5, 6, 7, 8) }],
        [OTHER, { ...totalsOf(2, 2), latency: histogramOf(100, 100) }],
      ]),
    });
    const silent = 'c0ffee00-0000-4000-8000-000000000000';

    const summaries = await sut.modelSummaries({ model_ids: [OTHER.toUpperCase(), silent, MODEL] }, now);

    expect(mocks.calls[0]).toEqual(['summaries', [OTHER, silent, MODEL], new Date('2026-11-27T11:00:00.000Z'), now]);
    expect(summaries).toEqual([
      // p50 of [100, 100] is 100 ms, reported as 100.6; of [5, 6, 7, 8] the 2nd, 6 ms, reported as 6.04.
      { model_id: OTHER, calls: 2, success_rate: 1, latency_p50_ms: 100.6, input_tokens: 0, output_tokens: 0 },
      {
        model_id: MODEL,
        calls: 4,
        success_rate: 0.75,
        latency_p50_ms: 6.04,
        input_tokens: 1_200,
        output_tokens: 300,
      },
    ]);
  });

  it('asks nothing for no models and refuses ids that are not UUIDs', async () => {
    const { sut, mocks } = newTestService({});
    expect(await sut.modelSummaries({ model_ids: [] })).toEqual([]);
    expect(mocks.calls).toEqual([]);
    const problem = await problemOf(sut.modelSummaries({ model_ids: [MODEL, 'nope'] }));
    expect(problem.status).toBe(422);
    expect(problem.errors).toEqual([{ field: 'model_ids.1', detail: 'must be a UUID' }]);
    expect((await problemOf(sut.modelSummaries({} as never))).status).toBe(422);
  });
});

describe('StatsService.usageByUser and usageByToken', () => {
  const now = new Date('2026-11-27T12:00:00.000Z');

  it('answers the busiest users and tokens across all models over the last hour by default', async () => {
    const { sut, mocks } = newTestService({
      users: [{ userId: ALICE, username: 'alice', calls: 3, failures: 1, inputTokens: 9, outputTokens: 4 }],
      tokens: [{ tokenId: TOKEN, calls: 2, failures: 0, inputTokens: 9, outputTokens: 4 }],
    });
    const lastHour = { from: new Date('2026-11-27T11:00:00.000Z'), to: now, ids: undefined };

    expect(await sut.usageByUser({}, now)).toEqual({
      from: '2026-11-27T11:00:00.000Z',
      to: now.toISOString(),
      items: [{ user_id: ALICE, username: 'alice', actor: 'alice', calls: 3, failures: 1, success_rate: 2 / 3, input_tokens: 9, output_tokens: 4 }],
    });
    expect(await sut.usageByToken({}, now)).toEqual({
      from: '2026-11-27T11:00:00.000Z',
      to: now.toISOString(),
      items: [{ token_id: TOKEN, name: null, prefix: null, user: null, calls: 2, failures: 0, success_rate: 1, input_tokens: 9, output_tokens: 4 }],
    });
    // No model: across all of them.
    expect(mocks.calls).toEqual([
      ['topUsers', lastHour, MAX_STATS_USERS],
      ['topTokens', lastHour, MAX_STATS_TOKENS],
    ]);
  });

  it('picks users and tokens by id, in lower case and once each, as many as are named', async () => {
    const { sut, mocks } = newTestService({});
    const from = '2026-11-20T00:00:00.000Z';
    const to = '2026-11-27T00:00:00.000Z';

    await sut.usageByUser({ from, to, user_ids: [ALICE.toUpperCase(), ALICE, OTHER] }, now);
    await sut.usageByToken({ from, to, token_ids: [TOKEN] }, now);
    expect(await sut.usageByToken({ token_ids: [] }, now)).toMatchObject({ items: [] });

    expect(mocks.calls).toEqual([
      ['topUsers', { from: new Date(from), to: new Date(to), ids: [ALICE, OTHER] }, 2],
      ['topTokens', { from: new Date(from), to: new Date(to), ids: [TOKEN] }, 1],
    ]);
  });

  it.each([
    ['ids that are not UUIDs', { user_ids: [ALICE, 'nope'] }, [{ field: 'user_ids.1', detail: 'must be a UUID' }]],
    ['ids that are not an array', { user_ids: 'nope' }, [{ field: 'user_ids', detail: 'must be an array of UUIDs' }]],
    ['too many ids', { user_ids: Array.from({ length: MAX_PICKED_IDS + 1 }, () => ALICE) }, [{ field: 'user_ids', detail: 'must name at most 1000 ids' }]],
    [
      'a bad range and bad ids at once',
      { from: 'yesterday', to: '2026-11-27T00:00:00Z', user_ids: [1] },
      [
        { field: 'from', detail: 'must be an ISO 8601 date-time' },
        { field: 'user_ids.0', detail: 'must be a UUID' },
      ],
    ],
    ['more than 90 days', { from: '2026-01-01T00:00:00Z', to: '2026-04-01T00:00:01Z' }, [{ field: 'to', detail: 'must be at most 90 days after from' }]],
  ])('answers 422 for %s, asking nothing', async (_what, request, errors) => {
    const { sut, mocks } = newTestService({});
    const problem = await problemOf(sut.usageByUser(request as never, now));
    expect(problem.status).toBe(422);
    expect(problem.errors).toEqual(errors);
    expect(mocks.calls).toEqual([]);
  });

  it('checks token ids as it checks user ids', async () => {
    const { sut } = newTestService({});
    const problem = await problemOf(sut.usageByToken({ token_ids: ['x'] }, now));
    expect(problem.errors).toEqual([{ field: 'token_ids.0', detail: 'must be a UUID' }]);
  });
});
