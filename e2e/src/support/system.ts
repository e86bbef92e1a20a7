import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { TOPICS, type AnyEventEnvelope } from '@modelyard/contracts';
import type { EmbeddedDatabase } from '@modelyard/platform';
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
/** The master key the separate processes share to seal and open stored secrets. */
export const TEST_SECRET_KEY = randomBytes(32).toString('base64');

/** A running Modelyard, whichever way it was started, as a test sees it. */
export interface SystemUnderTest {
  mode: 'standalone' | 'distributed';
  api: ApiClient;
  /** Runs SQL on the registry's database (test-only inspection and set-up). */
  sql<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
  /**
   * Model events the registry published so far (standalone: from the bus; distributed: the relayed
   * outbox), on the model-events topic only: audit records share the outbox but not this topic.
   */
  publishedEvents(): Promise<AnyEventEnvelope[]>;
  /** The local-disk blob store's folder (the gateway's), when files are stored there rather than in S3. */
  blobDir?: string;
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
    topics: [TOPICS.modelEvents.name],
    handle: async (event) => void events.push(event),
  });
  // The embedded database's own shared connection: a second one could interleave with the app's.
  const database = modelyard.platform.database as EmbeddedDatabase;
  return {
    mode: 'standalone',
    dataDir,
    blobDir: join(dataDir, 'blobs'),
    api: new ApiClient(`http://127.0.0.1:${modelyard.port}`, TEST_ADMIN_TOKEN),
    sql: async <T,>(text: string, params?: unknown[]) => (await database.query(text, params)) as T[],
    publishedEvents: async () => [...events],
    async stop() {
      await subscription.close();
      await modelyard.close();
      if (!options.dataDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** The real infrastructure's connection variables, as `deploy/local/infra.sh env` printed them for npm test. */
export function infrastructureEnv(): Record<string, string> {
  const names = ['MODELYARD_KAFKA_BROKERS', 'MODELYARD_REDIS_URL', 'MODELYARD_S3_ENDPOINT', 'MODELYARD_S3_ACCESS_KEY', 'MODELYARD_S3_SECRET_KEY', 'MODELYARD_S3_BUCKET'];
  const missing = names.filter((n) => !process.env[n]);
  if (missing.length) throw new Error(`${missing.join(', ')} not set: run the tests through \`npm test\`, which starts Kafka, Redis and S3`);
  return Object.fromEntries(names.map((n) => [n, process.env[n]!]));
}

type ServiceName = 'registry' | 'gateway' | 'ingest' | 'inference' | 'metrics';

export interface DistributedSystem extends SystemUnderTest {
  processes: Partial<Record<ServiceName, ServiceProcess>>;
  databaseUrl: string;
  /** MODELYARD_DATA_DIR of every process. */
  dataDir: string;
  /** Starts a stopped or killed service again with the same configuration. */
  start(name: ServiceName): Promise<ServiceProcess>;
  /** Prometheus text of a service's /metrics. */
  scrape(name: ServiceName): Promise<string>;
  /**
   * Another gateway process beside the first: the same configuration (database, registry, Redis)
   * on a port of its own, as a second replica behind a load balancer; stopped with the system.
   */
  startGatewayReplica(): Promise<{ api: ApiClient; process: ServiceProcess }>;
}

/**
 * Distributed mode: services as separate processes (built code, as deployed) on a scratch
 * database of the real PostgreSQL. By default the gateway and the registry over TCP with the
 * in-process bus; with `infrastructure`, all five services on real Kafka, Redis/BullMQ and S3.
 */
export async function startDistributedSystem(
  serverUrl: string,
  options: { infrastructure?: boolean; env?: Record<string, string> } = {},
): Promise<DistributedSystem> {
  const database = await createScratchDatabase(serverUrl);
  const dataDir = await mkdtemp(join(tmpdir(), 'modelyard-dist-'));
  const [httpPort, rpcPort, metricsRpcPort, ...healthPorts] = await Promise.all(Array.from({ length: 7 }, () => freePort()));
  const env = {
    MODELYARD_DATABASE_URL: database.url,
    MODELYARD_ADMIN_TOKEN: TEST_ADMIN_TOKEN,
    MODELYARD_SECRET_KEY: TEST_SECRET_KEY,
    MODELYARD_REGISTRY_HOST: '127.0.0.1',
    MODELYARD_REGISTRY_PORT: String(rpcPort),
    MODELYARD_METRICS_HOST: '127.0.0.1',
    MODELYARD_METRICS_PORT: String(metricsRpcPort),
    MODELYARD_HOST: '127.0.0.1',
    MODELYARD_DATA_DIR: dataDir,
    MODELYARD_LOG_LEVEL: 'warn',
    MODELYARD_OUTBOX_POLL_MS: '200',
    ...(options.infrastructure ? infrastructureEnv() : {}),
    ...options.env,
  };
  const healthPortOf: Record<ServiceName, number> = {
    gateway: httpPort,
    registry: healthPorts[0]!,
    ingest: healthPorts[1]!,
    inference: healthPorts[2]!,
    metrics: healthPorts[3]!,
  };
  const services: ServiceName[] = options.infrastructure
    ? ['registry', 'metrics', 'ingest', 'inference', 'gateway']
    : ['registry', 'gateway'];
  const processes: DistributedSystem['processes'] = {};
  const start = async (name: ServiceName) => {
    const port = healthPortOf[name];
    processes[name] = await startServiceProcess({
      name,
      entry: join(REPO_ROOT, `services/${name}/dist/main.js`),
      env: { ...env, ...(name === 'gateway' ? { PORT: String(port) } : { MODELYARD_HEALTH_PORT: String(port) }) },
      ready: () => answersOk(`http://127.0.0.1:${port}/readyz`),
      timeoutMs: 60_000,
    });
    return processes[name];
  };
  for (const name of services) await start(name);
  const replicas: ServiceProcess[] = [];
  const startGatewayReplica = async () => {
    const port = await freePort();
    const replica = await startServiceProcess({
      name: `gateway-${replicas.length + 2}`,
      entry: join(REPO_ROOT, 'services/gateway/dist/main.js'),
      env: { ...env, PORT: String(port) },
      ready: () => answersOk(`http://127.0.0.1:${port}/readyz`),
      timeoutMs: 60_000,
    });
    replicas.push(replica);
    return { api: new ApiClient(`http://127.0.0.1:${port}`, TEST_ADMIN_TOKEN), process: replica };
  };

  const pool = new pg.Pool({ connectionString: database.url, max: 2 });
  return {
    mode: 'distributed',
    processes,
    databaseUrl: database.url,
    dataDir,
    ...(options.infrastructure ? {} : { blobDir: join(dataDir, 'blobs') }),
    start,
    startGatewayReplica,
    scrape: async (name) => (await fetch(`http://127.0.0.1:${healthPortOf[name]}/metrics`)).text(),
    api: new ApiClient(`http://127.0.0.1:${httpPort}`, TEST_ADMIN_TOKEN),
    sql: async (text, params) => (await pool.query(text, params)).rows,
    publishedEvents: async () =>
      (
        await pool.query<{ envelope: AnyEventEnvelope }>(
          'SELECT envelope FROM outbox_events WHERE published_at IS NOT NULL AND topic = $1 ORDER BY seq',
          [TOPICS.modelEvents.name],
        )
      ).rows.map((r) => r.envelope),
    async stop() {
      await pool.end();
      for (const replica of replicas) await replica.stop();
      for (const name of [...services].reverse()) await processes[name]?.stop();
      await database.drop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
