import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import kafkajs, { type Admin, type KafkaMessage } from 'kafkajs';
import { EVENT_TOPICS, TOPICS, deadLetterTopicOf, type AnyEventEnvelope, type EventEnvelope } from '@modelyard/contracts';
import { KafkaEventBus, type KafkaEventBusOptions } from '@modelyard/platform';
import { deferred, describeEventBusContract, waitFor } from './index.js';

const brokers = (process.env.MODELYARD_KAFKA_BROKERS ?? '')
  .split(',')
  .map((broker) => broker.trim())
  .filter(Boolean);
if (brokers.length === 0) {
  throw new Error(
    'MODELYARD_KAFKA_BROKERS is not set: run the integration tests through `npm test`, which starts Kafka ' +
      '(or start it with `bash deploy/local/infra.sh up kafka` and `eval "$(bash deploy/local/infra.sh env)"`)',
  );
}

// Short timings so groups rebalance and retries finish in well under a second; the defaults
// (30 s sessions, 3 s heartbeats) suit services, not a test suite.
const TEST_TIMINGS: Omit<KafkaEventBusOptions, 'brokers' | 'clientId'> = {
  retryDelayMs: 20,
  maxRetryDelayMs: 100,
  consumer: { sessionTimeoutMs: 6_000, heartbeatIntervalMs: 300, maxWaitTimeMs: 200 },
};
const newBus = (label: string): KafkaEventBus =>
  new KafkaEventBus({ brokers, clientId: `modelyard-test-${label}`, ...TEST_TIMINGS });

describeEventBusContract('KafkaEventBus', async () => {
  const bus = newBus('contract');
  return { bus, cleanup: () => bus.close() };
});

const TOPIC = EVENT_TOPICS['model.deleted'];
const DEAD_LETTER_TOPIC = deadLetterTopicOf(TOPIC);
/** Kafka hands over partitions on a heartbeat, so a rebalance takes a moment more than a delivery. */
const REBALANCE_MS = 15_000;

function modelDeleted(key: string, seq = 0): EventEnvelope<'model.deleted'> {
  return {
    id: randomUUID(),
    type: 'model.deleted',
    key,
    occurred_at: new Date().toISOString(),
    payload: { actor: 'kafka-test', model_id: key, name: 'kafka', version: String(seq) },
  };
}

const header = (message: KafkaMessage, name: string): string | undefined => message.headers?.[name]?.toString();

describe('KafkaEventBus on a real broker', () => {
  const raw = new kafkajs.Kafka({ brokers, clientId: 'modelyard-test-raw', logLevel: kafkajs.logLevel.NOTHING });
  const run = randomUUID().slice(0, 8);
  const groupName = (label: string): string => `kafka-${label}-${run}-${randomUUID().slice(0, 8)}`;
  let admin: Admin;
  let buses: KafkaEventBus[];

  const bus = (label: string): KafkaEventBus => {
    const created = newBus(label);
    buses.push(created);
    return created;
  };

  /** Events still to be handled by a group: the sum over partitions of end minus committed offset. */
  async function lagOf(group: string): Promise<number> {
    const ends = await admin.fetchTopicOffsets(TOPIC);
    const [committed] = await admin.fetchOffsets({ groupId: group, topics: [TOPIC] });
    return ends.reduce((lag, { partition, high }) => {
      const offset = Number(committed.partitions.find((entry) => entry.partition === partition)?.offset ?? -1);
      // No committed offset at all would mean the group never pinned its start.
      return lag + (offset < 0 ? Number.POSITIVE_INFINITY : Number(high) - offset);
    }, 0);
  }

  /** Reads the dead-letter topic from its start until `count` messages match. */
  async function readDeadLetters(matches: (message: KafkaMessage) => boolean, count: number): Promise<KafkaMessage[]> {
    const found: KafkaMessage[] = [];
    const consumer = raw.consumer({ groupId: groupName('dlt-reader'), maxWaitTimeInMs: 200 });
    try {
      await consumer.connect();
      await consumer.subscribe({ topics: [DEAD_LETTER_TOPIC], fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ message }) => {
          if (matches(message)) found.push(message);
        },
      });
      await waitFor(() => found.length >= count, { timeoutMs: REBALANCE_MS, description: `${count} dead letter(s)` });
      return found;
    } finally {
      await consumer.disconnect();
    }
  }

  beforeAll(async () => {
    admin = raw.admin();
    await admin.connect();
  });

  afterAll(async () => {
    await admin.disconnect();
  });

  beforeEach(() => {
    buses = [];
  });

  afterEach(async () => {
    await Promise.allSettled(buses.map((created) => created.close()));
  });

  it('creates every contracts topic and its dead-letter topic with the partition count from TOPICS', async () => {
    await bus('topics').publish([modelDeleted(randomUUID())]);

    const wanted = Object.values(TOPICS).flatMap(({ name, partitions }) => [
      { name, partitions },
      { name: deadLetterTopicOf(name), partitions },
    ]);
    const { topics } = await admin.fetchTopicMetadata({ topics: wanted.map(({ name }) => name) });
    const actual = topics.map(({ name, partitions }) => ({ name, partitions: partitions.length }));
    expect(actual).toEqual(expect.arrayContaining(wanted));
    expect(actual).toHaveLength(wanted.length);
  });

  it('shares a group between two bus instances and hands all partitions to the survivor when one leaves', async () => {
    const group = groupName('shared');
    const [first, second] = [bus('process-a'), bus('process-b')];
    const keys = new Set<string>();
    const received = { first: [] as string[], second: [] as string[] };
    const handler = (into: string[]) => async (event: AnyEventEnvelope) => {
      if (keys.has(event.key)) into.push(event.id);
    };
    const firstHandle = await first.subscribe({ group, topics: [TOPIC], handle: handler(received.first) });
    await second.subscribe({ group, topics: [TOPIC], handle: handler(received.second) });
    // 30 keys over 6 partitions: each member owns 3 partitions, and all 6 get some key.
    const batch = (): AnyEventEnvelope[] =>
      Array.from({ length: 30 }, () => {
        const key = randomUUID();
        keys.add(key);
        return modelDeleted(key);
      });
    const before = batch();

    await first.publish(before);

    await waitFor(() => received.first.length + received.second.length >= before.length, {
      description: 'the group to handle the first batch',
    });
    expect(received.first.length).toBeGreaterThan(0);
    expect(received.second.length).toBeGreaterThan(0);
    expect([...received.first, ...received.second].sort()).toEqual(before.map((event) => event.id).sort());

    await firstHandle.close();
    const after = batch();
    await second.publish(after);

    const afterIds = new Set(after.map((event) => event.id));
    await waitFor(() => received.second.filter((id) => afterIds.has(id)).length >= after.length, {
      timeoutMs: REBALANCE_MS,
      description: 'the remaining member to take over every partition',
    });
    expect(received.first.filter((id) => afterIds.has(id))).toEqual([]);
  });

  it('commits a group’s offset only once the handler has finished', async () => {
    const key = randomUUID();
    const group = groupName('commit');
    const release = deferred();
    let started = false;
    let handled = false;
    const subject = bus('commit');
    await subject.subscribe({
      group,
      topics: [TOPIC],
      handle: async (event) => {
        if (event.key !== key) return;
        started = true;
        await release.promise;
        handled = true;
      },
    });

    await subject.publish([modelDeleted(key)]);
    await waitFor(() => started, { description: 'the handler to start' });

    // The handler is in flight: the event is still owed, so a crash now would deliver it again.
    expect(await lagOf(group)).toBe(1);
    release.resolve();
    await waitFor(() => handled, { description: 'the handler to finish' });
    await waitFor(async () => (await lagOf(group)) === 0, { description: 'the offset to be committed' });
  });

  it('publishes a call bigger than the broker’s largest message, in several requests, keeping each key’s order', async () => {
    const keys = [randomUUID(), randomUUID()];
    const perKey = 6_000;
    const seen = new Map<string, number[]>(keys.map((key) => [key, []]));
    const subject = bus('big-publish');
    await subject.subscribe({
      group: groupName('big-publish'),
      topics: [TOPIC],
      handleBatch: async (events) => {
        for (const event of events) seen.get(event.key)?.push(Number(event.type === 'model.deleted' ? event.payload.version : NaN));
      },
    });
    // 12,000 events of ~230 bytes: each key alone (one partition) has ~1.4 MB, past the broker's 1 MB.
    const events = Array.from({ length: perKey }, (_, seq) => keys.map((key) => modelDeleted(key, seq))).flat();

    await subject.publish(events);

    await waitFor(() => [...seen.values()].every((seqs) => seqs.length >= perKey), { timeoutMs: REBALANCE_MS, description: 'all 12,000 events' });
    const expected = Array.from({ length: perKey }, (_, seq) => seq);
    for (const key of keys) expect(seen.get(key)).toEqual(expected);
  });

  it('commits a batch subscription’s offset only once its batch handler has finished', async () => {
    const key = randomUUID();
    const group = groupName('batch-commit');
    const release = deferred();
    let started = false;
    let handled = false;
    const subject = bus('batch-commit');
    await subject.subscribe({
      group,
      topics: [TOPIC],
      handleBatch: async (events) => {
        if (!events.some((event) => event.key === key)) return;
        started = true;
        await release.promise;
        handled = true;
      },
    });

    await subject.publish([modelDeleted(key, 0), modelDeleted(key, 1)]);
    await waitFor(() => started, { description: 'the batch handler to start' });

    expect(await lagOf(group)).toBe(2);
    release.resolve();
    await waitFor(() => handled, { description: 'the batch handler to finish' });
    await waitFor(async () => (await lagOf(group)) === 0, { description: 'the offsets to be committed' });
  });

  it('parks an unparsable message met inside a batch at once, and hands over the events on either side of it in order', async () => {
    const key = randomUUID();
    const group = groupName('batch-garbage');
    const calls: string[][] = [];
    const subject = bus('batch-garbage');
    await subject.subscribe({
      group,
      topics: [TOPIC],
      handleBatch: async (events) => {
        const mine = events.filter((event) => event.key === key);
        if (mine.length > 0) calls.push(mine.map((event) => (event.type === 'model.deleted' ? event.payload.version : event.type)));
      },
    });
    const [before, after] = [modelDeleted(key, 0), modelDeleted(key, 1)];
    const producer = raw.producer({ allowAutoTopicCreation: false, createPartitioner: kafkajs.Partitioners.DefaultPartitioner });
    await producer.connect();
    try {
      // One request, one key: the three land together on one partition, as one fetched batch.
      await producer.send({
        topic: TOPIC,
        messages: [
          { key, value: JSON.stringify(before) },
          { key, value: '{"not": "an event"}', headers: { 'event-id': 'garbage-in-batch' } },
          { key, value: JSON.stringify(after) },
        ],
      });
    } finally {
      await producer.disconnect();
    }

    const [letter] = await readDeadLetters((message) => header(message, 'group') === group, 1);

    expect(letter && header(letter, 'event-id')).toBe('garbage-in-batch');
    expect(letter && header(letter, 'attempts')).toBe('0');
    await waitFor(() => calls.flat().length >= 2, { description: 'both events to be handled' });
    expect(calls).toEqual([['0'], ['1']]);
    await waitFor(async () => (await lagOf(group)) === 0, { description: 'the offsets to be committed' });
  });

  it('delivers to a group what was published while it had no member: the group keeps its offset', async () => {
    const key = randomUUID();
    const group = groupName('durable');
    const received: string[] = [];
    const subject = bus('durable');
    const subscribe = () =>
      subject.subscribe({
        group,
        topics: [TOPIC],
        handle: async (event) => {
          if (event.key === key) received.push(event.id);
        },
      });
    const handle = await subscribe();
    await handle.close();
    const missed = modelDeleted(key);

    await subject.publish([missed]);
    await subscribe();

    await waitFor(() => received.length >= 1, { description: 'the event published while the group was empty' });
    expect(received).toEqual([missed.id]);
  });

  it('parks a poison event and an unparsable message on the dead-letter topic with headers saying why', async () => {
    const group = groupName('dlt');
    const poison = modelDeleted(randomUUID());
    const garbageKey = randomUUID();
    const subject = bus('dlt');
    await subject.subscribe({
      group,
      topics: [TOPIC],
      maxAttempts: 2,
      handle: async (event) => {
        if (event.id === poison.id) throw new Error(`cannot handle ${event.id}`);
      },
    });
    const producer = raw.producer({ allowAutoTopicCreation: false, createPartitioner: kafkajs.Partitioners.DefaultPartitioner });
    await producer.connect();
    try {
      await producer.send({
        topic: TOPIC,
        messages: [{ key: garbageKey, value: 'not json', headers: { 'event-id': 'garbage' } }],
      });
    } finally {
      await producer.disconnect();
    }
    await subject.publish([poison]);

    const letters = await readDeadLetters((message) => header(message, 'group') === group, 2);

    const poisonLetter = letters.find((message) => header(message, 'event-id') === poison.id);
    expect(poisonLetter?.key?.toString()).toBe(poison.key);
    expect(JSON.parse(poisonLetter?.value?.toString() ?? 'null')).toEqual(poison);
    expect(poisonLetter && header(poisonLetter, 'error')).toBe(`cannot handle ${poison.id}`);
    expect(poisonLetter && header(poisonLetter, 'attempts')).toBe('2');
    expect(poisonLetter && header(poisonLetter, 'source-topic')).toBe(TOPIC);
    expect(poisonLetter && header(poisonLetter, 'event-type')).toBe('model.deleted');
    expect(poisonLetter && Number(header(poisonLetter, 'source-partition'))).toBeGreaterThanOrEqual(0);
    const garbageLetter = letters.find((message) => message.key?.toString() === garbageKey);
    expect(garbageLetter?.value?.toString()).toBe('not json');
    expect(garbageLetter && header(garbageLetter, 'event-id')).toBe('garbage');
    // Retrying cannot make bytes parse, so an unparsable message is parked without an attempt.
    expect(garbageLetter && header(garbageLetter, 'attempts')).toBe('0');
    expect(garbageLetter && header(garbageLetter, 'error')).toMatch(/JSON/);
    expect(subject.deadLetters()).toEqual([
      { topic: TOPIC, group, event: poison, error: `cannot handle ${poison.id}`, attempts: 2 },
    ]);
  });

  it('rejects publish and ping within seconds, saying so, when no broker answers', async () => {
    const unreachable = new KafkaEventBus({ brokers: ['127.0.0.1:1'], clientId: 'modelyard-test-unreachable' });
    buses.push(unreachable);
    const startedAt = Date.now();

    await expect(unreachable.publish([modelDeleted(randomUUID())])).rejects.toThrow(
      /could not publish 1 event\(s\) to Kafka at 127\.0\.0\.1:1/,
    );
    expect(Date.now() - startedAt).toBeLessThan(10_000);
    await expect(unreachable.ping()).rejects.toThrow(/Kafka at 127\.0\.0\.1:1 is unreachable/);
    expect(Date.now() - startedAt).toBeLessThan(20_000);
  });
});
