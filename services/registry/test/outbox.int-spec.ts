import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import type { AnyEventEnvelope } from '@modelyard/contracts';
import { createLogger, createPlatform, InProcessRpcServer, loadConfig, type EventBus, type Platform } from '@modelyard/platform';
import { runRegistryMigrations, startRegistry, type RegistryApp } from '../src/index.js';
import { builtinAdminCaller, newModelBody, waitFor } from '@modelyard/testing';
import type { Caller } from '@modelyard/contracts';
import { OutboxService } from '../src/outbox/outbox.service.js';
import { ModelsService } from '../src/models/models.service.js';

/** An event bus that refuses publishes while `down` is set, like a broker that is unreachable. */
class SwitchableBus implements EventBus {
  down = false;
  readonly published: AnyEventEnvelope[] = [];
  constructor(private readonly inner: EventBus) {}
  async publish(events: readonly AnyEventEnvelope[]) {
    if (this.down) throw new Error('broker unreachable');
    this.published.push(...events);
    await this.inner.publish(events);
  }
  subscribe: EventBus['subscribe'] = (s) => this.inner.subscribe(s);
  ping = () => this.inner.ping();
  close = () => this.inner.close();
}

describe('registry outbox', () => {
  let dataDir: string;
  let platform: Platform;
  let bus: SwitchableBus;
  let registry: RegistryApp;
  let actor: Caller;

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'modelyard-outbox-'));
    const config = loadConfig({ MODELYARD_DATA_DIR: dataDir, MODELYARD_LOG_LEVEL: 'silent', MODELYARD_OUTBOX_POLL_MS: '50' });
    const base = await createPlatform(config, createLogger(config), { mode: 'standalone', withDatabase: true, inMemoryDatabase: true });
    bus = new SwitchableBus(base.eventBus);
    platform = { ...base, eventBus: bus };
    await runRegistryMigrations(platform.database!);
    registry = await startRegistry(platform, { strategy: new InProcessRpcServer() });
    actor = await builtinAdminCaller(registry.app.get(DataSource));
  });
  afterEach(async () => {
    await registry.close();
    await platform.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  const count = async (sql: string, params: unknown[] = []) =>
    Number((await registry.app.get(DataSource).query<{ n: string }[]>(sql, params))[0]!.n);

  it('rolls the change back when its event cannot be written, so nothing unannounced is stored', async () => {
    const outbox = registry.app.get(OutboxService);
    const append = outbox.append.bind(outbox);
    outbox.append = async () => {
      throw new Error('outbox write failed');
    };
    const body = newModelBody();
    try {
      await expect(registry.app.get(ModelsService).create(actor, body)).rejects.toThrow('outbox write failed');
    } finally {
      outbox.append = append;
    }
    expect(await count('SELECT count(*) AS n FROM models WHERE name = $1', [body.name])).toBe(0);
    expect(await count('SELECT count(*) AS n FROM outbox_events')).toBe(0);
  });

  it('keeps events while the bus is down and publishes all of them, in order per model, when it is back', async () => {
    const models = registry.app.get(ModelsService);
    bus.down = true;
    const created = [];
    for (let i = 0; i < 20; i++) created.push(await models.create(actor, newModelBody()));
    for (const model of created.slice(0, 10)) await models.toggleStatus(actor, model.id);
    // 30 changes, each a model event and its audit record's event. The relay kept trying (it polls
    // every 50 ms) and recorded why it could not publish.
    await waitFor(async () => (await count(`SELECT count(*) AS n FROM outbox_events WHERE attempts > 0`)) === 60, {
      timeoutMs: 5_000,
      description: 'the relay to record failed attempts',
    });
    const [row] = await registry.app.get(DataSource).query<{ last_error: string }[]>('SELECT last_error FROM outbox_events LIMIT 1');
    expect(row!.last_error).toBe('broker unreachable');
    expect(bus.published).toHaveLength(0);

    bus.down = false;
    await waitFor(async () => (await count('SELECT count(*) AS n FROM outbox_events WHERE published_at IS NULL')) === 0, {
      timeoutMs: 5_000,
      description: 'the outbox to drain',
    });
    expect(bus.published).toHaveLength(60);
    expect(new Set(bus.published.map((e) => e.id)).size).toBe(60);
    for (const model of created.slice(0, 10)) {
      const ofModel = bus.published.filter((e) => e.key === model.id);
      expect(ofModel.map((e) => e.type)).toEqual(['model.created', 'audit.recorded', 'model.status_changed', 'audit.recorded']);
      expect(ofModel.filter((e) => e.type === 'audit.recorded').map((e) => (e.payload as { action: string }).action)).toEqual(['model.create', 'model.toggle']);
    }
  });
});
