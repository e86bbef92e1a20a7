import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { ENV_SCHEMA, type EnvName } from './config.schema.js';

type Env = { [K in EnvName]: z.output<(typeof ENV_SCHEMA)[K]['schema']> };

/** The validated configuration of a Modelyard process, grouped by concern. */
export interface AppConfig {
  http: { host: string; port: number; bodyLimitBytes: number };
  dataDir: string;
  database: { url: string | undefined };
  auth: { adminToken: string | undefined };
  log: { level: Env['MODELYARD_LOG_LEVEL']; format: Env['MODELYARD_LOG_FORMAT'] };
  registry: { host: string; port: number; rpcTimeoutMs: number };
  outbox: { pollMs: number };
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
  if (problems.length > 0) throw new ConfigError(problems);
  const e = env as Env;
  return {
    http: { host: e.MODELYARD_HOST, port: e.PORT, bodyLimitBytes: e.MODELYARD_BODY_LIMIT_BYTES },
    dataDir: isAbsolute(e.MODELYARD_DATA_DIR) ? e.MODELYARD_DATA_DIR : resolve(e.MODELYARD_DATA_DIR),
    database: { url: e.MODELYARD_DATABASE_URL },
    auth: { adminToken: e.MODELYARD_ADMIN_TOKEN },
    log: { level: e.MODELYARD_LOG_LEVEL, format: e.MODELYARD_LOG_FORMAT },
    registry: {
      host: e.MODELYARD_REGISTRY_HOST,
      port: e.MODELYARD_REGISTRY_PORT,
      rpcTimeoutMs: e.MODELYARD_RPC_TIMEOUT_MS,
    },
    outbox: { pollMs: e.MODELYARD_OUTBOX_POLL_MS },
    health: { port: e.MODELYARD_HEALTH_PORT },
  };
}

/** Requires a setting that only some run modes need, with the same one-line style of message. */
export function requireSetting<T>(value: T | undefined, name: EnvName, why: string): T {
  if (value === undefined) throw new ConfigError([`${name} must be set ${why}`]);
  return value;
}
