import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';
import type { AnyEventEnvelope } from '@modelyard/contracts';
import { startStandalone } from '@modelyard/standalone';
import {
  answersOk,
  ApiClient,
  createScratchDatabase,
  freePort,
  startServiceProcess,
  type ServiceProcess,
} from '@modelyard/testing';

export const REPO_ROOT = resolve(import.meta.dirname, '../../..');
export const TEST_ADMIN_TOKEN = `test-admin-${randomBytes(12).toString('hex')}`;

/** A running Modelyard, whichever way it was started, as a test sees it. */
export interface SystemUnderTest {
  mode: 'standalone' | 'distributed';
  api: ApiClient;
  /** Runs SQL on the registry's database (test-only inspection and set-up). */
  sql<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
  /** Events the registry published so far (standalone: from the bus; distributed: the relayed outbox). */
  publishedEvents(): Promise<AnyEventEnvelope[]>;
  stop(): Promise<void>;
}

/** Standalone mode in this process, with a fresh data folder. */
export async function startStandaloneSystem(options: { dataDir?: string; env?: Record<string, string> } = {}): Promise<
  SystemUnderTest & { dataDir: string }
> {
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'modelyard-sa-')));
  const modelyard = await startStandalone({
    env: {
      PORT: '0',
      MODELYARD_HOST: '127.0.0.1',
      MODELYARD_DATA_DIR: dataDir,
      MODELYARD_ADMIN_TOKEN: TEST_ADMIN_TOKEN,
      MODELYARD_LOG_LEVEL: 'warn',
      MODELYARD_OUTBOX_POLL_MS: '200',
      ...options.env,
    },
  });
  const events: AnyEventEnvelope[] = [];
  const subscription = await modelyard.platform.eventBus.subscribe({
    group: `test-${randomUUID()}`,
    topics: ['modelyard.model-events.v1'],
    handle: async (event) => void events.push(event),
  });
  const connection = modelyard.platform.database!.connection;
  const pool = new pg.Pool({ host: connection.host, port: connection.port, user: connection.username, database: connection.database, max: 1 });
  return {
    mode: 'standalone',
    dataDir,
    api: new ApiClient(`http://127.0.0.1:${modelyard.port}`, TEST_ADMIN_TOKEN),
    sql: async (text, params) => (await pool.query(text, params)).rows,
    publishedEvents: async () => [...events],
    async stop() {
      await subscription.close();
      await pool.end();
      await modelyard.close();
      if (!options.dataDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Distributed mode: the registry and the gateway as two processes (built code, as deployed),
 * on a scratch database of the real PostgreSQL.
 */
export async function startDistributedSystem(serverUrl: string): Promise<
  SystemUnderTest & { registry: ServiceProcess; gateway: ServiceProcess; databaseUrl: string }
> {
  const database = await createScratchDatabase(serverUrl);
  const [httpPort, rpcPort, healthPort] = await Promise.all([freePort(), freePort(), freePort()]);
  const dataDir = await mkdtemp(join(tmpdir(), 'modelyard-dist-'));
  const env = {
    MODELYARD_DATABASE_URL: database.url,
    MODELYARD_ADMIN_TOKEN: TEST_ADMIN_TOKEN,
    MODELYARD_REGISTRY_HOST: '127.0.0.1',
    MODELYARD_REGISTRY_PORT: String(rpcPort),
    MODELYARD_HOST: '127.0.0.1',
    MODELYARD_DATA_DIR: dataDir,
    MODELYARD_LOG_LEVEL: 'warn',
    MODELYARD_OUTBOX_POLL_MS: '200',
  };
  const registry = await startServiceProcess({
    name: 'registry',
    entry: join(REPO_ROOT, 'services/registry/dist/main.js'),
    env: { ...env, MODELYARD_HEALTH_PORT: String(healthPort) },
    ready: () => answersOk(`http://127.0.0.1:${healthPort}/readyz`),
  });
  const gateway = await startServiceProcess({
    name: 'gateway',
    entry: join(REPO_ROOT, 'services/gateway/dist/main.js'),
    env: { ...env, PORT: String(httpPort) },
    ready: () => answersOk(`http://127.0.0.1:${httpPort}/readyz`),
  });
  const pool = new pg.Pool({ connectionString: database.url, max: 2 });
  return {
    mode: 'distributed',
    registry,
    gateway,
    databaseUrl: database.url,
    api: new ApiClient(`http://127.0.0.1:${httpPort}`, TEST_ADMIN_TOKEN),
    sql: async (text, params) => (await pool.query(text, params)).rows,
    publishedEvents: async () =>
      (
        await pool.query<{ envelope: AnyEventEnvelope }>(
          'SELECT envelope FROM outbox_events WHERE published_at IS NOT NULL ORDER BY seq',
        )
      ).rows.map((r) => r.envelope),
    async stop() {
      await pool.end();
      await gateway.stop();
      await registry.stop();
      await database.drop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
