import { NestFactory } from '@nestjs/core';
import { type CustomTransportStrategy, type MicroserviceOptions, Transport } from '@nestjs/microservices';
import type { INestMicroservice } from '@nestjs/common';
import { createValidationPipe, PinoNestLogger, RpcProblemFilter, type Platform } from '@modelyard/platform';
import { RegistryModule } from './registry.module.js';
import { RegistryHealthController } from './health/registry-health.controller.js';

export interface RegistryApp {
  app: INestMicroservice;
  /** Readiness checks of this registry (its connection pool and ports), for a health server. */
  readinessChecks: Record<string, () => Promise<unknown>>;
  close(): Promise<void>;
}

/**
 * Starts the registry's message handlers on a transport: in-process in standalone mode, TCP when
 * the registry is its own process. Migrations must have run (see runRegistryMigrations).
 */
export async function startRegistry(
  platform: Platform,
  transport: { strategy: CustomTransportStrategy } | { tcp: { host: string; port: number } },
): Promise<RegistryApp> {
  const logger = platform.logger.child({ service: 'registry' });
  const options: MicroserviceOptions =
    'strategy' in transport
      ? { strategy: transport.strategy }
      : { transport: Transport.TCP, options: { host: transport.tcp.host, port: transport.tcp.port } };
  const app = await NestFactory.createMicroservice<MicroserviceOptions>(RegistryModule.forRoot(platform), {
    ...options,
    logger: new PinoNestLogger(logger),
  });
  app.useGlobalPipes(createValidationPipe());
  app.useGlobalFilters(new RpcProblemFilter(logger));
  await app.listen();
  return {
    app,
    readinessChecks: app.get(RegistryHealthController).checks(),
    close: () => app.close(),
  };
}
