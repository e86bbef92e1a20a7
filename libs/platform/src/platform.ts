import { join } from 'node:path';
import type { AppConfig } from './config/config.js';
import type { Logger } from './logging/logger.js';
import { Metrics } from './metrics/metrics.js';
import { EmbeddedDatabase } from './database/embedded-database.adapter.js';
import { PostgresDatabase } from './database/postgres-database.adapter.js';
import { BullMqJobQueue } from './ports/adapters/bullmq-job-queue.adapter.js';
import { InProcessEventBus } from './ports/adapters/in-process-event-bus.adapter.js';
import { InProcessJobQueue } from './ports/adapters/in-process-job-queue.adapter.js';
import { InProcessRateLimitStore } from './ports/adapters/in-process-rate-limit-store.adapter.js';
import { InProcessSessionStore } from './ports/adapters/in-process-session-store.adapter.js';
import { KafkaEventBus } from './ports/adapters/kafka-event-bus.adapter.js';
import { LocalDiskBlobStore } from './ports/adapters/local-disk-blob-store.adapter.js';
import { RedisRateLimitStore } from './ports/adapters/redis-rate-limit-store.adapter.js';
import { RedisSessionStore } from './ports/adapters/redis-session-store.adapter.js';
import { S3BlobStore } from './ports/adapters/s3-blob-store.adapter.js';
import type { BlobStore } from './ports/blob-store.port.js';
import type { Database } from './ports/database.port.js';
import type { EventBus } from './ports/event-bus.port.js';
import type { JobQueue } from './ports/job-queue.port.js';
import type { RateLimitStore } from './ports/rate-limit-store.port.js';
import type { SessionStore } from './ports/session-store.port.js';
import { ConfigError } from './config/config.js';
import { parseSecretKey, SecretCipher } from './secrets/secret-cipher.js';
import { loadOrCreateKeyFile } from './secrets/secret-key-file.util.js';

/**
 * The adapters behind the ports, chosen once per process. Service code receives the ports
 * through PlatformModule and never learns which adapter it has.
 */
export interface Platform {
  /** Standalone: all five services in this one process; distributed: this service alone. */
  readonly mode: RunMode;
  readonly config: AppConfig;
  readonly logger: Logger;
  /** Absent in processes that own no tables (the gateway and workers in distributed mode). */
  readonly database: Database | undefined;
  readonly eventBus: EventBus;
  readonly jobQueue: JobQueue;
  readonly blobStore: BlobStore;
  /** Signed-in sessions, shared by every gateway replica (Redis when configured). */
  readonly sessions: SessionStore;
  /** Rate limits and quotas, exact across every gateway replica (Redis when configured). */
  readonly rateLimits: RateLimitStore;
  readonly metrics: Metrics;
  /** Seals and opens stored secrets; absent in processes that handle none (the metrics service). */
  readonly secrets: SecretCipher | undefined;
  /** Pings every port; the names are those shown by /readyz. */
  readonly readinessChecks: Record<string, () => Promise<void>>;
  close(): Promise<void>;
}

export type RunMode = 'standalone' | 'distributed';

export interface PlatformOptions {
  mode: RunMode;
  /** Whether this process owns tables and so needs the database. */
  withDatabase: boolean;
  /** Standalone only: keep the embedded database in memory instead of the data folder (tests). */
  inMemoryDatabase?: boolean;
  /** Whether this process seals or opens secrets (default true; the metrics service handles none). */
  withSecrets?: boolean;
}

/**
 * The master keys: from MODELYARD_SECRET_KEY (and _PREVIOUS), or in standalone mode from the data
 * folder's key file, created on first start. Separate processes must share one configured key.
 */
async function createSecretCipher(config: AppConfig, mode: RunMode, logger: Logger): Promise<SecretCipher> {
  if (config.secrets.key) return new SecretCipher(parseSecretKey(config.secrets.key), config.secrets.previousKeys.map(parseSecretKey));
  if (mode === 'distributed') {
    throw new ConfigError(['MODELYARD_SECRET_KEY must be set when services run as their own processes (they share it to seal and open stored secrets)']);
  }
  const path = join(config.dataDir, 'secret.key');
  const file = await loadOrCreateKeyFile(path);
  if (file.created) logger.info({ path }, 'generated the master key that seals stored secrets; back it up with the data folder');
  return new SecretCipher(file.current, file.previous);
}

export async function createPlatform(config: AppConfig, logger: Logger, options: PlatformOptions): Promise<Platform> {
  const secrets = options.withSecrets === false ? undefined : await createSecretCipher(config, options.mode, logger);
  let database: Database | undefined;
  if (options.withDatabase) {
    database = config.database.url
      ? new PostgresDatabase(config.database.url)
      : await EmbeddedDatabase.open(options.inMemoryDatabase ? undefined : join(config.dataDir, 'pglite'));
  }
  // Each port takes its real adapter when its connection is configured, else its in-process twin.
  const clientId = `modelyard-${options.mode}`;
  const eventBus: EventBus = config.kafka.brokers
    ? new KafkaEventBus({ brokers: config.kafka.brokers, clientId, logger })
    : new InProcessEventBus();
  const jobQueue: JobQueue = config.redis.url ? new BullMqJobQueue({ url: config.redis.url, logger, lockDurationMs: config.redis.stallTimeoutMs, stalledIntervalMs: config.redis.stallTimeoutMs }) : new InProcessJobQueue();
  const sessions: SessionStore = config.redis.url ? new RedisSessionStore({ url: config.redis.url, logger }) : new InProcessSessionStore();
  const rateLimits: RateLimitStore = config.redis.url ? new RedisRateLimitStore({ url: config.redis.url, logger }) : new InProcessRateLimitStore();
  const blobStore: BlobStore = config.s3 ? new S3BlobStore({ ...config.s3, logger }) : new LocalDiskBlobStore(join(config.dataDir, 'blobs'));
  logger.info(
    {
      mode: options.mode,
      database: database?.kind ?? 'none',
      event_bus: config.kafka.brokers ? 'kafka' : 'in-process',
      job_queue: config.redis.url ? 'bullmq' : 'in-process',
      session_store: config.redis.url ? 'redis' : 'in-process',
      rate_limit_store: config.redis.url ? 'redis' : 'in-process',
      blob_store: config.s3 ? 's3' : 'local-disk',
    },
    'platform adapters selected',
  );
  return {
    mode: options.mode,
    config,
    logger,
    database,
    eventBus,
    jobQueue,
    blobStore,
    sessions,
    rateLimits,
    metrics: new Metrics(),
    secrets,
    readinessChecks: {
      ...(database && { database: () => database.ping() }),
      event_bus: () => eventBus.ping(),
      job_queue: () => jobQueue.ping(),
      blob_store: () => blobStore.ping(),
      session_store: () => sessions.ping(),
      rate_limit_store: () => rateLimits.ping(),
    },
    async close() {
      // Consumers and workers first (they may still publish or enqueue), storage last.
      await jobQueue.close();
      await eventBus.close();
      await sessions.close();
      await rateLimits.close();
      await blobStore.close();
      await database?.close();
    },
  };
}
