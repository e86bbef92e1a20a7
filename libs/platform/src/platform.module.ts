import { type DynamicModule, Global, Module } from '@nestjs/common';
import { BLOB_STORE } from './ports/blob-store.port.js';
import { DATABASE } from './ports/database.port.js';
import { EVENT_BUS } from './ports/event-bus.port.js';
import { JOB_QUEUE } from './ports/job-queue.port.js';
import { RATE_LIMIT_STORE } from './ports/rate-limit-store.port.js';
import { SESSION_STORE } from './ports/session-store.port.js';
import type { Platform } from './platform.js';
import { SecretCipher } from './secrets/secret-cipher.js';

export const APP_CONFIG = Symbol('AppConfig');
export const LOGGER = Symbol('Logger');
export const PLATFORM = Symbol('Platform');
export const METRICS = Symbol('Metrics');

/** Makes the process's config, logger and ports injectable in every module of a service. */
@Global()
@Module({})
export class PlatformModule {
  /** `service` names the log lines of the service this module serves. */
  static forRoot(platform: Platform, service: string): DynamicModule {
    const logger = platform.logger.child({ service });
    const providers = [
      { provide: PLATFORM, useValue: platform },
      { provide: APP_CONFIG, useValue: platform.config },
      { provide: LOGGER, useValue: logger },
      ...(platform.database ? [{ provide: DATABASE, useValue: platform.database }] : []),
      { provide: EVENT_BUS, useValue: platform.eventBus },
      { provide: JOB_QUEUE, useValue: platform.jobQueue },
      { provide: BLOB_STORE, useValue: platform.blobStore },
      { provide: SESSION_STORE, useValue: platform.sessions },
      { provide: RATE_LIMIT_STORE, useValue: platform.rateLimits },
      { provide: METRICS, useValue: platform.metrics },
      // Injected by class; a process created without secrets cannot resolve it, and Nest says so at start.
      ...(platform.secrets ? [{ provide: SecretCipher, useValue: platform.secrets }] : []),
    ];
    return { module: PlatformModule, providers, exports: providers.map((p) => p.provide) };
  }
}
