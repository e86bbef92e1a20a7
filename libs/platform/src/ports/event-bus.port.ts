import type { AnyEventEnvelope } from '@modelyard/contracts';

export interface EventSubscription {
  /** Consumer group: each event reaches one member of each group. */
  group: string;
  topics: readonly string[];
  /**
   * Handles one event. Resolving acknowledges it; throwing makes the bus deliver it again, up to
   * `maxAttempts` times, after which it goes to the topic's dead-letter topic and the partition
   * moves on. Delivery is at least once: handlers de-duplicate by `event.id`.
   */
  handle(event: AnyEventEnvelope): Promise<void>;
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

/** Checks a subscription the same way in every adapter; returns its attempt limit. */
export function checkSubscription(subscription: EventSubscription, defaultMaxAttempts: number): number {
  const maxAttempts = subscription.maxAttempts ?? defaultMaxAttempts;
  if (!subscription.group) throw new Error('subscription needs a consumer group');
  if (subscription.topics.length === 0) throw new Error(`subscription of ${subscription.group} names no topic`);
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) {
    throw new RangeError(`maxAttempts must be a positive integer, got ${maxAttempts}`);
  }
  return maxAttempts;
}

export interface SubscriptionHandle {
  /** Stops taking new events and waits for the one in flight to finish. */
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
