import { randomUUID } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { EVENT_TOPICS, deadLetterTopicOf, type AnyEventEnvelope, type EventEnvelope } from '@modelyard/contracts';
import { describeEventBusContract, sleep, track, waitFor } from './index.js';
import { InProcessEventBus } from '@modelyard/platform';

describeEventBusContract('InProcessEventBus', async () => {
  const bus = new InProcessEventBus({ retryDelayMs: 5, maxRetryDelayMs: 20 });
  return { bus, cleanup: () => bus.close(), settle: () => bus.drain() };
});

const TOPIC = EVENT_TOPICS['model.deleted'];

function modelDeleted(key: string, seq = 0): EventEnvelope<'model.deleted'> {
  return {
    id: randomUUID(),
    type: 'model.deleted',
    key,
    occurred_at: new Date().toISOString(),
    payload: { actor: 'unit-test', model_id: key, name: 'unit', version: String(seq) },
  };
}

describe('InProcessEventBus', () => {
  const newBus = (): InProcessEventBus => new InProcessEventBus({ retryDelayMs: 1, maxRetryDelayMs: 4 });

  it('does not replay events published before a group subscribed', async () => {
    const bus = newBus();
    const received: string[] = [];
    const early = modelDeleted(randomUUID());
    await bus.publish([early]);
    await bus.subscribe({ group: 'late', topics: [TOPIC], handle: async (event) => void received.push(event.id) });
    const late = modelDeleted(randomUUID());

    await bus.publish([late]);
    await bus.drain();

    expect(received).toEqual([late.id]);
    await bus.close();
  });

  it('resolves publish before any handler runs', async () => {
    const bus = newBus();
    let handled = 0;
    await bus.subscribe({ group: 'g', topics: [TOPIC], handle: async () => void (handled += 1) });

    await bus.publish([modelDeleted(randomUUID())]);

    expect(handled).toBe(0);
    await bus.drain();
    expect(handled).toBe(1);
    await bus.close();
  });

  it('shares a group’s work between its members', async () => {
    const bus = newBus();
    const counts = [0, 0];
    for (const index of [0, 1]) {
      await bus.subscribe({ group: 'g', topics: [TOPIC], handle: async () => void (counts[index] += 1) });
    }

    await bus.publish(Array.from({ length: 10 }, () => modelDeleted(randomUUID())));
    await bus.drain();

    expect(counts[0] + counts[1]).toBe(10);
    expect(counts[0]).toBeGreaterThan(0);
    expect(counts[1]).toBeGreaterThan(0);
    await bus.close();
  });

  it('handles different keys concurrently', async () => {
    const bus = newBus();
    let inFlight = 0;
    let maxInFlight = 0;
    await bus.subscribe({
      group: 'g',
      topics: [TOPIC],
      handle: async () => {
        inFlight += 1;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await sleep(10);
        inFlight -= 1;
      },
    });

    await bus.publish([modelDeleted(randomUUID()), modelDeleted(randomUUID()), modelDeleted(randomUUID())]);
    await bus.drain();

    expect(maxInFlight).toBe(3);
    await bus.close();
  });

  it('gives each group its own copy of an event', async () => {
    const bus = newBus();
    const seenByB: string[] = [];
    await bus.subscribe({
      group: 'a',
      topics: [TOPIC],
      handle: async (event) => {
        event.key = 'mutated by a';
      },
    });
    await bus.subscribe({ group: 'b', topics: [TOPIC], handle: async (event) => void seenByB.push(event.key) });
    const event = modelDeleted(randomUUID());

    await bus.publish([event]);
    await bus.drain();

    expect(seenByB).toEqual([event.key]);
    await bus.close();
  });

  it('records dead letters with the last error and delivers the unchanged envelope to the dead-letter topic', async () => {
    const bus = newBus();
    const parked: AnyEventEnvelope[] = [];
    await bus.subscribe({
      group: 'failing',
      topics: [TOPIC],
      maxAttempts: 2,
      handle: async (event) => {
        throw new Error(`cannot handle ${event.id}`);
      },
    });
    await bus.subscribe({
      group: 'dlq',
      topics: [deadLetterTopicOf(TOPIC)],
      handle: async (event) => void parked.push(event),
    });
    const event = modelDeleted(randomUUID());

    await bus.publish([event]);
    await bus.drain();

    expect(parked).toEqual([event]);
    expect(bus.deadLetters()).toEqual([
      { topic: TOPIC, group: 'failing', event, error: `cannot handle ${event.id}`, attempts: 2 },
    ]);
    await bus.close();
  });

  it('does not forward a dead letter of a dead-letter topic any further', async () => {
    const bus = newBus();
    const dlq = deadLetterTopicOf(TOPIC);
    await bus.subscribe({ group: 'main', topics: [TOPIC], maxAttempts: 1, handle: async () => Promise.reject(new Error('main')) });
    await bus.subscribe({ group: 'dlq', topics: [dlq], maxAttempts: 1, handle: async () => Promise.reject(new Error('dlq')) });

    await bus.publish([modelDeleted(randomUUID())]);
    await bus.drain();

    expect(bus.deadLetters().map((letter) => [letter.topic, letter.error])).toEqual([
      [TOPIC, 'main'],
      [dlq, 'dlq'],
    ]);
    await bus.close();
  });

  it('hands a retry to another member when the first one leaves', async () => {
    const bus = new InProcessEventBus({ retryDelayMs: 30 });
    const log: string[] = [];
    const first = await bus.subscribe({
      group: 'g',
      topics: [TOPIC],
      handle: async () => {
        log.push('first');
        throw new Error('first fails');
      },
    });
    await bus.publish([modelDeleted(randomUUID())]);
    await waitFor(() => log.length === 1);
    await bus.subscribe({ group: 'g', topics: [TOPIC], handle: async () => void log.push('second') });

    await first.close();
    await bus.drain();

    expect(log).toEqual(['first', 'second']);
    await bus.close();
  });

  it('close() of the bus waits for handlers in flight and refuses further use', async () => {
    const bus = newBus();
    let finished = false;
    await bus.subscribe({
      group: 'g',
      topics: [TOPIC],
      handle: async () => {
        await sleep(30);
        finished = true;
      },
    });
    await bus.publish([modelDeleted(randomUUID())]);
    await sleep(5);

    await bus.close();

    expect(finished).toBe(true);
    await expect(bus.publish([modelDeleted(randomUUID())])).rejects.toThrow(/closed/);
    await expect(bus.subscribe({ group: 'g', topics: [TOPIC], handle: async () => undefined })).rejects.toThrow(/closed/);
  });

  it('drops a retry waiting for its delay when the bus closes, without waiting out the delay', async () => {
    const bus = new InProcessEventBus({ retryDelayMs: 10_000 });
    let attempts = 0;
    await bus.subscribe({
      group: 'g',
      topics: [TOPIC],
      handle: async () => {
        attempts += 1;
        throw new Error('fails');
      },
    });
    await bus.publish([modelDeleted(randomUUID())]);
    await waitFor(() => attempts === 1);

    const drained = track(bus.drain());
    await bus.close();
    await waitFor(() => drained.settled, { timeoutMs: 1_000 });

    expect(attempts).toBe(1);
  });

  it('hands a batch member what has queued on the topic, whatever the keys, at most maxBatchSize at a time', async () => {
    const bus = newBus();
    const sizes: number[] = [];
    await bus.subscribe({ group: 'g', topics: [TOPIC], maxBatchSize: 4, handleBatch: async (events) => void sizes.push(events.length) });

    await bus.publish(Array.from({ length: 10 }, () => modelDeleted(randomUUID())));
    await bus.drain();

    expect(sizes).toEqual([4, 4, 2]);
    await bus.close();
  });

  it('gives every attempt of a batch fresh copies, so a retry does not see what the failed one changed', async () => {
    const bus = newBus();
    const seen: string[] = [];
    await bus.subscribe({
      group: 'g',
      topics: [TOPIC],
      handleBatch: async ([event]) => {
        seen.push(event!.key);
        if (seen.length === 1) {
          event!.key = 'mutated';
          throw new Error('fails once');
        }
      },
    });
    const event = modelDeleted(randomUUID());

    await bus.publish([event]);
    await bus.drain();

    expect(seen).toEqual([event.key, event.key]);
    await bus.close();
  });

  it('records a batch event that failed alone as a dead letter with its own attempts', async () => {
    const bus = newBus();
    const [good, poison] = [modelDeleted(randomUUID()), modelDeleted(randomUUID())];
    await bus.subscribe({
      group: 'g',
      topics: [TOPIC],
      maxAttempts: 2,
      handleBatch: async (events) => {
        if (events.some((event) => event.id === poison.id)) throw new Error('poison');
      },
    });

    await bus.publish([good, poison]);
    await bus.drain();

    expect(bus.deadLetters()).toEqual([{ topic: TOPIC, group: 'g', event: poison, error: 'poison', attempts: 2 }]);
    await bus.close();
  });

  it('keeps a group to one kind of member: batch or single events', async () => {
    const bus = newBus();
    await bus.subscribe({ group: 'g', topics: [TOPIC], handleBatch: async () => undefined });
    await expect(bus.subscribe({ group: 'g', topics: [TOPIC], handle: async () => undefined })).rejects.toThrow(/takes batches/);
    await bus.close();
  });

  it('rejects a subscription with a bad maxAttempts or no topic', async () => {
    const bus = newBus();
    const handle = async (): Promise<void> => undefined;
    await expect(bus.subscribe({ group: 'g', topics: [TOPIC], maxAttempts: 0, handle })).rejects.toThrow(RangeError);
    await expect(bus.subscribe({ group: 'g', topics: [], handle })).rejects.toThrow(/no topic/);
    await bus.close();
  });
});
