import { describe, expect, it } from '@jest/globals';
import { DomainException } from '@modelyard/platform';
import { LatencyHistogram } from './latency-histogram.util.js';
import { StatsService } from './stats.service.js';
import type { UsageRepository, UsageTotals } from './usage.repository.js';

const MODEL = '7b0c1d6e-1c1a-4c39-9d49-3f1f0c2a9e11';
const OTHER = 'a3b2b6a8-5d0c-4a51-8f0e-8f4f3c1f7c22';
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
  summaries?: Map<string, UsageTotals & { latency: LatencyHistogram }>;
}) {
  const calls: unknown[][] = [];
  const repository = {
    totalsByStep: async (...args: unknown[]) => (calls.push(['totalsByStep', ...args]), data.totals ?? new Map()),
    histogramsByStep: async (...args: unknown[]) => (calls.push(['histogramsByStep', ...args]), data.histograms ?? new Map()),
    errorsByClass: async (...args: unknown[]) => (calls.push(['errorsByClass', ...args]), data.errors ?? []),
    summaries: async (...args: unknown[]) => (calls.push(['summaries', ...args]), data.summaries ?? new Map()),
  };
  return { sut: new StatsService(repository as unknown as UsageRepository), mocks: { calls } };
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
        [0, { calls: 3, successes: 2 }],
        [59, { calls: 1, successes: 1 }],
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
    // Nearest rank over the merged histogram: ranks 2, 4, 4 of [10, 20, 30, 1000].
    const reported = (ms: number) => LatencyHistogram.valueOf(LatencyHistogram.bucketOf(ms));
    expect(stats.latency_ms).toEqual({ p50: reported(20), p95: reported(1_000), p99: reported(1_000) });
    expect(stats.series).toHaveLength(60);
    expect(stats.series[0]).toEqual({ start: from, calls: 3, success_rate: 2 / 3, latency_ms: histogramOf(10, 20, 30).percentiles() });
    expect(stats.series[1]).toEqual({ start: '2026-11-27T08:01:00.000Z', calls: 0, success_rate: null, latency_ms: null });
    expect(stats.series[59]!.start).toBe('2026-11-27T08:59:00.000Z');
  });

  it('answers a range without calls with zeros and nulls, not an error', async () => {
    const { sut } = newTestService({});

    const stats = await sut.modelStats({ model_id: MODEL, from, to: '2026-11-28T08:00:00.000Z' });

    expect(stats).toMatchObject({ calls: 0, success_rate: null, latency_ms: null, throughput_rps: 0, errors: [], step_seconds: 900 });
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
        [MODEL, { calls: 4, successes: 3, latency: histogramOf(5, 6, 7, 8) }],
        [OTHER, { calls: 2, successes: 2, latency: histogramOf(100, 100) }],
      ]),
    });
    const silent = 'c0ffee00-0000-4000-8000-000000000000';

    const summaries = await sut.modelSummaries({ model_ids: [OTHER.toUpperCase(), silent, MODEL] }, now);

    expect(mocks.calls[0]).toEqual(['summaries', [OTHER, silent, MODEL], new Date('2026-11-27T11:00:00.000Z'), now]);
    expect(summaries).toEqual([
      { model_id: OTHER, calls: 2, success_rate: 1, latency_p50_ms: LatencyHistogram.valueOf(LatencyHistogram.bucketOf(100)) },
      { model_id: MODEL, calls: 4, success_rate: 0.75, latency_p50_ms: LatencyHistogram.valueOf(LatencyHistogram.bucketOf(6)) },
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
