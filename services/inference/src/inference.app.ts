import { NestFactory } from '@nestjs/core';
import type { INestApplicationContext } from '@nestjs/common';
import type { ClientProxy } from '@nestjs/microservices';
import { PinoNestLogger, type Platform } from '@modelyard/platform';
import { InferenceModule } from './inference.module.js';

export interface InferenceOptions {
  /** How the worker reaches the registry (TCP in distributed mode, in-process in standalone). */
  registryTransport: ClientProxy;
}

/** A queue worker: a Nest application context, no HTTP server. */
export async function startInference(platform: Platform, options: InferenceOptions): Promise<{ app: INestApplicationContext; close(): Promise<void> }> {
  const app = await NestFactory.createApplicationContext(InferenceModule.forRoot(platform, options.registryTransport), {
    logger: new PinoNestLogger(platform.logger.child({ service: 'inference' })),
  });
  await app.init();
  return { app, close: () => app.close() };
}
