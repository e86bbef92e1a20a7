import { NestFactory } from '@nestjs/core';
import type { INestApplicationContext } from '@nestjs/common';
import { type CustomTransportStrategy, type MicroserviceOptions, Transport } from '@nestjs/microservices';
import { createValidationPipe, PinoNestLogger, RpcProblemFilter, type Platform } from '@modelyard/platform';
import { MetricsHealthController } from './health/metrics-health.controller.js';
import { MetricsModule } from './metrics.module.js';

/** Where the metrics service answers its RPC patterns (METRICS_PATTERNS); at most one of the two. */
export interface MetricsAppOptions {
  /** A transport in this process: standalone mode gives it an InProcessRpcServer of its own. */
  strategy?: CustomTransportStrategy;
  /** TCP, when the metrics service is its own process. */
  tcp?: { host: string; port: number };
}

export interface MetricsApp {
  app: INestApplicationContext;
  /** Readiness checks of this service (its connection pool and ports), for a health server. */
  readinessChecks: Record<string, () => Promise<unknown>>;
  close(): Promise<void>;
}

/**
 * Starts the metrics service's consumers and, given a transport, its message handlers. Without
 * one it is a consumer-only worker (a Nest application context, nothing listening) and nobody can
 * ask it for stats. Migrations must have run (see runMetricsMigrations).
 */
export async function startMetrics(platform: Platform, options: MetricsAppOptions = {}): Promise<MetricsApp> {
  if (options.strategy && options.tcp) throw new Error('startMetrics takes a strategy or a TCP address, not both');
  const logger = platform.logger.child({ service: 'metrics' });
  const module = MetricsModule.forRoot(platform);
  let app: INestApplicationContext;
  if (options.strategy || options.tcp) {
    const transport: MicroserviceOptions = options.strategy
      ? { strategy: options.strategy }
      : { transport: Transport.TCP, options: { host: options.tcp!.host, port: options.tcp!.port } };
    const microservice = await NestFactory.createMicroservice<MicroserviceOptions>(module, { ...transport, logger: new PinoNestLogger(logger) });
    microservice.useGlobalPipes(createValidationPipe());
    microservice.useGlobalFilters(new RpcProblemFilter(logger));
    await microservice.listen();
    app = microservice;
  } else {
    app = await NestFactory.createApplicationContext(module, { logger: new PinoNestLogger(logger) });
    await app.init();
  }
  return { app, readinessChecks: app.get(MetricsHealthController).checks(), close: () => app.close() };
}
