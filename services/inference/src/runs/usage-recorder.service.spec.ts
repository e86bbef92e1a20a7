import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { Module, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { pino } from 'pino';
import type { AnyEventEnvelope, EventPayload } from '@modelyard/contracts';
import { EVENT_BUS, LOGGER, type EventBus, type SubscriptionHandle } from '@modelyard/platform';
import { USAGE_BUFFER_LIMIT, UsageRecorder, usageOfCall } from './usage-recorder.service.js';

/** A bus that records what it accepts, and refuses everything while `down`. */
class FakeBus implements EventBus {
  down = false;
  attempts = 0;
  readonly batches: AnyEventEnvelope[][] = [];
  /** When set, each publish waits for the test to settle it. */
  gate: Array<{ resolve: () => void; reject: (error: Error) => void }> | null = null;

  get published(): string[] {
    return this.batches.flat().map((event) => event.id);
  }

  publish(events: readonly AnyEventEnvelope[]): Promise<void> {
    this.attempts++;
    const copy = [...events];
    if (this.gate) {
      const gate = this.gate;
      return new Promise((resolve, reject) =>
        gate.push({
          resolve: () => {
            this.batches.push(copy);
            resolve();
          },
          reject,
        }),
      );
    }
    if (this.down) return Promise.reject(new Error('broker down'));
    this.batches.push(copy);
    return Promise.resolve();
  }

  subscribe(): Promise<SubscriptionHandle> {
    return Promise.reject(new Error('the usage recorder only publishes'));
  }

  ping(): Promise<void> {
    return this.down ? Promise.reject(new Error('broker down')) : Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

const MODEL_ID = randomUUID();

function usage(overrides: Partial<EventPayload<'usage.recorded'>> = {}): EventPayload<'usage.recorded'> {
  return { model_id: MODEL_ID, actor: 'spec', kind: 'invoke', outcome: 'success', error_class: null, latency_ms: 12, worker: 'w1', ...overrides };
}

function newTestService(maxBuffered?: number, lingerMs = 0) {
  const bus = new FakeBus();
  const lines: Array<{ level: number; msg: string; [field: string]: unknown }> = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line)) });
  const sut = new UsageRecorder(bus, logger, maxBuffered, lingerMs);
  return { sut, bus, lines };
}

/** Records `n` events with fresh call ids, returning the ids in order. */
function recordMany(sut: UsageRecorder, n: number): string[] {
  const ids = Array.from({ length: n }, () => randomUUID());
  for (const id of ids) sut.record(id, usage());
  return ids;
}

/** Lets pending promise callbacks run (fake timers leave microtasks alone). */
const settle = () => jest.advanceTimersByTimeAsync(0);

beforeEach(() => {
  jest.useFakeTimers();
});

afterEach(() => {
  jest.useRealTimers();
});

describe('UsageRecorder', () => {
  it('lingers: the events of calls close together go out in one publish', async () => {
    const { sut, bus } = newTestService(undefined, 50);
    const ids = recordMany(sut, 3);
    await jest.advanceTimersByTimeAsync(49);
    expect(bus.batches).toEqual([]);
    await jest.advanceTimersByTimeAsync(1);
    expect(bus.batches.map((batch) => batch.map((event) => event.id))).toEqual([ids]);
  });

  it('does not linger once a full batch is waiting', async () => {
    const { sut, bus } = newTestService(undefined, 50);
    recordMany(sut, 500);
    await settle();
    expect(bus.batches.map((batch) => batch.length)).toEqual([500]);
  });

  it('publishes an event per call: id = call id, type usage.recorded, key = model id', async () => {
    const { sut, bus } = newTestService();
    const callId = randomUUID();
    const payload = usage({ outcome: 'failure', error_class: 'invalid_input', latency_ms: 3.5 });

    sut.record(callId, payload);
    await sut.flush();

    expect(bus.batches).toEqual([[{ id: callId, type: 'usage.recorded', key: MODEL_ID, occurred_at: new Date().toISOString(), payload }]]);
  });

  it('sends many events in batches of at most 500, each once and in order', async () => {
    const { sut, bus } = newTestService();

    const ids = recordMany(sut, 1_200);
    await sut.flush();

    expect(bus.published).toEqual(ids);
    expect(Math.max(...bus.batches.map((batch) => batch.length))).toBe(500);
    expect(bus.batches.length).toBeLessThanOrEqual(4);
  });

  it('keeps events while the bus refuses them and sends them once it is back, none lost or twice', async () => {
    const { sut, bus, lines } = newTestService();
    bus.down = true;

    const ids = recordMany(sut, 3);
    await settle();

    expect(bus.batches).toEqual([]);
    expect(lines).toContainEqual(expect.objectContaining({ msg: 'usage events not published yet; retrying', pending: 3 }));

    // Still down at the first retry.
    await jest.advanceTimersByTimeAsync(1_000);
    expect(bus.batches).toEqual([]);

    const more = recordMany(sut, 2);
    bus.down = false;
    await jest.advanceTimersByTimeAsync(1_000);

    expect(bus.published).toEqual([...ids, ...more]);
    await jest.advanceTimersByTimeAsync(10_000);
    expect(bus.published).toEqual([...ids, ...more]);
  });

  it('retries on a timer even when no further call comes', async () => {
    const { sut, bus } = newTestService();
    bus.down = true;
    const ids = recordMany(sut, 2);
    await settle();
    const attempts = bus.attempts;

    bus.down = false;
    await jest.advanceTimersByTimeAsync(999);
    expect(bus.attempts).toBe(attempts);

    await jest.advanceTimersByTimeAsync(1);
    expect(bus.published).toEqual(ids);
  });

  it('keeps the unsent rest when a batch in the middle is refused', async () => {
    const { sut, bus } = newTestService();
    bus.gate = [];

    const ids = recordMany(sut, 1_200);
    await settle();
    bus.gate.shift()!.resolve(); // the first batch goes out
    await settle();
    bus.gate.shift()!.reject(new Error('leader not available')); // the second does not
    await settle();
    bus.gate = null;
    await jest.advanceTimersByTimeAsync(1_000);

    expect(bus.published).toEqual(ids);
  });

  it('flushes what is buffered on shutdown', async () => {
    const { sut, bus, lines } = newTestService();
    bus.down = true;
    const ids = recordMany(sut, 4);
    await settle();

    bus.down = false;
    await sut.onApplicationShutdown();

    expect(bus.published).toEqual(ids);
    expect(lines.filter((line) => line.level >= 50)).toEqual([]);
  });

  it('on shutdown retries for up to 5 s, then logs how many events are lost', async () => {
    const { sut, bus, lines } = newTestService();
    bus.down = true;
    recordMany(sut, 4);
    await settle();

    const shutdown = sut.onApplicationShutdown();
    await jest.advanceTimersByTimeAsync(4_000);
    const attemptsBefore = bus.attempts;
    await jest.advanceTimersByTimeAsync(1_500);
    await shutdown;

    expect(bus.attempts).toBeGreaterThan(attemptsBefore);
    expect(lines).toContainEqual(expect.objectContaining({ msg: 'usage events not published before shutdown', lost: 4 }));
    // The retry timer is gone: nothing is sent after shutdown.
    bus.down = false;
    await jest.advanceTimersByTimeAsync(10_000);
    expect(bus.batches).toEqual([]);
  });

  it('on shutdown waits for a flush already under way', async () => {
    const { sut, bus } = newTestService();
    bus.gate = [];
    const ids = recordMany(sut, 3);
    await settle();

    let done = false;
    const shutdown = sut.onApplicationShutdown().then(() => (done = true));
    await settle();
    expect(done).toBe(false);

    bus.gate.shift()!.resolve();
    await settle();
    bus.gate.shift()!.resolve();
    await shutdown;

    expect(bus.published).toEqual(ids);
  });

  it('drops the oldest events beyond the bound, and says so once per thousand', async () => {
    const { sut, bus, lines } = newTestService(3);
    bus.down = true;

    const ids = recordMany(sut, 1_004);
    await settle();
    bus.down = false;
    await jest.advanceTimersByTimeAsync(1_000);

    expect(bus.published).toEqual(ids.slice(-3));
    expect(lines.filter((line) => line.msg.startsWith('usage events dropped'))).toEqual([
      expect.objectContaining({ level: 50, dropped: 1 }),
      expect.objectContaining({ level: 50, dropped: 1_001 }),
    ]);
  });

  it('does not lose an unsent event when drops overtake a batch in flight', async () => {
    const { sut, bus } = newTestService(3);
    bus.gate = [];

    // The first event goes out at once; three more push it out of the buffer while it is in flight.
    const ids = recordMany(sut, 4);
    await settle();
    bus.gate.shift()!.resolve();
    await settle();
    bus.gate.shift()!.resolve();
    await settle();

    expect(bus.published).toEqual(ids);
    expect(bus.gate).toEqual([]);
  });
});

describe('UsageRecorder in Nest', () => {
  let app: INestApplicationContext | undefined;

  beforeEach(() => {
    jest.useRealTimers();
  });

  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  async function start(extraProviders: Array<{ provide: symbol; useValue: unknown }>): Promise<{ recorder: UsageRecorder; bus: FakeBus }> {
    const bus = new FakeBus();
    @Module({
      providers: [{ provide: EVENT_BUS, useValue: bus }, { provide: LOGGER, useValue: pino({ level: 'silent' }) }, UsageRecorder, ...extraProviders],
    })
    class TestModule {}
    app = await NestFactory.createApplicationContext(TestModule, { logger: false });
    return { recorder: app.get(UsageRecorder), bus };
  }

  it('is built without a buffer bound provided, and keeps the default bound', async () => {
    const { recorder, bus } = await start([]);
    bus.down = true;

    const ids = recordMany(recorder, 10);
    bus.down = false;
    await app!.close();
    app = undefined;

    expect(bus.published).toEqual(ids);
  });

  it('takes the bound from USAGE_BUFFER_LIMIT', async () => {
    const { recorder, bus } = await start([{ provide: USAGE_BUFFER_LIMIT, useValue: 2 }]);
    bus.down = true;

    const ids = recordMany(recorder, 5);
    bus.down = false;
    // Closing the context runs onApplicationShutdown, which flushes.
    await app!.close();
    app = undefined;

    expect(bus.published).toEqual(ids.slice(3));
  });
});

describe('usageOfCall', () => {
  const call = { model_id: '6f1c1d4e-2b1a-4c44-9a55-0c6f0a2b9e10', actor: 'admin', kind: 'test' as const };

  it('describes a success, with the provider\'s tokens when it counted any', () => {
    expect(usageOfCall(call, { latencyMs: 12.5, errorClass: null, worker: 'w', tokens: { input_tokens: 4, output_tokens: null } })).toEqual({
      ...call,
      outcome: 'success',
      error_class: null,
      latency_ms: 12.5,
      worker: 'w',
      input_tokens: 4,
      output_tokens: null,
    });
  });

  it('describes a failure by its class, and leaves tokens out for local models', () => {
    const usage = usageOfCall(call, { latencyMs: 1, errorClass: 'invalid_input', worker: 'w' });
    expect(usage).toMatchObject({ outcome: 'failure', error_class: 'invalid_input' });
    expect(usage).not.toHaveProperty('input_tokens');
  });
});
