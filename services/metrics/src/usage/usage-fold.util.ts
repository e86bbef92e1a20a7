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

/** Calls, failures and tokens: what the per-user and per-token rows add up. */
export interface CallCounts {
  calls: number;
  failures: number;
  inputTokens: number;
  outputTokens: number;
}

/** One (model, minute, actor) of a batch, for events without a user id: what that actor's events add. */
export interface ActorMinuteDelta extends CallCounts {
  modelId: string;
  minute: number;
  actor: string;
}

/** One (model, minute, user) of a batch, for events with a user id. */
export interface UserMinuteDelta extends CallCounts {
  modelId: string;
  minute: number;
  userId: string;
  /** The username of the batch's latest event of this user: what the statistics show. */
  username: string;
  /** When that event occurred (epoch ms), to pick the latest. */
  usernameAt: number;
}

/** One (model, minute, API token) of a batch, for events with a token id. */
export interface TokenMinuteDelta extends CallCounts {
  modelId: string;
  minute: number;
  tokenId: string;
}

export interface UsageFold {
  minutes: Map<string, MinuteDelta>;
  /** Events without a user id (from before users existed), by the name they carry. */
  actors: Map<string, ActorMinuteDelta>;
  users: Map<string, UserMinuteDelta>;
  tokens: Map<string, TokenMinuteDelta>;
}

/**
 * Folds events into one delta per (model, minute) — counts, tokens, a latency histogram, failures
 * by class — and, for the breakdowns, one per (model, minute, user) keyed by user id, or per
 * (model, minute, actor) name for events without one, and one per (model, minute, token) for
 * events made with an API token. Events without token counts (ONNX calls, events from before
 * tokens were recorded) add 0 tokens.
 */
export function foldUsage(events: readonly TimedUsageEvent[]): UsageFold {
  const minutes = new Map<string, MinuteDelta>();
  const actors = new Map<string, ActorMinuteDelta>();
  const users = new Map<string, UserMinuteDelta>();
  const tokens = new Map<string, TokenMinuteDelta>();
  for (const { event, at } of events) {
    const { outcome, error_class: errorClass, latency_ms: latencyMs } = event.payload;
    const counts: CallCounts = {
      calls: 1,
      failures: outcome === 'success' ? 0 : 1,
      inputTokens: event.payload.input_tokens ?? 0,
      outputTokens: event.payload.output_tokens ?? 0,
    };
    // One spelling per id: two rows for one key in a statement would make its upsert fail.
    const modelId = event.payload.model_id.toLowerCase();
    const userId = event.payload.user_id?.toLowerCase();
    const tokenId = event.payload.token_id?.toLowerCase();
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
    if (counts.failures) {
      delta.failures += 1;
      if (errorClass) delta.errors[errorClass] = (delta.errors[errorClass] ?? 0) + 1;
    } else {
      delta.successes += 1;
    }
    delta.inputTokens += counts.inputTokens;
    delta.outputTokens += counts.outputTokens;
    delta.latency.add(latencyMs);

    if (userId) {
      const byUser = addTo(users, `${minuteKey}|${userId}`, counts, () => ({ modelId, minute, userId, username: actor, usernameAt: at }));
      if (at >= byUser.usernameAt) Object.assign(byUser, { username: actor, usernameAt: at });
    } else {
      addTo(actors, `${minuteKey}|${actor}`, counts, () => ({ modelId, minute, actor }));
    }
    if (tokenId) addTo(tokens, `${minuteKey}|${tokenId}`, counts, () => ({ modelId, minute, tokenId }));
  }
  return { minutes, actors, users, tokens };
}

/** Adds one event's counts to the delta under `key`, made by `create` if there is none yet. */
function addTo<T extends CallCounts>(deltas: Map<string, T>, key: string, counts: CallCounts, create: () => Omit<T, keyof CallCounts>): T {
  let delta = deltas.get(key);
  if (!delta) {
    delta = { ...create(), calls: 0, failures: 0, inputTokens: 0, outputTokens: 0 } as T;
    deltas.set(key, delta);
  }
  delta.calls += counts.calls;
  delta.failures += counts.failures;
  delta.inputTokens += counts.inputTokens;
  delta.outputTokens += counts.outputTokens;
  return delta;
}

/**
 * The actor as PostgreSQL can store it. Text there cannot hold U+0000, and one event whose actor
 * did would fail its whole batch on every redelivery, stopping the consumer.
 */
export function storableActor(actor: string): string {
  return actor.includes('\0') ? actor.replaceAll('\0', '\uFFFD') : actor;
}
