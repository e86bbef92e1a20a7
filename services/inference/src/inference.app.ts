import { NestFactory } from '@nestjs/core';
import type { INestApplicationContext } from '@nestjs/common';
import { PinoNestLogger, type Platform } from '@modelyard/platform';
import { InferenceModule } from './inference.module.js';

/** A queue/consumer worker: a Nest application context, no HTTP server. */
export async function startInference(platform: Platform): Promise<{ app: INestApplicationContext; close(): Promise<void> }> {
  const app = await NestFactory.createApplicationContext(InferenceModule.forRoot(platform), {
    logger: new PinoNestLogger(platform.logger.child({ service: 'inference' })),
  });
  await app.init();
  return { app, close: () => app.close() };
}
