import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import type { AnyEventEnvelope, ModelSnapshot } from '@modelyard/contracts';
import { createLogger, createPlatform, InProcessEventBus, loadConfig, type Platform } from '@modelyard/platform';
import { waitFor } from '@modelyard/testing';
import { runMetricsMigrations, startMetrics } from '../src/index.js';

describe('metrics service: model catalog consumer', () => {
  let dataDir: string;
  let platform: Platform;
  let metrics: Awaited<ReturnType<typeof startMetrics>>;

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'modelyard-metrics-'));
    const config = loadConfig({ MODELYARD_DATA_DIR: dataDir, MODELYARD_LOG_LEVEL: 'silent' });
    platform = await createPlatform(config, createLogger(config), { mode: 'standalone', withDatabase: true, inMemoryDatabase: true });
    await runMetricsMigrations(platform.database!);
    metrics = await startMetrics(platform);
  });
  afterEach(async () => {
    await metrics.close();
    await platform.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  const modelId = randomUUID();
  const snapshot = (status: ModelSnapshot['status'], name = 'resnet'): ModelSnapshot => ({
    id: modelId,
    name,
    version: '1.0',
    type: 'vision',
    framework: 'onnx',
    source: 'upload',
    status,
    status_message: null,
    owner: 'admin',
    tags: [],
    updated_at: new Date().toISOString(),
  });
  let clock = Date.parse('2026-11-27T08:00:00Z');
  const envelope = <E extends AnyEventEnvelope>(type: E['type'], payload: E['payload']): AnyEventEnvelope =>
    ({ id: randomUUID(), type, key: modelId, occurred_at: new Date((clock += 1000)).toISOString(), payload }) as AnyEventEnvelope;

  const catalog = async () =>
    metrics.app.get(DataSource).query<{ name: string; status: string; deleted_at: Date | null }[]>(
      'SELECT name, status, deleted_at FROM metrics_models WHERE model_id = $1',
      [modelId],
    );
  const settle = () => (platform.eventBus as InProcessEventBus).drain();

  it('follows a model through its events and applies a redelivered event once', async () => {
    const created = envelope('model.created', { actor: 'admin', model: snapshot('active') });
    const renamed = envelope('model.updated', { actor: 'admin', model: snapshot('active', 'resnet-50'), changed: ['name'] });
    const switchedOff = envelope('model.status_changed', { actor: 'admin', model: snapshot('inactive', 'resnet-50'), from: 'active', to: 'inactive' });
    await platform.eventBus.publish([created, renamed, switchedOff]);
    // At-least-once delivery: the same events again (a relay crash between publish and stamp).
    await platform.eventBus.publish([renamed, switchedOff]);
    await settle();
    expect(await catalog()).toEqual([{ name: 'resnet-50', status: 'inactive', deleted_at: null }]);

    const scrape = (await platform.metrics.scrape()).body;
    expect(scrape).toMatch(/modelyard_events_consumed_total\{group="modelyard-metrics",type="model.updated",outcome="applied"\} 1/);
    expect(scrape).toMatch(/modelyard_events_consumed_total\{group="modelyard-metrics",type="model.updated",outcome="duplicate"\} 1/);

    await platform.eventBus.publish([envelope('model.deleted', { actor: 'admin', model_id: modelId, name: 'resnet-50', version: '1.0' })]);
    await waitFor(async () => (await catalog())[0]?.deleted_at !== null, { description: 'the deletion to be applied' });
    const processed = await metrics.app.get(DataSource).query<{ n: string }[]>('SELECT count(*) AS n FROM metrics_processed_events');
    expect(Number(processed[0]!.n)).toBe(4);
  });

  it('does not let an old event replayed late overwrite newer state', async () => {
    const old = envelope('model.status_changed', { actor: 'admin', model: snapshot('inactive'), from: 'active', to: 'inactive' });
    const newer = envelope('model.status_changed', { actor: 'admin', model: snapshot('active'), from: 'inactive', to: 'active' });
    await platform.eventBus.publish([newer]);
    await settle();
    await platform.eventBus.publish([old]);
    await settle();
    expect((await catalog())[0]!.status).toBe('active');
  });
});
