import { afterAll, afterEach, beforeAll, beforeEach } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { firstValueFrom } from 'rxjs';
import { DataSource } from 'typeorm';
import type { EventEnvelope, MetricsMessages, MetricsPattern, UsageErrorClass } from '@modelyard/contracts';
import {
  createLogger,
  createPlatform,
  InProcessEventBus,
  InProcessRpcClient,
  InProcessRpcServer,
  loadConfig,
  type Platform,
} from '@modelyard/platform';
import { createScratchDatabase, requireTestDatabaseUrl } from '@modelyard/testing';
import { runMetricsMigrations, startMetrics, type MetricsApp } from '../../src/index.js';

export type UsageEvent = EventEnvelope<'usage.recorded'>;
export const MINUTE = 60_000;

type Target = () => Promise<{ env: Record<string, string>; cleanup(): Promise<void> }>;

/** The real PostgreSQL of distributed mode, and the embedded PGlite of standalone mode: the SQL must suit both. */
export const USAGE_TARGETS: Array<[string, Target]> = [
  [
    'PostgreSQL',
    async () => {
      const scratch = await createScratchDatabase(requireTestDatabaseUrl());
      return { env: { MODELYARD_DATABASE_URL: scratch.url }, cleanup: () => scratch.drop() };
    },
  ],
  ['PGlite', async () => ({ env: {}, cleanup: async () => undefined })],
];

/** A metrics service started for one test, and what the test does with it. */
export interface UsageHarness {
  platform: Platform;
  metrics: MetricsApp;
  sql<T = unknown>(text: string, params?: unknown[]): Promise<T>;
  /** Waits until every published event was handled. */
  settle(): Promise<void>;
  ask<P extends MetricsPattern>(pattern: P, request: MetricsMessages[P]['request']): Promise<MetricsMessages[P]['response']>;
}

/**
 * Registers hooks that give each test of the enclosing describe a metrics service, on a database
 * of `target` opened once for the block, with empty usage tables; answers the current test's.
 */
export function useMetricsService(target: string, open: Target): () => UsageHarness {
  let database: Awaited<ReturnType<Target>>;
  let dataDir: string;
  let harness: UsageHarness;

  beforeAll(async () => {
    database = await open();
  });
  afterAll(async () => {
    await database?.cleanup();
  });

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'modelyard-usage-'));
    const config = loadConfig({ MODELYARD_DATA_DIR: dataDir, MODELYARD_LOG_LEVEL: 'silent', ...database.env });
    const platform = await createPlatform(config, createLogger(config), {
      mode: target === 'PGlite' ? 'standalone' : 'distributed',
      withDatabase: true,
      inMemoryDatabase: true,
      // As main.ts starts it: the metrics service handles no stored secrets.
      withSecrets: false,
    });
    await runMetricsMigrations(platform.database!);
    const server = new InProcessRpcServer();
    const metrics = await startMetrics(platform, { strategy: server });
    const rpc = new InProcessRpcClient(server);
    harness = {
      platform,
      metrics,
      sql: <T,>(text: string, params?: unknown[]) => metrics.app.get(DataSource).query<T>(text, params),
      settle: () => (platform.eventBus as InProcessEventBus).drain(),
      ask: <P extends MetricsPattern>(pattern: P, request: MetricsMessages[P]['request']) =>
        firstValueFrom(rpc.send<MetricsMessages[P]['response']>(pattern, request)),
    };
    await harness.sql(
      'TRUNCATE metrics_usage_minutes, metrics_usage_actor_minutes, metrics_usage_user_minutes, metrics_usage_token_minutes, metrics_usage_claims',
    );
  });
  afterEach(async () => {
    await harness?.metrics.close();
    await harness?.platform.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  return () => harness;
}

/** A usage event of `modelId` at `at` (epoch ms); without `tokens`, user or token, the event has no such fields, like older ones. */
export function usageEvent(
  modelId: string,
  at: number,
  latencyMs: number,
  outcome: { error?: UsageErrorClass | null; actor?: string; tokens?: [number | null, number | null]; user?: string | null; token?: string | null } = {},
): UsageEvent {
  const error = outcome.error ?? null;
  return {
    id: randomUUID(),
    type: 'usage.recorded',
    key: modelId,
    occurred_at: new Date(at).toISOString(),
    payload: {
      model_id: modelId,
      actor: outcome.actor ?? 'int-test',
      kind: 'invoke',
      outcome: error ? 'failure' : 'success',
      error_class: error,
      latency_ms: latencyMs,
      worker: 'worker-1',
      ...(outcome.tokens ? { input_tokens: outcome.tokens[0], output_tokens: outcome.tokens[1] } : {}),
      ...(outcome.user !== undefined && { user_id: outcome.user }),
      ...(outcome.token !== undefined && { token_id: outcome.token }),
    },
  };
}
