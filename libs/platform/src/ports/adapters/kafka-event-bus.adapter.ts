import {
  EVENT_TOPICS,
  TOPICS,
  deadLetterTopicOf,
  parseEvent,
  type AnyEventEnvelope,
} from '@modelyard/contracts';
import kafkajs, {
  type Admin,
  type Consumer,
  type ConsumerGroupJoinEvent,
  type EachBatchPayload,
  type EachMessagePayload,
  type IHeaders,
  type ITopicConfig,
  type KafkaMessage,
  type LogEntry,
  type Producer,
  type RetryOptions,
  type TopicMessages,
} from 'kafkajs';
import type { Logger } from 'pino';
import {
  checkSubscription,
  deliverBatch,
  type CheckedSubscription,
  type EventBus,
  type EventSubscription,
  type SubscriptionHandle,
} from '../event-bus.port.js';
import type { DeadLetter } from './in-process-event-bus.adapter.js';
import { messageOf } from '../../errors/error-message.util.js';

// kafkajs is CommonJS: its classes come off the default export under ESM.
const { Kafka, KafkaJSError, Partitioners, logLevel } = kafkajs;

export interface KafkaEventBusOptions {
  /** `host:port` of the bootstrap brokers. */
  brokers: string[];
  clientId: string;
  /** Receives kafkajs's own warnings and errors, and the bus's; nothing is logged without it. */
  logger?: Logger;
  /** Delay before the second attempt of a failed delivery; doubles per attempt (default 200 ms). */
  retryDelayMs?: number;
  /** Cap on the doubling delay (default 10 s; keep it well under `sessionTimeoutMs`). */
  maxRetryDelayMs?: number;
  /** Replication factor of the topics the bus creates (default 1: the single local broker). */
  replicationFactor?: number;
  /** TCP connect timeout of the publishing side (default 3 s). */
  connectionTimeoutMs?: number;
  /** Request timeout of the publishing side (default 5 s). */
  requestTimeoutMs?: number;
  /** How long `ping()` waits for the cluster to answer (default 5 s). */
  pingTimeoutMs?: number;
  consumer?: KafkaConsumerTuning;
}

/** Consumer timings. The defaults suit a service; tests shorten them to rebalance in well under a second. */
export interface KafkaConsumerTuning {
  /** A member that sends no heartbeat for this long is dropped from its group (default 30 s, broker minimum 6 s). */
  sessionTimeoutMs?: number;
  /** Default 3 s. Also how soon a member notices that another one joined or left. */
  heartbeatIntervalMs?: number;
  /**
   * How long one fetch waits for new messages (default 1 s). kafkajs heartbeats only between
   * fetches and waits for the fetch in flight when it stops, so this bounds both how fast a
   * rebalance starts and how long `close()` takes.
   */
  maxWaitTimeMs?: number;
  /**
   * Partitions handled at once per subscription (default 1). kafkajs still handles one partition's
   * messages one at a time, in order, so raising it keeps the per-key order; it only lets a slow
   * or retrying event stop blocking the other partitions of the same member.
   */
  partitionsConsumedConcurrently?: number;
  /**
   * Fetch sizes of batch subscriptions (`handleBatch`), which exist for throughput. kafkajs fetches,
   * hands the fetched batches to the handlers, and only fetches again once they are all done, so
   * every fetch is a pause in handling: fewer, bigger fetches mean fewer pauses. The broker answers
   * a fetch once it has `batchMinBytes` (or after `maxWaitTimeMs`), with up to
   * `batchMaxBytesPerPartition` per partition and `batchMaxBytes` in all. Defaults: 64 KiB, 4 MiB,
   * 32 MiB (kafkajs's: 1 byte, 1 MiB, 10 MiB, which per-event subscriptions keep).
   */
  batchMinBytes?: number;
  batchMaxBytesPerPartition?: number;
  batchMaxBytes?: number;
  /**
   * Partitions handled at once per batch subscription (default 2): the handler of one partition's
   * batch waits on its database while another's is parsed. Measured with the metrics service's
   * usage consumer: 2 is a third faster than 1, and 3 no faster than 2 (bench/RESULTS.md).
   */
  batchPartitionsConsumedConcurrently?: number;
}

const DEFAULT_MAX_ATTEMPTS = 5;
const DEAD_LETTER_HISTORY = 1_000;
/**
 * Event bytes per produce request. The broker refuses a partition's record batch over its
 * `message.max.bytes` (1 MB by default) with MESSAGE_TOO_LARGE, and a request carries one batch
 * per partition: a publish() of thousands of events is split so that no batch can get near it.
 */
const MAX_REQUEST_BYTES = 512 * 1024;
/** Kafka limits a whole record to `message.max.bytes` (1 MB); a handler's error text must not get near it. */
const MAX_ERROR_HEADER_CHARS = 2_000;
const TOPIC_CREATION_TIMEOUT_MS = 10_000;
const COMMIT_START_TIMEOUT_MS = 5_000;
/** How long subscribe() keeps retrying retriable errors (a broker still loading its coordinator). */
const SUBSCRIBE_RETRY_MS = 30_000;

/**
 * Whether Kafka said "try again": kafkajs marks such errors `retriable`, but once its own retries
 * run out it wraps the last one (in `originalError` or `cause`), so the chain is searched.
 */
function isRetriable(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; current && depth < 5; depth++) {
    if (current instanceof KafkaJSError && current.retriable) return true;
    if (current instanceof Error && /coordinator/i.test(current.message)) return true;
    const next = current as { originalError?: unknown; cause?: unknown };
    current = next.originalError ?? next.cause;
  }
  return false;
}
// Three tries within about a second, each bounded by the connection and request timeouts.
const PUBLISH_RETRY: RetryOptions = { retries: 2, initialRetryTime: 200, maxRetryTime: 1_000 };
// Explicit, because kafkajs picks other defaults when NODE_ENV is `test`.
const CONSUME_RETRY: RetryOptions = { retries: 8, initialRetryTime: 300, maxRetryTime: 10_000 };

// Dead letters of a dead-letter topic are logged and recorded but not forwarded again, so a
// failing dead-letter consumer cannot spawn `x.dead-letter.dead-letter` (as in the in-process bus).
const DEAD_LETTER_TOPICS = new Set(Object.values(EVENT_TOPICS).map((topic) => deadLetterTopicOf(topic)));

/** Header names of the messages the bus writes; consumers of a dead-letter topic read the extra ones. */
export const KAFKA_EVENT_HEADERS = {
  eventId: 'event-id',
  eventType: 'event-type',
  error: 'error',
  attempts: 'attempts',
  sourceTopic: 'source-topic',
  sourcePartition: 'source-partition',
  sourceOffset: 'source-offset',
  group: 'group',
  deadLetteredAt: 'dead-lettered-at',
} as const;

interface Subscription {
  readonly group: string;
  readonly handler: CheckedSubscription;
  readonly maxAttempts: number;
  readonly consumer: Consumer;
  /** Set by close(): no new attempt starts and a retry waiting for its delay gives up. */
  closing: boolean;
  readonly sleepers: Set<() => void>;
  closed?: Promise<void>;
}

interface FailedDelivery {
  topic: string;
  partition: number;
  message: KafkaMessage;
  /** Absent when the message could not be parsed into an event. */
  event?: AnyEventEnvelope;
  error: unknown;
  attempts: number;
}

/**
 * The event bus on Kafka. It keeps the promises of the in-process bus, the Kafka way:
 *
 * - each contracts topic (and its dead-letter topic) is created with its partition count on first
 *   use; an event goes to `EVENT_TOPICS[type]` keyed by `event.key`, so one key stays on one
 *   partition and is handled in publication order;
 * - a subscription is one kafkajs consumer, `groupId` = the subscription's group: members of a
 *   group, in this process or others, split the partitions between them;
 * - a handler that throws gets the event again after a doubling delay, up to `maxAttempts`, while
 *   the partition waits; then the unchanged message goes to the dead-letter topic with headers
 *   saying why, and the partition moves on;
 * - a batch subscription runs on kafkajs's `eachBatch`: each fetched partition batch is cut into
 *   batches of at most `maxBatchSize`, handled in order (see `consumeBatch`);
 * - a group's offset is committed only for events handled or dead-lettered (see `consume`).
 */
export class KafkaEventBus implements EventBus {
  /** Publishing and admin: fails within seconds so that callers (the outbox relay) retry later. */
  private readonly publishing: InstanceType<typeof Kafka>;
  /** Consuming: patient, since a consumer rides out a broker restart instead of giving up. */
  private readonly consuming: InstanceType<typeof Kafka>;
  private readonly logger: Logger | undefined;
  private readonly brokerList: string;
  private readonly retryDelayMs: number;
  private readonly maxRetryDelayMs: number;
  private readonly replicationFactor: number;
  private readonly pingTimeoutMs: number;
  private readonly tuning: Required<KafkaConsumerTuning>;
  private producer?: Promise<Producer>;
  private admin?: Promise<Admin>;
  private topicsReady?: Promise<void>;
  private readonly subscriptions = new Set<Subscription>();
  private readonly recordedDeadLetters: DeadLetter[] = [];
  private closed = false;
  private closing?: Promise<void>;

  constructor(options: KafkaEventBusOptions) {
    if (options.brokers.length === 0) throw new Error('KafkaEventBus needs at least one broker');
    this.logger = options.logger;
    this.brokerList = options.brokers.join(',');
    this.retryDelayMs = options.retryDelayMs ?? 200;
    this.maxRetryDelayMs = options.maxRetryDelayMs ?? 10_000;
    this.replicationFactor = options.replicationFactor ?? 1;
    this.pingTimeoutMs = options.pingTimeoutMs ?? 5_000;
    this.tuning = {
      sessionTimeoutMs: options.consumer?.sessionTimeoutMs ?? 30_000,
      heartbeatIntervalMs: options.consumer?.heartbeatIntervalMs ?? 3_000,
      maxWaitTimeMs: options.consumer?.maxWaitTimeMs ?? 1_000,
      partitionsConsumedConcurrently: options.consumer?.partitionsConsumedConcurrently ?? 1,
      batchMinBytes: options.consumer?.batchMinBytes ?? 64 * 1024,
      batchMaxBytesPerPartition: options.consumer?.batchMaxBytesPerPartition ?? 4 * 1024 * 1024,
      batchMaxBytes: options.consumer?.batchMaxBytes ?? 32 * 1024 * 1024,
      batchPartitionsConsumedConcurrently: options.consumer?.batchPartitionsConsumedConcurrently ?? 2,
    };
    const shared = {
      brokers: options.brokers,
      clientId: options.clientId,
      // kafkajs logs every connection and rebalance at info; the service log wants warnings and up.
      logLevel: this.logger ? logLevel.WARN : logLevel.NOTHING,
      logCreator: () => (entry: LogEntry) => this.forwardLog(entry),
    };
    this.publishing = new Kafka({
      ...shared,
      // kafkajs's defaults retry for about a minute; publish must fail within seconds instead, so
      // the outbox relay keeps the rows and tries again later rather than hanging a request.
      connectionTimeout: options.connectionTimeoutMs ?? 3_000,
      requestTimeout: options.requestTimeoutMs ?? 5_000,
      retry: PUBLISH_RETRY,
    });
    this.consuming = new Kafka({ ...shared, connectionTimeout: 3_000, retry: CONSUME_RETRY });
  }

  async publish(events: readonly AnyEventEnvelope[]): Promise<void> {
    this.assertOpen();
    // Validate the whole batch first: one bad event rejects the call and publishes none of it.
    const accepted = events.map((raw) => parseEvent(raw));
    if (accepted.length === 0) return;
    // Requests of at most MAX_REQUEST_BYTES, each with one entry per topic, events in call order:
    // kafkajs keeps that order within a partition, and the requests go one after the other.
    const requests: Array<Map<string, TopicMessages>> = [];
    let request = new Map<string, TopicMessages>();
    let requestBytes = 0;
    for (const event of accepted) {
      const value = JSON.stringify(event);
      const bytes = Buffer.byteLength(value);
      if (requestBytes > 0 && requestBytes + bytes > MAX_REQUEST_BYTES) {
        requests.push(request);
        request = new Map();
        requestBytes = 0;
      }
      const topic = EVENT_TOPICS[event.type];
      let entry = request.get(topic);
      if (!entry) {
        entry = { topic, messages: [] };
        request.set(topic, entry);
      }
      entry.messages.push({
        key: event.key,
        value,
        headers: { [KAFKA_EVENT_HEADERS.eventId]: event.id, [KAFKA_EVENT_HEADERS.eventType]: event.type },
      });
      requestBytes += bytes;
    }
    requests.push(request);
    try {
      await this.ensureTopics();
      // A failure part-way leaves the earlier requests published: the caller publishes the whole
      // call again, and consumers de-duplicate by id, as after any failed send.
      for (const topicMessages of requests) await this.send([...topicMessages.values()]);
    } catch (error: unknown) {
      throw new Error(`could not publish ${accepted.length} event(s) to Kafka at ${this.brokerList}: ${messageOf(error)}`, {
        cause: error,
      });
    }
  }

  async subscribe(subscription: EventSubscription): Promise<SubscriptionHandle> {
    this.assertOpen();
    const handler = checkSubscription(subscription, DEFAULT_MAX_ATTEMPTS);
    const batched = handler.kind === 'batch';
    const group = subscription.group;
    const topics = [...new Set(subscription.topics)];
    let starts: Map<string, Map<number, string>> | undefined;
    // A broker that has just started answers NOT_COORDINATOR (and the like) until its group
    // coordinator is loaded: retriable errors are retried for a while instead of failing the start.
    const deadline = Date.now() + SUBSCRIBE_RETRY_MS;
    for (let attempt = 0; !starts; attempt++) {
      try {
        await this.ensureTopics();
        starts = await this.startOffsets(group, topics, subscription.startFrom ?? 'latest');
      } catch (error: unknown) {
        if (!isRetriable(error) || Date.now() > deadline) {
          throw new Error(`could not subscribe ${group} on Kafka at ${this.brokerList}: ${messageOf(error)}`, { cause: error });
        }
        await new Promise((resolve) => setTimeout(resolve, Math.min(250 * 2 ** attempt, 2_000)));
      }
    }
    // close() may have run meanwhile; a consumer created now would outlive the bus.
    this.assertOpen();

    const consumer = this.consuming.consumer({
      groupId: group,
      allowAutoTopicCreation: false,
      sessionTimeout: this.tuning.sessionTimeoutMs,
      heartbeatInterval: this.tuning.heartbeatIntervalMs,
      maxWaitTimeInMs: this.tuning.maxWaitTimeMs,
      ...(batched && {
        minBytes: this.tuning.batchMinBytes,
        maxBytesPerPartition: this.tuning.batchMaxBytesPerPartition,
        maxBytes: this.tuning.batchMaxBytes,
      }),
    });
    const sub: Subscription = {
      group,
      handler,
      maxAttempts: handler.maxAttempts,
      consumer,
      closing: false,
      sleepers: new Set(),
    };
    this.subscriptions.add(sub);

    let joined = false;
    let crash: Error | undefined;
    const seeded: Array<{ topic: string; partition: number; offset: string }> = [];
    const stopListening = [
      consumer.on(consumer.events.GROUP_JOIN, (event: ConsumerGroupJoinEvent) => {
        if (joined) return;
        joined = true;
        // Runs synchronously inside the join, before the first fetch: the member starts exactly at
        // the offsets read before it joined, not at whatever is latest when it gets round to it.
        for (const [topic, partitions] of Object.entries(event.payload.memberAssignment)) {
          for (const partition of partitions) {
            const offset = starts.get(topic)?.get(partition);
            if (offset === undefined) continue;
            consumer.seek({ topic, partition, offset });
            seeded.push({ topic, partition, offset });
          }
        }
      }),
      consumer.on(consumer.events.CRASH, (event) => {
        crash = event.payload.error;
      }),
    ];
    try {
      await consumer.connect();
      // Where a new group starts is decided by the seek in GROUP_JOIN above.
      await consumer.subscribe({ topics, fromBeginning: false });
      // run() resolves once the member has joined and synced (or crashed trying).
      await consumer.run({
        autoCommit: true,
        // Besides the commit kafkajs makes after every batch: bounds what a crash replays.
        autoCommitInterval: 1_000,
        ...(batched
          ? {
              partitionsConsumedConcurrently: this.tuning.batchPartitionsConsumedConcurrently,
              // Offsets are resolved batch by batch in consumeBatch, never for events not yet handled.
              eachBatchAutoResolve: false,
              eachBatch: (payload: EachBatchPayload) => this.consumeBatch(sub, payload),
            }
          : {
              partitionsConsumedConcurrently: this.tuning.partitionsConsumedConcurrently,
              eachMessage: (payload: EachMessagePayload) => this.consume(sub, payload),
            }),
      });
      if (!joined) throw crash ?? new Error('the consumer stopped before it joined');
      if (seeded.length > 0) await this.commitStart(sub, seeded);
    } catch (error: unknown) {
      await this.closeSubscription(sub).catch(() => undefined);
      throw new Error(`could not join consumer group ${group} on Kafka at ${this.brokerList}: ${messageOf(error)}`, {
        cause: error,
      });
    } finally {
      for (const stop of stopListening) stop();
    }
    return { close: () => this.closeSubscription(sub) };
  }

  async ping(): Promise<void> {
    this.assertOpen();
    try {
      await withTimeout(
        this.connectedAdmin().then((admin) => admin.describeCluster()),
        this.pingTimeoutMs,
        `no answer within ${this.pingTimeoutMs} ms`,
      );
    } catch (error: unknown) {
      throw new Error(`Kafka at ${this.brokerList} is unreachable: ${messageOf(error)}`, { cause: error });
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.closing ??= (async () => {
      await Promise.allSettled([...this.subscriptions].map((sub) => this.closeSubscription(sub)));
      // After the subscriptions: a delivery finishing during their close may still dead-letter.
      const producer = this.producer;
      const admin = this.admin;
      this.producer = undefined;
      this.admin = undefined;
      await Promise.allSettled([
        producer?.then((connected) => connected.disconnect()),
        admin?.then((connected) => connected.disconnect()),
      ]);
    })();
    await this.closing;
  }

  /** Events this process dead-lettered, oldest first (bounded); unparsable messages are not listed. */
  deadLetters(): readonly DeadLetter[] {
    return [...this.recordedDeadLetters];
  }

  /**
   * Handles one message. kafkajs commits the offset of a message only after this resolves, so:
   * resolving (handled, or parked on the dead-letter topic) lets the offset be committed, and a
   * crash in the middle leaves it uncommitted and the message is delivered again. Retries happen
   * here rather than by throwing to kafkajs, which would retry the whole batch and restart the
   * consumer; the partition waits meanwhile, which keeps the key's order.
   */
  private async consume(sub: Subscription, { topic, partition, message, heartbeat }: EachMessagePayload): Promise<void> {
    const { handler } = sub;
    if (handler.kind !== 'event') throw new Error(`subscription of ${sub.group} takes batches`);
    let event: AnyEventEnvelope;
    try {
      event = decode(message);
    } catch (error: unknown) {
      // Retrying cannot make bytes parse: park the message at once.
      await this.deadLetter(sub, { topic, partition, message, error, attempts: 0 });
      return;
    }
    for (let attempt = 1; ; attempt += 1) {
      let failure: unknown;
      try {
        await handler.handle(structuredClone(event));
        return;
      } catch (error: unknown) {
        failure = error ?? new Error('handler threw a nullish value');
      }
      if (attempt >= sub.maxAttempts) {
        await this.deadLetter(sub, { topic, partition, message, event, error: failure, attempts: attempt });
        return;
      }
      await this.backOff(sub, attempt);
      // kafkajs heartbeats only between messages; a long run of retries must not get the member
      // dropped from its group. A failed heartbeat (a rebalance) is kafkajs's to handle after us.
      await heartbeat().catch(() => undefined);
    }
  }

  /**
   * Handles one fetched partition batch of a batch subscription, cut into batches of at most
   * `maxBatchSize`, in offset order. After each one is handled (or its failures dead-lettered;
   * see `deliverBatch`) its last offset is resolved, so kafkajs commits it, on its interval and
   * when the fetched batch is done: a crash replays at most what was not yet resolved.
   *
   * The first attempt gets the events parsed here; a retry parses the bytes again, so a handler
   * that changed an event cannot see its own change (the per-event path clones for the same
   * reason; cloning every event of every batch would cost more than the rare re-parse).
   * An unparsable message ends the batch before it and is parked at once, in its place.
   */
  private async consumeBatch(sub: Subscription, payload: EachBatchPayload): Promise<void> {
    const { handler } = sub;
    if (handler.kind !== 'batch') throw new Error(`subscription of ${sub.group} takes single events`);
    const { batch, resolveOffset, heartbeat, isRunning, isStale } = payload;
    const { topic, partition } = batch;
    let pending: Array<{ message: KafkaMessage; event: AnyEventEnvelope }> = [];

    /** Hands over what is pending; false when the subscription stopped and nothing more may be handed over. */
    const flush = async (): Promise<boolean> => {
      // Closing, or the partition was sought elsewhere: what is left is delivered again later.
      // Asked per batch, not per message: kafkajs builds a key string for every answer.
      if (!isRunning() || isStale()) return false;
      if (pending.length === 0) return true;
      const items = pending;
      pending = [];
      let firstAttempt = true;
      const handled = await deliverBatch(items, sub.maxAttempts, {
        attempt: async (chosen) => {
          const events = firstAttempt ? chosen.map((item) => item.event) : chosen.map((item) => decode(item.message));
          firstAttempt = false;
          try {
            await handler.handleBatch(events);
            return undefined;
          } catch (error: unknown) {
            return error ?? new Error('handler threw a nullish value');
          }
        },
        pause: async (failed) => {
          await this.backOff(sub, failed);
          // kafkajs heartbeats only between batches; a long run of retries must not get the
          // member dropped. A failed heartbeat (a rebalance) is kafkajs's to handle after us.
          await heartbeat().catch(() => undefined);
          return true;
        },
        deadLetter: ({ message, event }, error, attempts) => this.deadLetter(sub, { topic, partition, message, event, error, attempts }),
      });
      // backOff throws rather than give up, so this holds; kept as the guard it would need.
      if (!handled) return false;
      resolveOffset(items[items.length - 1]!.message.offset);
      // Rebalance news arrives with heartbeats: one thrown here stops this fetched batch (kafkajs
      // commits what was resolved, and the new owner of the partition starts after it).
      await heartbeat();
      return true;
    };

    for (const message of batch.messages) {
      let event: AnyEventEnvelope;
      try {
        event = decode(message);
      } catch (error: unknown) {
        if (!(await flush())) return;
        await this.deadLetter(sub, { topic, partition, message, error, attempts: 0 });
        resolveOffset(message.offset);
        continue;
      }
      pending.push({ message, event });
      if (pending.length >= handler.maxBatchSize && !(await flush())) return;
    }
    await flush();
  }

  private async deadLetter(sub: Subscription, failed: FailedDelivery): Promise<void> {
    const error = messageOf(failed.error);
    const context = {
      group: sub.group,
      topic: failed.topic,
      partition: failed.partition,
      offset: failed.message.offset,
      eventId: failed.event?.id,
      attempts: failed.attempts,
      error,
    };
    if (DEAD_LETTER_TOPICS.has(failed.topic)) {
      this.record(sub, failed, error);
      this.logger?.error(context, 'event failed on its dead-letter topic; skipped');
      return;
    }
    const eventId = failed.event?.id ?? headerText(failed.message.headers?.[KAFKA_EVENT_HEADERS.eventId]) ?? '';
    const headers: IHeaders = {
      ...failed.message.headers,
      [KAFKA_EVENT_HEADERS.eventId]: eventId,
      [KAFKA_EVENT_HEADERS.error]: error.slice(0, MAX_ERROR_HEADER_CHARS),
      [KAFKA_EVENT_HEADERS.attempts]: String(failed.attempts),
      [KAFKA_EVENT_HEADERS.sourceTopic]: failed.topic,
      [KAFKA_EVENT_HEADERS.sourcePartition]: String(failed.partition),
      [KAFKA_EVENT_HEADERS.sourceOffset]: failed.message.offset,
      [KAFKA_EVENT_HEADERS.group]: sub.group,
      [KAFKA_EVENT_HEADERS.deadLetteredAt]: new Date().toISOString(),
    };
    const parked: TopicMessages = {
      topic: deadLetterTopicOf(failed.topic),
      // The original key and bytes: the dead letter lands on the same partition number and can be
      // replayed to the source topic as it was.
      messages: [{ key: failed.message.key, value: failed.message.value, headers }],
    };
    // The offset must not move on before the dead letter is safely written: keep trying until it
    // is, or until close() abandons the delivery (it is then delivered again, and fails again).
    for (let attempt = 1; ; attempt += 1) {
      try {
        await this.send([parked]);
        break;
      } catch (sendError: unknown) {
        this.logger?.warn({ ...context, sendError: messageOf(sendError) }, 'could not write a dead letter; retrying');
        await this.backOff(sub, attempt);
      }
    }
    this.record(sub, failed, error);
    this.logger?.warn(context, 'event dead-lettered');
  }

  private record(sub: Subscription, { topic, event, attempts }: FailedDelivery, error: string): void {
    if (!event) return;
    this.recordedDeadLetters.push({ topic, group: sub.group, event, error, attempts });
    if (this.recordedDeadLetters.length > DEAD_LETTER_HISTORY) this.recordedDeadLetters.shift();
  }

  /** Waits the doubling delay before another try; throws (so nothing is committed) once the subscription closes. */
  private async backOff(sub: Subscription, attempt: number): Promise<void> {
    if (!sub.closing) {
      const delay = Math.min(this.retryDelayMs * 2 ** (attempt - 1), this.maxRetryDelayMs);
      await new Promise<void>((resolve) => {
        const wake = (): void => {
          clearTimeout(timer);
          sub.sleepers.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, delay);
        sub.sleepers.add(wake);
      });
    }
    if (sub.closing) {
      // A KafkaJSError keeps kafkajs from logging it as a handler failure; the runner then stops
      // without resolving this message's offset, so another member (or the next start) gets it.
      throw new KafkaJSError(`subscription of ${sub.group} closed while retrying; the event will be delivered again`, {
        retriable: true,
      });
    }
  }

  /**
   * Where each partition without a committed offset starts: the end of the partition now. A new
   * group is meant to start at the latest event, and kafkajs would look that up itself, but only
   * at its first fetch after the join, so an event published right after subscribe() resolved
   * could fall before that point and be skipped (and it never commits that lookup, so the next
   * member to own the partition looks again, later). Reading the ends before joining, seeking
   * there and committing them (`commitStart`) pins the start: everything published after
   * subscribe() resolved is delivered, to this member or to whichever one owns the partition next.
   */
  private async startOffsets(
    group: string,
    topics: readonly string[],
    startFrom: 'latest' | 'earliest',
  ): Promise<Map<string, Map<number, string>>> {
    const admin = await this.connectedAdmin();
    const committed = await admin.fetchOffsets({ groupId: group, topics: [...topics] });
    const starts = new Map<string, Map<number, string>>();
    for (const { topic, partitions } of committed) {
      const fresh = partitions.filter(({ offset }) => Number(offset) < 0).map(({ partition }) => partition);
      if (fresh.length === 0) continue;
      const ends = await admin.fetchTopicOffsets(topic);
      starts.set(
        topic,
        new Map(
          ends
            .filter(({ partition }) => fresh.includes(partition))
            .map(({ partition, high, low }) => [partition, startFrom === 'earliest' ? low : high]),
        ),
      );
    }
    return starts;
  }

  /**
   * Commits where a new group starts, so the start outlives this member: kafkajs would commit the
   * seek only at its first fetch, and a member closed before that would leave the group without
   * an offset, to start at a later "latest" next time and skip what was published in between.
   */
  private async commitStart(sub: Subscription, seeded: Array<{ topic: string; partition: number; offset: string }>): Promise<void> {
    try {
      await withTimeout(sub.consumer.commitOffsets(seeded), COMMIT_START_TIMEOUT_MS, `no answer within ${COMMIT_START_TIMEOUT_MS} ms`);
    } catch (error: unknown) {
      // A rebalance already under way refuses the commit; the seek still holds for this member
      // and kafkajs commits it at the first fetch.
      this.logger?.warn({ group: sub.group, error: messageOf(error) }, 'could not commit the start offsets of a new consumer group');
    }
  }

  private closeSubscription(sub: Subscription): Promise<void> {
    sub.closed ??= (async () => {
      sub.closing = true;
      for (const wake of [...sub.sleepers]) wake();
      try {
        // Stops fetching, waits for the message in flight, commits, and leaves the group.
        await sub.consumer.disconnect();
      } finally {
        this.subscriptions.delete(sub);
      }
    })();
    return sub.closed;
  }

  /** Sends through the shared idempotent producer; a failed send retires that producer. */
  private async send(topicMessages: TopicMessages[]): Promise<void> {
    const pending = this.connectedProducer();
    try {
      const producer = await pending;
      // acks -1: every in-sync replica has the events before publish() resolves.
      await producer.sendBatch({ topicMessages, acks: -1 });
    } catch (error: unknown) {
      // A send that failed part-way may have been written anyway; the idempotent producer's
      // sequence numbers would then disagree with the broker's. A fresh producer (a new producer
      // id) starts clean, and the retried events are de-duplicated by id downstream.
      if (this.producer === pending) {
        this.producer = undefined;
        void pending.then((producer) => producer.disconnect()).catch(() => undefined);
      }
      throw error;
    }
  }

  private connectedProducer(): Promise<Producer> {
    if (!this.producer) {
      const producer = this.publishing.producer({
        // Idempotence with one request in flight per broker: kafkajs's retries of a send can
        // neither duplicate nor reorder the events of a key.
        idempotent: true,
        maxInFlightRequests: 1,
        allowAutoTopicCreation: false,
        // Java's murmur2 partitioner: a key lands on the same partition whichever client wrote it.
        createPartitioner: Partitioners.DefaultPartitioner,
        retry: PUBLISH_RETRY,
      });
      const connecting = producer.connect().then(() => producer);
      this.producer = connecting;
      connecting.catch(() => {
        if (this.producer === connecting) this.producer = undefined;
      });
    }
    return this.producer;
  }

  private connectedAdmin(): Promise<Admin> {
    if (!this.admin) {
      const admin = this.publishing.admin();
      const connecting = admin.connect().then(() => admin);
      this.admin = connecting;
      connecting.catch(() => {
        if (this.admin === connecting) this.admin = undefined;
      });
    }
    return this.admin;
  }

  /** Creates the contracts topics that are missing, once per bus (brokers do not auto-create them). */
  private ensureTopics(): Promise<void> {
    if (!this.topicsReady) {
      const creating = this.createTopics();
      this.topicsReady = creating;
      creating.catch(() => {
        if (this.topicsReady === creating) this.topicsReady = undefined;
      });
    }
    return this.topicsReady;
  }

  private async createTopics(): Promise<void> {
    const wanted: ITopicConfig[] = Object.values(TOPICS).flatMap(({ name, partitions }) =>
      // The dead-letter topic gets as many partitions, so a dead letter keeps its partition number.
      [name, deadLetterTopicOf(name)].map((topic) => ({
        topic,
        numPartitions: partitions,
        replicationFactor: this.replicationFactor,
      })),
    );
    const admin = await this.connectedAdmin();
    const existing = new Set(await admin.listTopics());
    const missing = wanted.filter(({ topic }) => !existing.has(topic));
    if (missing.length > 0) {
      // Resolves false without waiting for leaders when another process created them first.
      await admin.createTopics({ topics: missing, waitForLeaders: true, timeout: TOPIC_CREATION_TIMEOUT_MS });
    }
    const deadline = Date.now() + TOPIC_CREATION_TIMEOUT_MS;
    for (;;) {
      const { topics } = await admin.fetchTopicMetadata({ topics: wanted.map(({ topic }) => topic) });
      const leaderless = topics.filter(({ partitions }) => partitions.length === 0 || partitions.some(({ leader }) => leader < 0));
      if (leaderless.length === 0) {
        for (const { topic, numPartitions } of wanted) {
          const actual = topics.find(({ name }) => name === topic)?.partitions.length;
          // More partitions would move keys to other partitions and break their order; a person decides.
          if (actual !== numPartitions) this.logger?.warn({ topic, expected: numPartitions, actual }, 'Kafka topic has an unexpected partition count');
        }
        return;
      }
      if (Date.now() >= deadline) throw new Error(`topics without a leader: ${leaderless.map(({ name }) => name).join(', ')}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  private forwardLog({ namespace, level, log }: LogEntry): void {
    if (!this.logger) return;
    const { message, timestamp: _timestamp, logger: _logger, ...extra } = log;
    // Deliberate: retries are capped so publish fails fast, and a failed send replaces the producer.
    if (message.startsWith('Limiting retries for the idempotent producer')) return;
    const fields = { kafkajs: namespace, ...extra };
    // kafkajs logs every error response at error level, routine ones included (a heartbeat during
    // a rebalance, a coordinator still loading) that it handles itself and reports again, at the
    // right level, where they matter (a rejoin, a crash, a failed send).
    if (namespace === 'Connection' && message.startsWith('Response ')) this.logger.debug(fields, message);
    else if (level === logLevel.ERROR) this.logger.error(fields, message);
    else if (level === logLevel.WARN) this.logger.warn(fields, message);
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('event bus is closed');
  }
}

/** The event a message carries; throws when its bytes are not a valid event. */
function decode(message: KafkaMessage): AnyEventEnvelope {
  return parseEvent(JSON.parse(message.value?.toString('utf8') ?? 'null'));
}

function headerText(value: IHeaders[string]): string | undefined {
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined ? undefined : first.toString();
}


async function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
