import { describe, expect, it } from '@jest/globals';
import { ConfigError, loadConfig, requireSetting } from './config.js';

describe('loadConfig', () => {
  it('gives the documented defaults for an empty environment', () => {
    const config = loadConfig({});
    expect(config.http).toEqual({ host: '0.0.0.0', port: 8080, bodyLimitBytes: 1048576, trustProxy: false });
    expect(config.auth).toEqual({
      adminToken: undefined,
      adminPassword: undefined,
      sessionTtlMs: 12 * 3_600_000,
      passwordScryptLogN: 17,
      cacheTtlMs: 1_000,
      signInMaxFailures: 5,
      signInFailureWindowMs: 900_000,
    });
    expect(config.log).toEqual({ level: 'info', format: 'json' });
    expect(config.database.url).toBeUndefined();
    expect(config.dataDir).toMatch(/\/data$/);
  });

  it('reads and converts every kind of value', () => {
    const config = loadConfig({
      PORT: '9090',
      MODELYARD_DATA_DIR: '/var/lib/modelyard',
      MODELYARD_DATABASE_URL: 'postgres://u:p@db:5432/m',
      MODELYARD_LOG_LEVEL: 'debug',
      MODELYARD_REGISTRY_PORT: '5000',
    });
    expect(config.http.port).toBe(9090);
    expect(config.dataDir).toBe('/var/lib/modelyard');
    expect(config.database.url).toBe('postgres://u:p@db:5432/m');
    expect(config.log.level).toBe('debug');
    expect(config.registry.port).toBe(5000);
  });

  it('keeps the auth cache short enough for a revoked token to be refused within 2 s, and the hash cost in range', () => {
    expect(() => loadConfig({ MODELYARD_AUTH_CACHE_TTL_MS: '1501' })).toThrow(/MODELYARD_AUTH_CACHE_TTL_MS must be at most 1500/);
    expect(() => loadConfig({ MODELYARD_PASSWORD_SCRYPT_LOG_N: '13' })).toThrow(/from 14 to 20/);
    expect(() => loadConfig({ MODELYARD_TRUST_PROXY: 'yes' })).toThrow(/MODELYARD_TRUST_PROXY must be true or false/);
    expect(loadConfig({ MODELYARD_TRUST_PROXY: 'true', MODELYARD_AUTH_CACHE_TTL_MS: '0' })).toMatchObject({ http: { trustProxy: true }, auth: { cacheTtlMs: 0 } });
  });

  it('never shows the admin password it refuses', () => {
    expect(() => loadConfig({ MODELYARD_ADMIN_PASSWORD: 'short-pw' })).toThrow(/MODELYARD_ADMIN_PASSWORD must be at least 10 characters$/);
  });

  it('names each bad variable and what it must be, in one error', () => {
    let error: unknown;
    try {
      loadConfig({ PORT: 'eighty', MODELYARD_LOG_LEVEL: 'loud', MODELYARD_OUTBOX_POLL_MS: '-5' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    expect(problems).toHaveLength(3);
    expect(problems[0]).toBe('PORT must be a TCP port number (0-65535) (got "eighty")');
    expect(problems[1]).toMatch(/^MODELYARD_LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent/);
    expect(problems[2]).toMatch(/^MODELYARD_OUTBOX_POLL_MS must be a positive number of milliseconds/);
  });

  it('never echoes the value of a sensitive variable', () => {
    expect(() => loadConfig({ MODELYARD_ADMIN_TOKEN: 'short-secret' })).toThrow(
      /^invalid configuration: MODELYARD_ADMIN_TOKEN must be at least 16 characters$/,
    );
    expect(() => loadConfig({ MODELYARD_DATABASE_URL: 'mysql://root:hunter2@db' })).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining('hunter2') }),
    );
  });

  it('selects real adapters only when their variables are set, and needs S3 credentials with an endpoint', () => {
    const config = loadConfig({
      MODELYARD_KAFKA_BROKERS: 'k1:9092,k2:9092',
      MODELYARD_REDIS_URL: 'redis://cache:6379',
      MODELYARD_S3_ENDPOINT: 'http://minio:9000',
      MODELYARD_S3_ACCESS_KEY: 'ak',
      MODELYARD_S3_SECRET_KEY: 'sk',
    });
    expect(config.kafka.brokers).toEqual(['k1:9092', 'k2:9092']);
    expect(config.redis.url).toBe('redis://cache:6379');
    expect(config.s3).toEqual({ endpoint: 'http://minio:9000', region: 'us-east-1', bucket: 'modelyard', accessKey: 'ak', secretKey: 'sk' });
    expect(loadConfig({}).s3).toBeUndefined();
    expect(() => loadConfig({ MODELYARD_S3_ENDPOINT: 'http://minio:9000' })).toThrow(/MODELYARD_S3_ACCESS_KEY and MODELYARD_S3_SECRET_KEY must be set/);
    expect(() => loadConfig({ MODELYARD_KAFKA_BROKERS: 'kafka' })).toThrow(/MODELYARD_KAFKA_BROKERS must be a comma-separated list of host:port/);
  });

  it('reads the upload idle timeout, 60 s by default, and refuses a non-positive one', () => {
    expect(loadConfig({}).ingest.uploadIdleTimeoutMs).toBe(60_000);
    expect(loadConfig({ MODELYARD_UPLOAD_IDLE_TIMEOUT_MS: '1500' }).ingest.uploadIdleTimeoutMs).toBe(1500);
    expect(() => loadConfig({ MODELYARD_UPLOAD_IDLE_TIMEOUT_MS: '0' })).toThrow(/MODELYARD_UPLOAD_IDLE_TIMEOUT_MS must be a positive number of milliseconds \(got "0"\)/);
  });

  it('treats an empty variable as unset', () => {
    expect(loadConfig({ PORT: '' }).http.port).toBe(8080);
  });

  it('requireSetting explains why a mode needs a variable', () => {
    expect(() => requireSetting(undefined, 'MODELYARD_DATABASE_URL', 'when the registry runs as its own process')).toThrow(
      'invalid configuration: MODELYARD_DATABASE_URL must be set when the registry runs as its own process',
    );
    expect(requireSetting('x', 'MODELYARD_DATABASE_URL', '')).toBe('x');
  });
});
