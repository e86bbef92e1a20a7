import { NestFactory } from '@nestjs/core';
import type { INestApplicationContext } from '@nestjs/common';
import { PinoNestLogger, type Platform } from '@modelyard/platform';
import { MetricsModule } from './metrics.module.js';

/** A queue/consumer worker: a Nest application context, no HTTP server. */
export async function startMetrics(platform: Platform): Promise<{ app: INestApplicationContext; close(): Promise<void> }> {
  const app = await NestFactory.createApplicationContext(MetricsModule.forRoot(platform), {
    logger: new PinoNestLogger(platform.logger.child({ service: 'metrics' })),
  });
  await app.init();
  return { app, close: () => app.close() };
}
