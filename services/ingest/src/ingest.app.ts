import { NestFactory } from '@nestjs/core';
import type { INestApplicationContext } from '@nestjs/common';
import type { ClientProxy } from '@nestjs/microservices';
import { PinoNestLogger, type Platform } from '@modelyard/platform';
import { IngestModule } from './ingest.module.js';

export interface IngestOptions {
  /** How the worker reaches the registry (TCP in distributed mode, in-process in standalone). */
  registryTransport: ClientProxy;
}

/** A queue/consumer worker: a Nest application context, no HTTP server. */
export async function startIngest(platform: Platform, options: IngestOptions): Promise<{ app: INestApplicationContext; close(): Promise<void> }> {
  const app = await NestFactory.createApplicationContext(IngestModule.forRoot(platform, options.registryTransport), {
    logger: new PinoNestLogger(platform.logger.child({ service: 'ingest' })),
  });
  await app.init();
  return { app, close: () => app.close() };
}
