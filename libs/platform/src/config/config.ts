import { isAbsolute, join, resolve } from 'node:path';
import { z } from 'zod';
import { ENV_SCHEMA, type EnvName } from './config.schema.js';

type Env = { [K in EnvName]: z.output<(typeof ENV_SCHEMA)[K]['schema']> };

/** The validated configuration of a Modelyard process, grouped by concern. */
export interface AppConfig {
  http: { host: string; port: number; bodyLimitBytes: number; trustProxy: boolean };
  dataDir: string;
  database: { url: string | undefined };
  auth: {
    adminToken: string | undefined;
    adminPassword: string | undefined;
    sessionTtlMs: number;
    passwordScryptLogN: number;
    cacheTtlMs: number;
    signInMaxFailures: number;
    signInFailureWindowMs: number;
  };
  log: { level: Env['MODELYARD_LOG_LEVEL']; format: Env['MODELYARD_LOG_FORMAT'] };
  registry: { host: string; port: number; rpcTimeoutMs: number };
  metricsRpc: { host: string; port: number };
  huggingFace: { endpoint: string; token: string | undefined };
  /** Master keys as configured (base64/hex text); platform.ts turns them into a SecretCipher. */
  secrets: { key: string | undefined; previousKeys: string[] };
  providers: { openaiBaseUrl: string; anthropicBaseUrl: string; allowedEndpointHosts: string[]; timeoutMs: number; concurrency: number };
  ingest: { concurrency: number; uploadLimitBytes: number; uploadIdleTimeoutMs: number };
  inference: {
    cacheDir: string;
    sessionMemoryBudgetBytes: number;
    device: Env['MODELYARD_INFERENCE_DEVICE'];
    gpuMemoryLimitBytes: number | undefined;
    timeoutMs: number;
    concurrency: number;
  };
  /** How long the gateway reuses an active model's record for test calls (0: never). */
  gateway: { modelCacheTtlMs: number };
  outbox: { pollMs: number };
  /** Each set means the real adapter for that port; unset means the in-process twin. */
  kafka: { brokers: string[] | undefined };
  redis: { url: string | undefined; stallTimeoutMs: number };
  s3:
    | { endpoint: string; region: string; bucket: string; accessKey: string; secretKey: string }
    | undefined;
  health: { port: number | undefined };
}

/** One line per bad variable, naming it and saying what it must be. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: string[]) {
    super(`invalid configuration: ${problems.join('; ')}`);
  }
}

/**
 * Reads and validates the environment. This module is the only place that reads `process.env`:
 * everything else gets an AppConfig.
 */
export function loadConfig(source: Record<string, string | undefined> = process.env): AppConfig {
  const problems: string[] = [];
  const env = {} as Record<EnvName, unknown>;
  for (const name of Object.keys(ENV_SCHEMA) as EnvName[]) {
    const spec = ENV_SCHEMA[name];
    const raw = source[name] === '' ? undefined : source[name];
    const result = spec.schema.safeParse(raw);
    if (result.success) {
      env[name] = result.data;
    } else {
      const shown = 'sensitive' in spec && spec.sensitive ? '' : ` (got ${JSON.stringify(raw)})`;
      problems.push(`${name} ${result.error.issues[0]?.message ?? 'is invalid'}${shown}`);
    }
  }
  const e = env as Env;
  if (e.MODELYARD_S3_ENDPOINT && !(e.MODELYARD_S3_ACCESS_KEY && e.MODELYARD_S3_SECRET_KEY)) {
    problems.push('MODELYARD_S3_ACCESS_KEY and MODELYARD_S3_SECRET_KEY must be set when MODELYARD_S3_ENDPOINT is');
  }
  if (problems.length > 0) throw new ConfigError(problems);
  const dataDir = isAbsolute(e.MODELYARD_DATA_DIR) ? e.MODELYARD_DATA_DIR : resolve(e.MODELYARD_DATA_DIR);
  return {
    http: { host: e.MODELYARD_HOST, port: e.PORT, bodyLimitBytes: e.MODELYARD_BODY_LIMIT_BYTES, trustProxy: e.MODELYARD_TRUST_PROXY },
    dataDir,
    database: { url: e.MODELYARD_DATABASE_URL },
    auth: {
      adminToken: e.MODELYARD_ADMIN_TOKEN,
      adminPassword: e.MODELYARD_ADMIN_PASSWORD,
      sessionTtlMs: e.MODELYARD_SESSION_TTL_MS,
      passwordScryptLogN: e.MODELYARD_PASSWORD_SCRYPT_LOG_N,
      cacheTtlMs: e.MODELYARD_AUTH_CACHE_TTL_MS,
      signInMaxFailures: e.MODELYARD_SIGNIN_MAX_FAILURES,
      signInFailureWindowMs: e.MODELYARD_SIGNIN_FAILURE_WINDOW_MS,
    },
    log: { level: e.MODELYARD_LOG_LEVEL, format: e.MODELYARD_LOG_FORMAT },
    registry: {
      host: e.MODELYARD_REGISTRY_HOST,
      port: e.MODELYARD_REGISTRY_PORT,
      rpcTimeoutMs: e.MODELYARD_RPC_TIMEOUT_MS,
    },
    metricsRpc: { host: e.MODELYARD_METRICS_HOST, port: e.MODELYARD_METRICS_PORT },
    huggingFace: { endpoint: e.MODELYARD_HF_ENDPOINT, token: e.MODELYARD_HF_TOKEN },
    secrets: { key: e.MODELYARD_SECRET_KEY, previousKeys: e.MODELYARD_SECRET_KEYS_PREVIOUS?.split(',') ?? [] },
    providers: {
      openaiBaseUrl: e.MODELYARD_OPENAI_BASE_URL,
      anthropicBaseUrl: e.MODELYARD_ANTHROPIC_BASE_URL,
      allowedEndpointHosts: e.MODELYARD_ALLOWED_ENDPOINT_HOSTS ?? [],
      timeoutMs: e.MODELYARD_PROVIDER_TIMEOUT_MS,
      concurrency: e.MODELYARD_PROVIDER_CONCURRENCY,
    },
    ingest: {
      concurrency: e.MODELYARD_INGEST_CONCURRENCY,
      uploadLimitBytes: e.MODELYARD_UPLOAD_LIMIT,
      uploadIdleTimeoutMs: e.MODELYARD_UPLOAD_IDLE_TIMEOUT_MS,
    },
    inference: {
      cacheDir: e.MODELYARD_CACHE_DIR ? resolve(e.MODELYARD_CACHE_DIR) : join(dataDir, 'cache'),
      sessionMemoryBudgetBytes: e.MODELYARD_SESSION_MEMORY_BUDGET,
      device: e.MODELYARD_INFERENCE_DEVICE,
      gpuMemoryLimitBytes: e.MODELYARD_GPU_MEMORY_LIMIT,
      timeoutMs: e.MODELYARD_INFERENCE_TIMEOUT_MS,
      concurrency: e.MODELYARD_INFERENCE_CONCURRENCY,
    },
    gateway: { modelCacheTtlMs: e.MODELYARD_MODEL_CACHE_TTL_MS },
    outbox: { pollMs: e.MODELYARD_OUTBOX_POLL_MS },
    kafka: { brokers: e.MODELYARD_KAFKA_BROKERS?.split(',') },
    redis: { url: e.MODELYARD_REDIS_URL, stallTimeoutMs: e.MODELYARD_JOB_STALL_TIMEOUT_MS },
    s3: e.MODELYARD_S3_ENDPOINT
      ? {
          endpoint: e.MODELYARD_S3_ENDPOINT,
          region: e.MODELYARD_S3_REGION,
          bucket: e.MODELYARD_S3_BUCKET,
          accessKey: e.MODELYARD_S3_ACCESS_KEY!,
          secretKey: e.MODELYARD_S3_SECRET_KEY!,
        }
      : undefined,
    health: { port: e.MODELYARD_HEALTH_PORT },
  };
}

/** Requires a setting that only some run modes need, with the same one-line style of message. */
export function requireSetting<T>(value: T | undefined, name: EnvName, why: string): T {
  if (value === undefined) throw new ConfigError([`${name} must be set ${why}`]);
  return value;
}
