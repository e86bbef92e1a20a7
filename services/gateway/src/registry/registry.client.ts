import { Inject, Injectable } from '@nestjs/common';
import type { ClientProxy } from '@nestjs/microservices';
import { firstValueFrom, timeout, TimeoutError } from 'rxjs';
import type { RegistryMessages } from '@modelyard/contracts';
import {
  APP_CONFIG,
  CommonErrorCode,
  DomainException,
  isProblemDetails,
  LOGGER,
  METRICS,
  type AppConfig,
  type Logger,
  type Metrics,
} from '@modelyard/platform';

export const REGISTRY_TRANSPORT = Symbol('RegistryTransport');

/**
 * Typed requests to the registry over whichever transport the process was given. A problem the
 * registry answered is rethrown as the same DomainException; a registry that is down or slow
 * becomes a 503 or 504 problem.
 */
@Injectable()
export class RegistryClient {
  constructor(
    @Inject(REGISTRY_TRANSPORT) private readonly transport: ClientProxy,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(METRICS) private readonly metrics: Metrics,
  ) {}

  async send<P extends keyof RegistryMessages>(
    pattern: P,
    request: RegistryMessages[P]['request'],
  ): Promise<RegistryMessages[P]['response']> {
    const timeoutMs = this.config.registry.rpcTimeoutMs;
    const stopTimer = this.metrics.rpcRequestDuration.startTimer({ pattern });
    try {
      const response = await firstValueFrom(
        this.transport.send<RegistryMessages[P]['response']>(pattern, request).pipe(timeout(timeoutMs)),
      );
      stopTimer({ outcome: 'ok' });
      return response;
    } catch (error) {
      stopTimer({ outcome: isProblemDetails(error) ? 'problem' : error instanceof TimeoutError ? 'timeout' : 'unavailable' });
      if (isProblemDetails(error)) throw DomainException.fromProblem(error);
      if (error instanceof TimeoutError) {
        throw new DomainException(504, CommonErrorCode.UpstreamTimeout, `The registry did not answer within ${timeoutMs} ms.`);
      }
      this.logger.error({ err: error, pattern }, 'registry request failed');
      throw new DomainException(503, CommonErrorCode.ServiceUnavailable, 'The registry service cannot be reached; try again shortly.');
    }
  }
}
