import type { EventEnvelope } from '@modelyard/contracts';
import { LatencyHistogram } from './latency-histogram.util.js';
import { minuteOf } from './stats-range.util.js';

export type UsageEvent = EventEnvelope<'usage.recorded'>;

/** A claimed event and its `occurred_at` as epoch milliseconds. */
export interface TimedUsageEvent {
  event: UsageEvent;
  at: number;
}

/** One (model, minute) of a batch: what its events add. */
export interface MinuteDelta {
  modelId: string;
  minute: number;
  calls: number;
  successes: number;
  failures: number;
  inputTokens: number;
  outputTokens: number;
  latency: LatencyHistogram;
  errors: Record<string, number>;
}

/** One (model, minute, actor) of a batch: what that actor's events add. */
export interface ActorMinuteDelta {
  modelId: string;
  minute: number;
  actor: string;
  calls: number;
  failures: number;
  inputTokens: number;
  outputTokens: number;
}

export interface UsageFold {
  minutes: Map<string, MinuteDelta>;
  actors: Map<string, ActorMinuteDelta>;
}

/**
 * Folds events into one delta per (model, minute) — counts, tokens, a latency histogram, failures
 * by class — and one per (model, minute, actor). Events without token counts (ONNX calls, events
 * from before tokens were recorded) add 0 tokens.
 */
export function foldUsage(events: readonly TimedUsageEvent[]): UsageFold {
  const minutes = new Map<string, MinuteDelta>();
  const actors = new Map<string, ActorMinuteDelta>();
  for (const { event, at } of events) {
    const { outcome, error_class: errorClass, latency_ms: latencyMs } = event.payload;
    const inputTokens = event.payload.input_tokens ?? 0;
    const outputTokens = event.payload.output_tokens ?? 0;
    const failed = outcome !== 'success';
    // One spelling per model: two rows for one key in a statement would make its upsert fail.
    const modelId = event.payload.model_id.toLowerCase();
    const actor = storableActor(event.payload.actor);
    const minute = minuteOf(at);
    // Model id and minute have fixed forms without '|', so whatever the actor holds the key is unambiguous.
    const minuteKey = `${modelId}|${minute}`;
    let delta = minutes.get(minuteKey);
    if (!delta) {
      delta = { modelId, minute, calls: 0, successes: 0, failures: 0, inputTokens: 0, outputTokens: 0, latency: new LatencyHistogram(), errors: {} };
      minutes.set(minuteKey, delta);
    }
    delta.calls += 1;
    if (failed) {
      delta.failures += 1;
      if (errorClass) delta.errors[errorClass] = (delta.errors[errorClass] ?? 0) + 1;
    } else {
      delta.successes += 1;
    }
    delta.inputTokens += inputTokens;
    delta.outputTokens += outputTokens;
    delta.latency.add(latencyMs);

    const actorKey = `${minuteKey}|${actor}`;
    let byActor = actors.get(actorKey);
    if (!byActor) {
      byActor = { modelId, minute, actor, calls: 0, failures: 0, inputTokens: 0, outputTokens: 0 };
      actors.set(actorKey, byActor);
    }
    byActor.calls += 1;
    if (failed) byActor.failures += 1;
    byActor.inputTokens += inputTokens;
    byActor.outputTokens += outputTokens;
  }
  return { minutes, actors };
}

/**
 * The actor as PostgreSQL can store it. Text there cannot hold U+0000, and one event whose actor
 * did would fail its whole batch on every redelivery, stopping the consumer.
 */
export function storableActor(actor: string): string {
  return actor.includes('\0') ? actor.replaceAll('\0', '\uFFFD') : actor;
}
