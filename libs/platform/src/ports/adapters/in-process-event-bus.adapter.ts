import { EVENT_TOPICS, deadLetterTopicOf, parseEvent, type AnyEventEnvelope } from '@modelyard/contracts';
import { checkSubscription, type EventBus, type EventSubscription, type SubscriptionHandle } from '../event-bus.port.js';

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
  readonly handle: EventSubscription['handle'];
  readonly maxAttempts: number;
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
  /** Round-robin cursor over the members. */
  turn: number;
  /**
   * One FIFO per topic and key: the in-process stand-in for a Kafka partition. A queue exists
   * while its runner is working through it, which is what serialises the events of one key.
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
    const maxAttempts = checkSubscription(subscription, DEFAULT_MAX_ATTEMPTS);
    const member: Member = {
      group: subscription.group,
      topics: new Set(subscription.topics),
      handle: subscription.handle.bind(subscription),
      maxAttempts,
      open: true,
      inFlight: new Set(),
    };
    let group = this.groups.get(member.group);
    if (!group) {
      group = { name: member.group, members: [], turn: 0, queues: new Map() };
      this.groups.set(group.name, group);
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
      const queueKey = `${topic}\u0000${event.key}`;
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
        try {
          await this.deliver(group, queue[0]);
        } finally {
          queue.shift();
          this.settleOne();
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
    const maxAttempts = member.maxAttempts;
    for (let attempt = 1; ; attempt += 1) {
      const error = await this.invoke(member, event);
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

  /** Calls the handler with a fresh copy; resolves with what it threw, or undefined on success. */
  private invoke(member: Member, event: AnyEventEnvelope): Promise<unknown> {
    const run = (async (): Promise<unknown> => {
      try {
        await member.handle(structuredClone(event));
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

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
