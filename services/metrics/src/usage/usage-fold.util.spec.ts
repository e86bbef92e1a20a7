import { describe, expect, it } from '@jest/globals';
import type { UsageErrorClass } from '@modelyard/contracts';
import { LatencyHistogram } from './latency-histogram.util.js';
import { foldUsage, storableActor, type TimedUsageEvent } from './usage-fold.util.js';

const MODEL = '7b0c1d6e-1c1a-4c39-9d49-3f1f0c2a9e11';
const MINUTE = 60_000;
const T0 = Date.parse('2026-11-27T08:00:00.000Z');
let seq = 0;

function event(
  at: number,
  options: { actor?: string; model?: string; error?: UsageErrorClass | null; latencyMs?: number; tokens?: [number | null, number | null] } = {},
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
    const { minutes, actors } = foldUsage([]);
    expect([minutes.size, actors.size]).toEqual([0, 0]);
  });
});

describe('storableActor', () => {
  it('keeps names as they are, except U+0000, which PostgreSQL text cannot hold', () => {
    expect(storableActor('ci-bot ✓')).toBe('ci-bot ✓');
    expect(storableActor('a\0b\0')).toBe('a\uFFFDb\uFFFD');
  });
});
