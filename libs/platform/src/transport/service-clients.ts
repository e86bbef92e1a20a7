import { Inject, Injectable } from '@nestjs/common';
import type { ClientProxy } from '@nestjs/microservices';
import type { MetricsMessages, RegistryMessages } from '@modelyard/contracts';
import type { AppConfig } from '../config/config.js';
import type { Logger } from '../logging/logger.js';
import type { Metrics } from '../metrics/metrics.js';
import { APP_CONFIG, LOGGER, METRICS } from '../platform.module.js';
import { RpcClient } from './rpc.client.js';

/** The transport to the registry: TCP in distributed mode, in-process in standalone. */
export const REGISTRY_TRANSPORT = Symbol('RegistryTransport');
/** The transport to the metrics service. */
export const METRICS_TRANSPORT = Symbol('MetricsTransport');

/** Typed calls to the registry, for the gateway and the workers. */
@Injectable()
export class RegistryClient extends RpcClient<RegistryMessages> {
  constructor(
    @Inject(REGISTRY_TRANSPORT) transport: ClientProxy,
    @Inject(APP_CONFIG) config: AppConfig,
    @Inject(LOGGER) logger: Logger,
    @Inject(METRICS) metrics: Metrics,
  ) {
    super({ service: 'registry', transport, timeoutMs: config.registry.rpcTimeoutMs, logger, metrics });
  }
}

/** Typed calls to the metrics service, for the gateway. */
@Injectable()
export class MetricsClient extends RpcClient<MetricsMessages> {
  constructor(
    @Inject(METRICS_TRANSPORT) transport: ClientProxy,
    @Inject(APP_CONFIG) config: AppConfig,
    @Inject(LOGGER) logger: Logger,
    @Inject(METRICS) metrics: Metrics,
  ) {
    super({ service: 'metrics', transport, timeoutMs: config.registry.rpcTimeoutMs, logger, metrics });
  }
}
