import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import {
  EVENT_TOPICS,
  InvalidEventError,
  deadLetterTopicOf,
  type AnyEventEnvelope,
  type EventEnvelope,
} from '@modelyard/contracts';
import type { EventBatchSubscription, EventBus, EventHandlerSubscription, SubscriptionHandle } from '@modelyard/platform';
import { deferred, sleep, track, waitFor } from '../wait-for.util.js';

export interface EventBusContractContext {
  bus: EventBus;
  /** Closes the bus and removes whatever the factory created. */
  cleanup(): Promise<void>;
  /**
   * Resolves once nothing is left to deliver. Adapters that cannot tell leave it out and the suite
   * waits a fixed quiet period instead before asserting that something did NOT happen.
   */
  settle?(): Promise<void>;
}

/** Quiet period used when the adapter has no `settle`; generous for a local broker. */
const QUIET_MS = 500;
const TEST_TIMEOUT_MS = 30_000;

const TOPIC = EVENT_TOPICS['model.deleted'];
const DEAD_LETTER_TOPIC = deadLetterTopicOf(TOPIC);

/** A valid event whose `version` carries a sequence number, so tests can check order. */
function modelDeleted(key: string, seq: number): EventEnvelope<'model.deleted'> {
  return {
    id: randomUUID(),
    type: 'model.deleted',
    key,
    occurred_at: new Date().toISOString(),
    payload: { actor: 'contract-test', model_id: key, name: 'contract-model', version: String(seq) },
  };
}

const seqOf = (event: AnyEventEnvelope): number =>
  event.type === 'model.deleted' ? Number(event.payload.version) : Number.NaN;

type WithDefaultTopic<S> = Omit<S, 'topics'> & { topics?: readonly string[] };

/**
 * The behaviour every EventBus adapter must show. The topic is shared by everything that uses the
 * bus (the port routes by event type), so each test uses fresh groups and fresh keys and its
 * handlers ignore events with keys they did not publish: the suite passes on a broker with
 * leftovers or with other suites running beside it.
 */
export function describeEventBusContract(name: string, factory: () => Promise<EventBusContractContext>): void {
  describe(`EventBus contract: ${name}`, () => {
    // Broker-backed adapters need seconds where the in-process ones need milliseconds (a Kafka
    // group join, a BullMQ delayed-job sweep): more than Jest's default 5 s per test.
    const contractTest = (title: string, fn: () => Promise<void>): void => it(title, fn, TEST_TIMEOUT_MS);
    let context: EventBusContractContext;
    let bus: EventBus;
    let handles: SubscriptionHandle[];
    const run = randomUUID().slice(0, 8);

    beforeEach(async () => {
      context = await factory();
      bus = context.bus;
      handles = [];
    }, TEST_TIMEOUT_MS);

    afterEach(async () => {
      await Promise.allSettled(handles.map((handle) => handle.close()));
      await context.cleanup();
    }, TEST_TIMEOUT_MS);

    const groupName = (label: string): string => `contract-${label}-${run}-${randomUUID().slice(0, 8)}`;
    const settle = async (): Promise<void> => (context.settle ? context.settle() : sleep(QUIET_MS));

    /** Subscribes a handler that only sees this test's keys. */
    async function subscribe(
      keys: ReadonlySet<string>,
      subscription: WithDefaultTopic<EventHandlerSubscription>,
    ): Promise<SubscriptionHandle> {
      const handle = await bus.subscribe({
        topics: [TOPIC],
        ...subscription,
        handle: async (event) => {
          if (keys.has(event.key)) await subscription.handle(event);
        },
      });
      handles.push(handle);
      return handle;
    }

    /** Subscribes a batch handler that only sees this test's keys (and is not called for a batch of others'). */
    async function subscribeBatch(
      keys: ReadonlySet<string>,
      subscription: WithDefaultTopic<EventBatchSubscription>,
    ): Promise<SubscriptionHandle> {
      const handle = await bus.subscribe({
        topics: [TOPIC],
        ...subscription,
        handleBatch: async (events) => {
          const mine = events.filter((event) => keys.has(event.key));
          if (mine.length > 0) await subscription.handleBatch(mine);
        },
      });
      handles.push(handle);
      return handle;
    }

    contractTest('answers ping while open', async () => {
      await expect(bus.ping()).resolves.toBeUndefined();
    });

    contractTest('delivers every event to every consumer group', async () => {
      const keys = new Set([randomUUID(), randomUUID(), randomUUID()]);
      const seen = { a: [] as string[], b: [] as string[] };
      await subscribe(keys, { group: groupName('all-a'), handle: async (event) => void seen.a.push(event.id) });
      await subscribe(keys, { group: groupName('all-b'), handle: async (event) => void seen.b.push(event.id) });
      const events = [...keys].flatMap((key) => [0, 1, 2].map((seq) => modelDeleted(key, seq)));

      await bus.publish(events);

      const ids = events.map((event) => event.id).sort();
      await waitFor(() => seen.a.length >= ids.length && seen.b.length >= ids.length, {
        description: 'both groups to receive all events',
      });
      await settle();
      expect([...seen.a].sort()).toEqual(ids);
      expect([...seen.b].sort()).toEqual(ids);
    });

    contractTest('gives each event to one member of a group', async () => {
      const keys = new Set(Array.from({ length: 10 }, () => randomUUID()));
      const group = groupName('shared');
      const byMember: string[][] = [[], []];
      for (const received of byMember) {
        await subscribe(keys, { group, handle: async (event) => void received.push(event.id) });
      }
      const events = [...keys].flatMap((key) => [modelDeleted(key, 0), modelDeleted(key, 1)]);

      await bus.publish(events);

      await waitFor(() => byMember[0].length + byMember[1].length >= events.length, {
        description: 'the group to receive all events',
      });
      await settle();
      const all = [...byMember[0], ...byMember[1]].sort();
      expect(all).toEqual(events.map((event) => event.id).sort());
    });

    contractTest('handles the events of one key one at a time, in publication order', async () => {
      const keys = Array.from({ length: 5 }, () => randomUUID());
      const perKey = 10;
      const order = new Map<string, number[]>(keys.map((key) => [key, []]));
      const inFlight = new Map<string, number>();
      const overlaps: string[] = [];
      const handle = async (event: AnyEventEnvelope): Promise<void> => {
        const now = (inFlight.get(event.key) ?? 0) + 1;
        inFlight.set(event.key, now);
        if (now > 1) overlaps.push(event.key);
        // Uneven handling times give a bus that reorders or overlaps the chance to show it.
        await sleep(seqOf(event) % 3);
        order.get(event.key)?.push(seqOf(event));
        inFlight.set(event.key, (inFlight.get(event.key) ?? 1) - 1);
      };
      const group = groupName('order');
      await subscribe(new Set(keys), { group, handle });
      await subscribe(new Set(keys), { group, handle });

      for (let seq = 0; seq < perKey; seq += 1) {
        await bus.publish(keys.map((key) => modelDeleted(key, seq)));
      }

      await waitFor(() => [...order.values()].every((seqs) => seqs.length >= perKey), {
        description: `${keys.length * perKey} events to be handled`,
      });
      const expected = Array.from({ length: perKey }, (_, seq) => seq);
      for (const key of keys) expect(order.get(key)).toEqual(expected);
      expect(overlaps).toEqual([]);
    });

    contractTest('rejects a batch holding an invalid event and delivers none of it', async () => {
      const key = randomUUID();
      const received: string[] = [];
      await subscribe(new Set([key]), { group: groupName('invalid'), handle: async (event) => void received.push(event.id) });
      const before = modelDeleted(key, 0);
      const badId = { ...modelDeleted(key, 1), id: 'not-a-uuid' };
      const badPayload = { ...modelDeleted(key, 2), payload: { model_id: 42 } } as unknown as AnyEventEnvelope;

      await expect(bus.publish([before, badId])).rejects.toThrow(InvalidEventError);
      await expect(bus.publish([badPayload])).rejects.toThrow(InvalidEventError);
      // Same key, so published later means delivered later: once the marker is in, `before` would be too.
      const marker = modelDeleted(key, 3);
      await bus.publish([marker]);

      await waitFor(() => received.includes(marker.id), { description: 'the marker event' });
      expect(received).toEqual([marker.id]);
    });

    contractTest('delivers a failed event again and acknowledges it once the handler succeeds', async () => {
      const key = randomUUID();
      const keys = new Set([key]);
      let attempts = 0;
      let handled = false;
      const deadLettered: string[] = [];
      await subscribe(keys, {
        group: groupName('retry-dlq'),
        topics: [DEAD_LETTER_TOPIC],
        handle: async (event) => void deadLettered.push(event.id),
      });
      await subscribe(keys, {
        group: groupName('retry'),
        maxAttempts: 5,
        handle: async () => {
          attempts += 1;
          if (attempts < 3) throw new Error(`transient failure ${attempts}`);
          handled = true;
        },
      });

      await bus.publish([modelDeleted(key, 0)]);

      await waitFor(() => handled, { description: 'the third attempt to succeed' });
      await settle();
      expect(attempts).toBe(3);
      expect(deadLettered).toEqual([]);
    });

    contractTest('parks a poison event on the dead-letter topic after maxAttempts and moves on to later events of its key', async () => {
      const key = randomUUID();
      const keys = new Set([key]);
      const poison = modelDeleted(key, 0);
      const later = [modelDeleted(key, 1), modelDeleted(key, 2)];
      const log: string[] = [];
      const deadLettered: AnyEventEnvelope[] = [];
      await subscribe(keys, {
        group: groupName('poison-dlq'),
        topics: [DEAD_LETTER_TOPIC],
        handle: async (event) => void deadLettered.push(event),
      });
      await subscribe(keys, {
        group: groupName('poison'),
        maxAttempts: 3,
        handle: async (event) => {
          log.push(`${seqOf(event)}`);
          if (event.id === poison.id) throw new Error('cannot handle this one');
        },
      });

      await bus.publish([poison, ...later]);

      await waitFor(() => deadLettered.length >= 1 && log.length >= 5, {
        description: 'the poison event to be dead-lettered and the later ones handled',
      });
      await settle();
      expect(log).toEqual(['0', '0', '0', '1', '2']);
      expect(deadLettered).toHaveLength(1);
      expect(deadLettered[0]).toEqual(poison);
    });

    contractTest('redelivers after a failure, so a handler that de-duplicates by event id applies each event once', async () => {
      const key = randomUUID();
      const events = [modelDeleted(key, 0), modelDeleted(key, 1)];
      const deliveries = new Map<string, number>();
      const appliedIds = new Set<string>();
      const applied: string[] = [];
      await subscribe(new Set([key]), {
        group: groupName('dedupe'),
        maxAttempts: 3,
        handle: async (event) => {
          deliveries.set(event.id, (deliveries.get(event.id) ?? 0) + 1);
          if (appliedIds.has(event.id)) return;
          appliedIds.add(event.id);
          applied.push(event.id);
          // The side effect happened but the acknowledgement is lost, as when a consumer crashes.
          if (event.id === events[0].id) throw new Error('crashed after applying');
        },
      });

      await bus.publish(events);

      await waitFor(() => deliveries.has(events[1].id), { description: 'the second event' });
      await settle();
      expect(deliveries.get(events[0].id)).toBe(2);
      expect(applied).toEqual(events.map((event) => event.id));
    });

    contractTest('close() of a subscription waits for the handler in flight, then delivers nothing more to it', async () => {
      const key = randomUUID();
      const keys = new Set([key]);
      const release = deferred();
      const started = deferred();
      const log: string[] = [];
      const witnessed: string[] = [];
      await subscribe(keys, { group: groupName('close-witness'), handle: async (event) => void witnessed.push(event.id) });
      const handle = await subscribe(keys, {
        group: groupName('close'),
        handle: async (event) => {
          log.push(`start ${seqOf(event)}`);
          started.resolve();
          await release.promise;
          log.push(`end ${seqOf(event)}`);
        },
      });
      const first = modelDeleted(key, 0);
      await bus.publish([first]);
      await started.promise;

      const closing = track(handle.close());
      await sleep(50);
      expect(closing.settled).toBe(false);
      release.resolve();
      await closing.promise;
      log.push('closed');
      expect(log).toEqual(['start 0', 'end 0', 'closed']);

      const second = modelDeleted(key, 1);
      await bus.publish([second]);
      await waitFor(() => witnessed.includes(second.id), { description: 'the witness group to get the second event' });
      await settle();
      expect(log).toEqual(['start 0', 'end 0', 'closed']);
    });

    contractTest('delivers every event once to a batch subscription, a key’s events in order, in batches of at most maxBatchSize', async () => {
      const keys = Array.from({ length: 5 }, () => randomUUID());
      const perKey = 20;
      const batches: AnyEventEnvelope[][] = [];
      const inFlight = new Map<string, number>();
      const overlaps: string[] = [];
      const handleBatch = async (events: AnyEventEnvelope[]): Promise<void> => {
        const batchKeys = new Set(events.map((event) => event.key));
        for (const key of batchKeys) {
          const now = (inFlight.get(key) ?? 0) + 1;
          inFlight.set(key, now);
          if (now > 1) overlaps.push(key);
        }
        // Uneven handling times give a bus that reorders or overlaps the chance to show it.
        await sleep(events.length % 3);
        batches.push(events);
        for (const key of batchKeys) inFlight.set(key, (inFlight.get(key) ?? 1) - 1);
      };
      const group = groupName('batch');
      await subscribeBatch(new Set(keys), { group, maxBatchSize: 7, handleBatch });
      await subscribeBatch(new Set(keys), { group, maxBatchSize: 7, handleBatch });
      const events = Array.from({ length: perKey }, (_, seq) => keys.map((key) => modelDeleted(key, seq))).flat();

      await bus.publish(events);

      await waitFor(() => batches.flat().length >= events.length, { description: `${events.length} events in batches` });
      await settle();
      const received = batches.flat();
      expect(received.map((event) => event.id).sort()).toEqual(events.map((event) => event.id).sort());
      expect(Math.max(...batches.map((batch) => batch.length))).toBeLessThanOrEqual(7);
      // Published in one call, so they queue up together: a bus that only ever hands over one is not batching.
      expect(Math.max(...batches.map((batch) => batch.length))).toBeGreaterThan(1);
      const expected = Array.from({ length: perKey }, (_, seq) => seq);
      for (const key of keys) expect(received.filter((event) => event.key === key).map(seqOf)).toEqual(expected);
      expect(overlaps).toEqual([]);
    });

    contractTest('delivers a failed batch again, whole, and acknowledges it once the handler succeeds', async () => {
      const key = randomUUID();
      const keys = new Set([key]);
      const attempts: number[][] = [];
      const deadLettered: string[] = [];
      await subscribe(keys, {
        group: groupName('batch-retry-dlq'),
        topics: [DEAD_LETTER_TOPIC],
        handle: async (event) => void deadLettered.push(event.id),
      });
      await subscribeBatch(keys, {
        group: groupName('batch-retry'),
        maxAttempts: 5,
        handleBatch: async (events) => {
          attempts.push(events.map(seqOf));
          if (attempts.length < 3) throw new Error(`transient failure ${attempts.length}`);
        },
      });

      await bus.publish([0, 1, 2].map((seq) => modelDeleted(key, seq)));

      await waitFor(() => attempts.length >= 3, { description: 'the third attempt' });
      await settle();
      expect(attempts).toEqual([
        [0, 1, 2],
        [0, 1, 2],
        [0, 1, 2],
      ]);
      expect(deadLettered).toEqual([]);
    });

    contractTest('splits a batch that fails maxAttempts times, parks only the event that fails alone, and moves on in order', async () => {
      const key = randomUUID();
      const keys = new Set([key]);
      const [first, poison, ...rest] = [0, 1, 2, 3].map((seq) => modelDeleted(key, seq));
      const calls: number[][] = [];
      const handled: number[] = [];
      const deadLettered: AnyEventEnvelope[] = [];
      await subscribe(keys, {
        group: groupName('batch-poison-dlq'),
        topics: [DEAD_LETTER_TOPIC],
        handle: async (event) => void deadLettered.push(event),
      });
      await subscribeBatch(keys, {
        group: groupName('batch-poison'),
        maxAttempts: 2,
        handleBatch: async (events) => {
          calls.push(events.map(seqOf));
          if (events.some((event) => event.id === poison!.id)) throw new Error('cannot handle this one');
          handled.push(...events.map(seqOf));
        },
      });

      await bus.publish([first!, poison!, ...rest]);

      await waitFor(() => deadLettered.length >= 1 && handled.length >= 3, {
        description: 'the poison event to be dead-lettered and the others handled',
      });
      await settle();
      // The batch twice, then each event alone: the poison one twice, the others once.
      expect(calls).toEqual([[0, 1, 2, 3], [0, 1, 2, 3], [0], [1], [1], [2], [3]]);
      expect(handled).toEqual([0, 2, 3]);
      expect(deadLettered).toEqual([poison]);

      const later = modelDeleted(key, 4);
      await bus.publish([later]);
      await waitFor(() => handled.includes(4), { description: 'a later event of the key' });
      expect(calls.at(-1)).toEqual([4]);
    });

    contractTest('redelivers a batch after a failure, so a handler that de-duplicates by event id applies each event once', async () => {
      const key = randomUUID();
      const events = [0, 1, 2].map((seq) => modelDeleted(key, seq));
      const deliveries = new Map<string, number>();
      const applied: string[] = [];
      let crashed = false;
      await subscribeBatch(new Set([key]), {
        group: groupName('batch-dedupe'),
        maxAttempts: 3,
        handleBatch: async (batch) => {
          for (const event of batch) {
            deliveries.set(event.id, (deliveries.get(event.id) ?? 0) + 1);
            if (!applied.includes(event.id)) applied.push(event.id);
          }
          // The side effects happened but the acknowledgement is lost, as when a consumer crashes.
          if (!crashed) {
            crashed = true;
            throw new Error('crashed after applying');
          }
        },
      });

      await bus.publish(events);

      await waitFor(() => (deliveries.get(events[2]!.id) ?? 0) >= 2, { description: 'the batch to be delivered again' });
      await settle();
      expect([...deliveries.values()]).toEqual([2, 2, 2]);
      expect(applied).toEqual(events.map((event) => event.id));
    });

    contractTest('close() of a batch subscription waits for the batch in flight, then delivers nothing more to it', async () => {
      const key = randomUUID();
      const keys = new Set([key]);
      const release = deferred();
      const started = deferred();
      const log: string[] = [];
      const witnessed: string[] = [];
      await subscribe(keys, { group: groupName('batch-close-witness'), handle: async (event) => void witnessed.push(event.id) });
      const handle = await subscribeBatch(keys, {
        group: groupName('batch-close'),
        handleBatch: async (events) => {
          log.push(`start ${events.map(seqOf).join(',')}`);
          started.resolve();
          await release.promise;
          log.push('end');
        },
      });
      await bus.publish([modelDeleted(key, 0), modelDeleted(key, 1)]);
      await started.promise;

      const closing = track(handle.close());
      await sleep(50);
      expect(closing.settled).toBe(false);
      release.resolve();
      await closing.promise;
      log.push('closed');
      expect(log).toEqual(['start 0,1', 'end', 'closed']);

      const later = modelDeleted(key, 2);
      await bus.publish([later]);
      await waitFor(() => witnessed.includes(later.id), { description: 'the witness group to get the later event' });
      await settle();
      expect(log).toEqual(['start 0,1', 'end', 'closed']);
    });

    contractTest('refuses a subscription with both handle and handleBatch, neither, or a bad maxBatchSize', async () => {
      const group = groupName('refused');
      const handle = async (): Promise<void> => undefined;
      const both = { group, topics: [TOPIC], handle, handleBatch: handle } as unknown as EventHandlerSubscription;
      const neither = { group, topics: [TOPIC] } as unknown as EventHandlerSubscription;
      await expect(bus.subscribe(both)).rejects.toThrow(/exactly one of handle and handleBatch/);
      await expect(bus.subscribe(neither)).rejects.toThrow(/exactly one of handle and handleBatch/);
      await expect(bus.subscribe({ group, topics: [TOPIC], handleBatch: handle, maxBatchSize: 0 })).rejects.toThrow(RangeError);
    });

    contractTest('refuses ping once closed', async () => {
      await bus.close();
      await expect(bus.ping()).rejects.toThrow();
    });
  });
}
