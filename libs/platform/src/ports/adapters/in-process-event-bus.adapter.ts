import { EVENT_TOPICS, deadLetterTopicOf, parseEvent, type AnyEventEnvelope } from '@modelyard/contracts';
import {
  checkSubscription,
  deliverBatch,
  type CheckedSubscription,
  type EventBus,
  type EventSubscription,
  type SubscriptionHandle,
} from '../event-bus.port.js';
import { messageOf } from '../../errors/error-message.util.js';

export interface InProcessEventBusOptions {
  /** Delay before the second attempt of a failed delivery; doubles per attempt (default 10 ms). */
  retryDelayMs?: number;
  /** Cap on the doubling delay (default 1 s). */
  maxRetryDelayMs?: number;
  /** How many dead letters `deadLetters()` remembers, newest kept (default 1,000). */
  deadLetterHistory?: number;
}

/** An event that failed every attempt in one consumer group, as `deadLetters()` reports it. */
export interface DeadLetter {
  /** The topic the event failed on (it was re-published to that topic's dead-letter topic). */
  topic: string;
  group: string;
  event: AnyEventEnvelope;
  /** Message of the error thrown by the last attempt. */
  error: string;
  attempts: number;
}

const DEFAULT_MAX_ATTEMPTS = 5;

// Dead letters of a dead-letter topic are recorded but not forwarded again, so a failing
// dead-letter consumer cannot spawn `x.dead-letter.dead-letter`.
const DEAD_LETTER_TOPICS = new Set(Object.values(EVENT_TOPICS).map((topic) => deadLetterTopicOf(topic)));

interface Member {
  readonly group: string;
  readonly topics: ReadonlySet<string>;
  readonly subscription: CheckedSubscription;
  open: boolean;
  readonly inFlight: Set<Promise<unknown>>;
}

interface Delivery {
  topic: string;
  event: AnyEventEnvelope;
}

interface Group {
  readonly name: string;
  members: Member[];
  /** Whether the members take batches; a group is all one or the other (set by its first member). */
  batch: boolean;
  /** Round-robin cursor over the members. */
  turn: number;
  /**
   * One FIFO per topic and key (batch groups: per topic), the in-process stand-in for a Kafka
   * partition. A queue exists while its runner is working through it, which is what serialises
   * the events of one key.
   */
  readonly queues: Map<string, Delivery[]>;
}

/**
 * The event bus within one process, for the standalone build and tests. It mirrors what the Kafka
 * adapter guarantees, so code that works on it works there:
 *
 * - each consumer group receives every event once per member set; within a group one member
 *   handles each event (members take turns);
 * - events with the same key (on the same topic) are handled one at a time, in publication order;
 *   different keys are handled concurrently;
 * - a handler that throws gets the event again after a doubling delay, up to `maxAttempts`; then
 *   the event is re-published unchanged to the topic's dead-letter topic, recorded in
 *   `deadLetters()`, and the key moves on;
 * - a batch group (`handleBatch`) has one queue per topic instead of per key: a batch is what has
 *   queued on the topic when the previous batch finished (at most `maxBatchSize`), and it is
 *   retried, split and dead-lettered as `deliverBatch` says. Its members all take batches: a
 *   group cannot mix `handle` and `handleBatch` members here;
 * - a group starts at the latest event, like a new Kafka group with `auto.offset.reset=latest`:
 *   events published before it subscribed are not replayed.
 *
 * Nothing is durable: a closed bus forgets what was queued, and so does a group whose last member
 * for a topic leaves (Kafka would keep the group's offset).
 */
export class InProcessEventBus implements EventBus {
  private readonly groups = new Map<string, Group>();
  private readonly retryDelayMs: number;
  private readonly maxRetryDelayMs: number;
  private readonly deadLetterHistory: number;
  private readonly recordedDeadLetters: DeadLetter[] = [];
  /** Deliveries queued or in flight, across all groups; `drain()` waits for zero. */
  private pending = 0;
  private idleWaiters: Array<() => void> = [];
  private readonly sleepers = new Set<() => void>();
  private closed = false;

  constructor(options: InProcessEventBusOptions = {}) {
    this.retryDelayMs = options.retryDelayMs ?? 10;
    this.maxRetryDelayMs = options.maxRetryDelayMs ?? 1_000;
    this.deadLetterHistory = options.deadLetterHistory ?? 1_000;
  }

  async publish(events: readonly AnyEventEnvelope[]): Promise<void> {
    this.assertOpen();
    // Validate the whole batch first: one bad event rejects the call and publishes none of it.
    const accepted = events.map((raw) => {
      const event = parseEvent(raw);
      return { topic: EVENT_TOPICS[event.type], event };
    });
    for (const { topic, event } of accepted) this.route(topic, event);
  }

  async subscribe(subscription: EventSubscription): Promise<SubscriptionHandle> {
    this.assertOpen();
    const member: Member = {
      group: subscription.group,
      topics: new Set(subscription.topics),
      subscription: checkSubscription(subscription, DEFAULT_MAX_ATTEMPTS),
      open: true,
      inFlight: new Set(),
    };
    const batch = member.subscription.kind === 'batch';
    let group = this.groups.get(member.group);
    if (!group) {
      group = { name: member.group, members: [], batch, turn: 0, queues: new Map() };
      this.groups.set(group.name, group);
    }
    if (group.members.length === 0 && group.queues.size === 0) group.batch = batch;
    if (group.batch !== batch) {
      throw new Error(`consumer group ${group.name} takes ${group.batch ? 'batches' : 'single events'}; a member cannot take the other`);
    }
    group.members.push(member);
    const joined = group;
    return { close: () => this.leave(joined, member) };
  }

  async ping(): Promise<void> {
    this.assertOpen();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const members = [...this.groups.values()].flatMap((group) => group.members);
    // Waiting retries wake up, find the bus closed and drop their events.
    for (const wake of this.sleepers) wake();
    await Promise.all(members.map((member) => this.leave(this.groups.get(member.group), member)));
  }

  /** Resolves once no delivery is queued, waiting to be retried or in flight. For tests. */
  async drain(): Promise<void> {
    if (this.pending === 0) return;
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  /** Events that failed every attempt, oldest first (bounded by `deadLetterHistory`). */
  deadLetters(): readonly DeadLetter[] {
    return [...this.recordedDeadLetters];
  }

  private route(topic: string, event: AnyEventEnvelope): void {
    for (const group of this.groups.values()) {
      if (!group.members.some((member) => member.open && member.topics.has(topic))) continue;
      // Each group gets its own copy, as it would from the wire: one group cannot see another's edits.
      const delivery: Delivery = { topic, event: structuredClone(event) };
      const queueKey = group.batch ? topic : `${topic}\u0000${event.key}`;
      this.pending += 1;
      const queue = group.queues.get(queueKey);
      if (queue) {
        queue.push(delivery);
      } else {
        const fresh = [delivery];
        group.queues.set(queueKey, fresh);
        void this.runQueue(group, queueKey, fresh);
      }
    }
  }

  private async runQueue(group: Group, queueKey: string, queue: Delivery[]): Promise<void> {
    // Start on a later macrotask, never within publish(): publishing resolves on acceptance, and
    // the publisher's continuation runs before any handler, as it would with a real broker.
    await new Promise<void>((resolve) => setImmediate(resolve));
    try {
      while (queue.length > 0) {
        // What the delivery took; the queue may grow meanwhile, and later events wait for the next turn.
        let taken = 1;
        try {
          if (group.batch) taken = await this.deliverNextBatch(group, queue);
          else await this.deliver(group, queue[0]!);
        } finally {
          queue.splice(0, taken);
          for (let i = 0; i < taken; i += 1) this.settleOne();
        }
      }
    } finally {
      group.queues.delete(queueKey);
    }
  }

  /** Runs one event through the group until a handler acknowledges it or it is dead-lettered. */
  private async deliver(group: Group, { topic, event }: Delivery): Promise<void> {
    let member = this.pickMember(group, topic);
    if (!member) return;
    const maxAttempts = member.subscription.maxAttempts;
    for (let attempt = 1; ; attempt += 1) {
      const error = await this.invoke(member, [event]);
      if (error === undefined) return;
      if (attempt >= maxAttempts) {
        this.deadLetter({ topic, group: group.name, event, error: messageOf(error), attempts: attempt });
        return;
      }
      await this.sleep(Math.min(this.retryDelayMs * 2 ** (attempt - 1), this.maxRetryDelayMs));
      if (this.closed) return;
      // The member may have left during the delay; another member of the group takes over.
      if (!member.open) member = this.pickMember(group, topic);
      if (!member) return;
    }
  }

  /**
   * Takes up to `maxBatchSize` deliveries from the head of a topic's queue (all of one topic) and
   * runs them through the group as one batch; returns how many it took.
   */
  private async deliverNextBatch(group: Group, queue: readonly Delivery[]): Promise<number> {
    const topic = queue[0]!.topic;
    let member = this.pickMember(group, topic);
    // Nobody left to take them: dropped, as the per-event path drops its events.
    if (!member) return queue.length;
    const taken = queue.slice(0, batchLimitOf(member));
    await deliverBatch(taken, member.subscription.maxAttempts, {
      attempt: (items) => this.invoke(member!, items.map(({ event }) => event)),
      pause: async (failed) => {
        await this.sleep(Math.min(this.retryDelayMs * 2 ** (failed - 1), this.maxRetryDelayMs));
        if (this.closed) return false;
        // The member may have left during the delay; another member of the group takes over.
        if (!member!.open) member = this.pickMember(group, topic);
        return member !== undefined;
      },
      deadLetter: async ({ event }, error, attempts) =>
        this.deadLetter({ topic, group: group.name, event, error: messageOf(error), attempts }),
    });
    return taken.length;
  }

  /**
   * Calls the member's handler with fresh copies (a handler never sees its own edits of an earlier
   * attempt); resolves with what it threw, or undefined on success. A batch member gets the
   * events as one batch, a per-event member gets the single event it is given.
   */
  private invoke(member: Member, events: readonly AnyEventEnvelope[]): Promise<unknown> {
    const subscription = member.subscription;
    const run = (async (): Promise<unknown> => {
      try {
        if (subscription.kind === 'batch') await subscription.handleBatch(structuredClone([...events]));
        else await subscription.handle(structuredClone(events[0]!));
        return undefined;
      } catch (error: unknown) {
        return error ?? new Error('handler threw a nullish value');
      }
    })();
    member.inFlight.add(run);
    void run.finally(() => member.inFlight.delete(run));
    return run;
  }

  private pickMember(group: Group, topic: string): Member | undefined {
    const candidates = group.members.filter((member) => member.open && member.topics.has(topic));
    if (candidates.length === 0) return undefined;
    const member = candidates[group.turn % candidates.length];
    group.turn = (group.turn + 1) % Number.MAX_SAFE_INTEGER;
    return member;
  }

  private deadLetter(letter: DeadLetter): void {
    this.recordedDeadLetters.push(letter);
    if (this.recordedDeadLetters.length > this.deadLetterHistory) this.recordedDeadLetters.shift();
    // Routed before the failed delivery settles, so `pending` never touches zero in between.
    if (!DEAD_LETTER_TOPICS.has(letter.topic)) this.route(deadLetterTopicOf(letter.topic), letter.event);
  }

  private async leave(group: Group | undefined, member: Member): Promise<void> {
    if (member.open) {
      member.open = false;
      if (group) group.members = group.members.filter((other) => other !== member);
    }
    // No new attempt starts on a closed member, so this set only shrinks.
    while (member.inFlight.size > 0) await Promise.allSettled([...member.inFlight]);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        this.sleepers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.sleepers.add(wake);
    });
  }

  private settleOne(): void {
    this.pending -= 1;
    if (this.pending > 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('event bus is closed');
  }
}

/** A group's members all take batches (see subscribe), so this is always a batch limit. */
function batchLimitOf(member: Member): number {
  return member.subscription.kind === 'batch' ? member.subscription.maxBatchSize : 1;
}

