import { pino, type Logger } from 'pino';
import type { AppConfig } from '../config/config.js';
import { serializeError } from './safe-error.util.js';

export type { Logger } from 'pino';

/**
 * Paths pino blanks before a line is written. Secrets must never reach a log, whichever object
 * carries them (a request's headers, a DTO with an api_key, a connection config).
 */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  '*.api_key',
  '*.apiKey',
  '*.token',
  '*.password',
  '*.secret',
  'api_key',
  'token',
  'password',
];

/** The process's root logger; each service logs through a child that adds `service`. */
export function createLogger(config: Pick<AppConfig, 'log'>): Logger {
  return pino({
    level: config.log.level,
    base: { pid: process.pid },
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    // Database errors carry the query's parameters and stored values: see serializeError.
    serializers: { err: serializeError, error: serializeError },
    timestamp: pino.stdTimeFunctions.isoTime,
    ...(config.log.format === 'pretty'
      ? { transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l' } } }
      : {}),
  });
}
