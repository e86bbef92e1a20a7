import type { AnyEventEnvelope } from '@modelyard/contracts';

interface SubscriptionBase {
  /** Consumer group: each event reaches one member of each group. */
  group: string;
  topics: readonly string[];
  /**
   * How many times an event (or a batch) is delivered before the bus gives up on it (default 5).
   * A failed delivery is retried after a doubling delay; the events behind it wait, which keeps
   * the order of a key. Delivery is at least once: handlers de-duplicate by `event.id`.
   */
  maxAttempts?: number;
  /**
   * Where a group with no committed position starts: `latest` (default) or `earliest`, the oldest
   * event the bus still holds. A service's own group should say `earliest`: its first start then
   * sees history it can de-duplicate, and a partition that had no traffic before a broker restart
   * cannot skip the events published while the group was re-joining. The in-process bus keeps
   * no history, so both mean "from now" there.
   */
  startFrom?: 'latest' | 'earliest';
}

/** A subscription that takes events one at a time. */
export interface EventHandlerSubscription extends SubscriptionBase {
  /**
   * Handles one event. Resolving acknowledges it; throwing makes the bus deliver it again, up to
   * `maxAttempts` times, after which it goes to the topic's dead-letter topic and the partition
   * moves on.
   */
  handle(event: AnyEventEnvelope): Promise<void>;
  handleBatch?: never;
  maxBatchSize?: never;
}

/**
 * A subscription that takes events in batches, for high-volume topics where a handler does one
 * database round trip per batch instead of per event. A batch:
 *
 * - holds 1 to `maxBatchSize` events of one Kafka partition (in-process: of one topic), in the
 *   order they were published; the events of one key are never split across concurrent batches;
 * - is acknowledged as a whole when `handleBatch` resolves;
 * - is delivered again, whole, when it throws, up to `maxAttempts` times. If it still fails, the
 *   bus splits it and delivers its events one at a time (each as a batch of one, with its own
 *   `maxAttempts`), in order; an event that fails alone goes to the dead-letter topic and the
 *   rest go on. So one poison event never takes its batch with it, and an event reaches the
 *   dead-letter topic only after failing on its own, as with `handle`.
 *
 * The handler therefore sees events again after a failure, including ones a failed attempt may
 * already have applied: it de-duplicates by `event.id`, best in the same transaction as its effect.
 */
export interface EventBatchSubscription extends SubscriptionBase {
  handleBatch(events: AnyEventEnvelope[]): Promise<void>;
  /** Most events in one batch (default 1,000). */
  maxBatchSize?: number;
  handle?: never;
}

export type EventSubscription = EventHandlerSubscription | EventBatchSubscription;

export const DEFAULT_MAX_BATCH_SIZE = 1_000;

/** A subscription as `checkSubscription` accepted it, limits filled in. */
export type CheckedSubscription =
  | { kind: 'event'; handle: (event: AnyEventEnvelope) => Promise<void>; maxAttempts: number }
  | { kind: 'batch'; handleBatch: (events: AnyEventEnvelope[]) => Promise<void>; maxAttempts: number; maxBatchSize: number };

/** Checks a subscription the same way in every adapter; returns its handler and limits. */
export function checkSubscription(subscription: EventSubscription, defaultMaxAttempts: number): CheckedSubscription {
  const maxAttempts = subscription.maxAttempts ?? defaultMaxAttempts;
  if (!subscription.group) throw new Error('subscription needs a consumer group');
  if (subscription.topics.length === 0) throw new Error(`subscription of ${subscription.group} names no topic`);
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) {
    throw new RangeError(`maxAttempts must be a positive integer, got ${maxAttempts}`);
  }
  // The types already say "one of the two"; callers in plain JavaScript or with casts get told here.
  const { handle, handleBatch } = subscription as { handle?: unknown; handleBatch?: unknown };
  if ((typeof handle === 'function') === (typeof handleBatch === 'function')) {
    throw new TypeError(`subscription of ${subscription.group} needs exactly one of handle and handleBatch`);
  }
  if (subscription.handle) return { kind: 'event', handle: subscription.handle.bind(subscription), maxAttempts };
  const maxBatchSize = subscription.maxBatchSize ?? DEFAULT_MAX_BATCH_SIZE;
  if (!Number.isInteger(maxBatchSize) || maxBatchSize < 1) {
    throw new RangeError(`maxBatchSize must be a positive integer, got ${maxBatchSize}`);
  }
  return { kind: 'batch', handleBatch: subscription.handleBatch!.bind(subscription), maxAttempts, maxBatchSize };
}

/** What an adapter supplies to `deliverBatch`: how to call the handler, wait, and park an event. */
export interface BatchDeliverySteps<T> {
  /** Calls the handler with these items; resolves with what it threw, or undefined on success. */
  attempt(items: readonly T[]): Promise<unknown>;
  /** Waits before attempt `failed + 1`; false (or a throw) abandons the delivery unacknowledged. */
  pause(failed: number): Promise<boolean>;
  /** Parks one item that failed `attempts` times on its own. */
  deadLetter(item: T, error: unknown, attempts: number): Promise<void>;
}

/**
 * The batch retry policy of `EventBatchSubscription`, shared by every adapter: the whole batch up
 * to `maxAttempts` times, then each item alone up to `maxAttempts` times, dead-lettering the
 * items that still fail. Resolves true once every item is handled or parked (the adapter then
 * acknowledges them all), false when `pause` gave up.
 */
export async function deliverBatch<T>(items: readonly T[], maxAttempts: number, steps: BatchDeliverySteps<T>): Promise<boolean> {
  const whole = await retry(items, maxAttempts, steps);
  if (whole.outcome !== 'failed') return whole.outcome === 'handled';
  if (items.length === 1) {
    await steps.deadLetter(items[0]!, whole.error, maxAttempts);
    return true;
  }
  for (const item of items) {
    const alone = await retry([item], maxAttempts, steps);
    if (alone.outcome === 'abandoned') return false;
    if (alone.outcome === 'failed') await steps.deadLetter(item, alone.error, maxAttempts);
  }
  return true;
}

async function retry<T>(
  items: readonly T[],
  maxAttempts: number,
  steps: BatchDeliverySteps<T>,
): Promise<{ outcome: 'handled' | 'abandoned' } | { outcome: 'failed'; error: unknown }> {
  for (let attempt = 1; ; attempt += 1) {
    const error = await steps.attempt(items);
    if (error === undefined) return { outcome: 'handled' };
    if (attempt >= maxAttempts) return { outcome: 'failed', error };
    if (!(await steps.pause(attempt))) return { outcome: 'abandoned' };
  }
}

export interface SubscriptionHandle {
  /** Stops taking new events and waits for the one (or the batch) in flight to finish. */
  close(): Promise<void>;
}

/** Port: publish domain events and consume them by consumer group. */
export interface EventBus {
  /**
   * Publishes events in the given order. Resolves once the bus has accepted all of them; events
   * with the same key are delivered in publication order.
   */
  publish(events: readonly AnyEventEnvelope[]): Promise<void>;
  /**
   * Joins the consumer group. A new group starts at the latest event, so the promise resolves
   * only once the subscription is live: every event published after that reaches it.
   */
  subscribe(subscription: EventSubscription): Promise<SubscriptionHandle>;
  /** Throws when the bus cannot be reached. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export const EVENT_BUS = Symbol('EventBus');
