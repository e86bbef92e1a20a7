import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { TOPICS, type AnyEventEnvelope, type ModelDto } from '@modelyard/contracts';
import { BullMqJobQueue, KafkaEventBus, type SubscriptionHandle } from '@modelyard/platform';
import { newModelBody, requireTestDatabaseUrl, waitFor } from '@modelyard/testing';
import { infrastructureEnv, REPO_ROOT, startDistributedSystem, type DistributedSystem } from './support/system.js';

const run = promisify(execFile);
/** Stops or starts one of the real services through the repo's own infra script. */
const infra = (command: 'up' | 'down', service: 'kafka' | 'redis') =>
  run('bash', [join(REPO_ROOT, 'deploy/local/infra.sh'), command, service], { cwd: REPO_ROOT });

const BASE = '/api/v1/ai-models';
const serverUrl = requireTestDatabaseUrl();
const infraEnv = infrastructureEnv();

describe('all five services as processes on PostgreSQL, Kafka, Redis and S3', () => {
  let system: DistributedSystem;
  /** A test-side consumer that records the order in which Kafka delivers the model events. */
  let observer: { bus: KafkaEventBus; subscription: SubscriptionHandle; seen: AnyEventEnvelope[] };

  beforeAll(async () => {
    system = await startDistributedSystem(serverUrl, { infrastructure: true });
    const bus = new KafkaEventBus({ brokers: infraEnv.MODELYARD_KAFKA_BROKERS!.split(','), clientId: 'e2e-observer' });
    const seen: AnyEventEnvelope[] = [];
    const subscription = await bus.subscribe({
      group: `e2e-observer-${randomUUID()}`,
      topics: [TOPICS.modelEvents.name],
      handle: async (event) => void seen.push(event),
    });
    observer = { bus, subscription, seen };
  }, 180_000);

  afterAll(async () => {
    await observer?.subscription.close();
    await observer?.bus.close();
    await system?.stop();
  }, 60_000);

  const catalogRow = async (id: string) =>
    (await system.sql<{ status: string; deleted_at: Date | null }>('SELECT status, deleted_at FROM metrics_models WHERE model_id = $1', [id]))[0];
  const consumedIds = async (ids: string[]) =>
    (
      await system.sql<{ key: string }>(
        `SELECT o.key FROM outbox_events o JOIN metrics_processed_events p ON p.event_id = o.event_id WHERE o.key = ANY($1)`,
        [ids],
      )
    ).map((r) => r.key);

  it('every service is ready, with each port on its real adapter', async () => {
    const ready = await system.api.get<{ status: string; checks: Record<string, { status: string }> }>('/readyz');
    expect(ready.body).toMatchObject({ status: 'ok', checks: { registry: { status: 'ok' }, event_bus: { status: 'ok' }, blob_store: { status: 'ok' } } });
    for (const name of ['ingest', 'inference', 'metrics'] as const) {
      expect(await system.scrape(name)).toContain('modelyard_process_resident_memory_bytes');
    }
  });

  it('create, edit, toggle and delete reach the metrics service through Kafka, each applied once', async () => {
    const model = (await system.api.post<ModelDto>(BASE, newModelBody())).body;
    expect((await system.api.patch(`${BASE}/${model.id}`, { description: 'edited' })).status).toBe(200);
    expect((await system.api.post(`${BASE}/${model.id}/toggle-status`)).status).toBe(200);
    await waitFor(async () => (await catalogRow(model.id))?.status === 'inactive', { timeoutMs: 30_000, description: 'the toggle in the metrics catalog' });
    expect((await system.api.delete(`${BASE}/${model.id}`)).status).toBe(204);
    await waitFor(async () => Boolean((await catalogRow(model.id))?.deleted_at), { timeoutMs: 30_000, description: 'the deletion in the metrics catalog' });

    const mine = () => observer.seen.filter((e) => e.key === model.id).map((e) => e.type);
    await waitFor(() => mine().length >= 4, { timeoutMs: 30_000, description: 'the observer to see all four events' });
    expect(mine()).toEqual(['model.created', 'model.updated', 'model.status_changed', 'model.deleted']);
    expect(await consumedIds([model.id])).toHaveLength(4);
    const scrape = await system.scrape('metrics');
    for (const type of ['model.created', 'model.updated', 'model.status_changed', 'model.deleted']) {
      expect(scrape).toMatch(new RegExp(`modelyard_events_consumed_total\\{group="modelyard-metrics",type="${type}",outcome="applied"\\} [1-9]`));
    }
  }, 120_000);

  it('keeps every change while Kafka is down and delivers all of them, in order per model, when it is back', async () => {
    await infra('down', 'kafka');
    const created: ModelDto[] = [];
    try {
      for (let i = 0; i < 100; i++) {
        const response = await system.api.post<ModelDto>(BASE, newModelBody());
        expect(response.status).toBe(201);
        created.push(response.body);
      }
      for (const model of created.slice(0, 20)) {
        expect((await system.api.post(`${BASE}/${model.id}/toggle-status`)).status).toBe(200);
      }
      const pending = await system.sql<{ n: string }>('SELECT count(*) AS n FROM outbox_events WHERE published_at IS NULL');
      expect(Number(pending[0]!.n)).toBeGreaterThanOrEqual(120);
    } finally {
      await infra('up', 'kafka');
    }
    const ids = created.map((m) => m.id);
    await waitFor(async () => (await consumedIds(ids)).length === 120, { timeoutMs: 120_000, intervalMs: 500, description: 'all 120 events consumed' });
    // The order the metrics service applied each model's events in, from its own records.
    const applied = await system.sql<{ key: string; type: string }>(
      `SELECT o.key, o.type FROM metrics_processed_events p JOIN outbox_events o ON o.event_id = p.event_id
        WHERE o.key = ANY($1) ORDER BY p.processed_at, o.seq`,
      [ids],
    );
    for (const model of created.slice(0, 20)) {
      expect(applied.filter((r) => r.key === model.id).map((r) => r.type)).toEqual(['model.created', 'model.status_changed']);
      expect((await catalogRow(model.id))?.status).toBe('inactive');
    }
    // Applied once: one processed-event row per event, whatever the redeliveries.
    const processed = await system.sql<{ n: string }>(
      `SELECT count(DISTINCT p.event_id) AS n FROM metrics_processed_events p JOIN outbox_events o ON o.event_id = p.event_id WHERE o.key = ANY($1)`,
      [ids],
    );
    expect(Number(processed[0]!.n)).toBe(120);
  }, 300_000);

  it('a registry killed (SIGKILL) during a burst of creates loses no answered create and no event', async () => {
    const answered: string[] = [];
    let killed = false;
    const burst = Array.from({ length: 10 }, async () => {
      for (let i = 0; i < 12; i++) {
        const response = await system.api.post<ModelDto>(BASE, newModelBody());
        if (response.status === 201) answered.push(response.body.id);
        else expect([503, 504]).toContain(response.status);
        if (answered.length >= 30 && !killed) {
          killed = true;
          await system.processes.registry!.kill();
        }
      }
    });
    await Promise.all(burst);
    expect(killed).toBe(true);
    await system.start('registry');

    const stored = await system.sql<{ id: string }>('SELECT id FROM models WHERE id = ANY($1)', [answered]);
    expect(stored.map((r) => r.id).sort()).toEqual([...answered].sort());
    // Everything committed, answered or not (a commit can precede a lost answer), reaches the consumer.
    const all = (await system.sql<{ id: string }>(`SELECT id FROM models WHERE created_at > now() - interval '5 minutes'`)).map((r) => r.id);
    await waitFor(async () => (await consumedIds(all)).length >= all.length, { timeoutMs: 60_000, intervalMs: 500, description: 'every stored create consumed' });
  }, 180_000);

  it('a metrics service stopped with SIGTERM resumes where it left off, losing nothing', async () => {
    expect(await system.processes.metrics!.stop()).toBe(0);
    const ids: string[] = [];
    for (let i = 0; i < 10; i++) ids.push((await system.api.post<ModelDto>(BASE, newModelBody())).body.id);
    await system.start('metrics');
    await waitFor(async () => (await consumedIds(ids)).length === 10, { timeoutMs: 60_000, intervalMs: 500, description: 'the 10 creates consumed after the restart' });
  }, 120_000);
});

describe('BullMQ job queue across a Redis restart', () => {
  it('loses no queued job', async () => {
    const url = infraEnv.MODELYARD_REDIS_URL!;
    const queue = `e2e-restart-${randomUUID()}`;
    const producer = new BullMqJobQueue({ url });
    for (let i = 0; i < 20; i++) await producer.enqueue(queue, { n: i }, { id: `job-${i}` });
    await producer.close();

    await infra('down', 'redis');
    await infra('up', 'redis');

    const consumer = new BullMqJobQueue({ url });
    const done = new Set<number>();
    const worker = await consumer.process<{ n: number }, number>(queue, async (job) => {
      done.add(job.data.n);
      return job.data.n;
    });
    try {
      await waitFor(() => done.size === 20, { timeoutMs: 30_000, description: 'all 20 jobs processed after the restart' });
      expect(await consumer.waitForResult<number>(queue, 'job-19', 5_000)).toBe(19);
    } finally {
      await worker.close();
      await consumer.close();
    }
  }, 120_000);
});
