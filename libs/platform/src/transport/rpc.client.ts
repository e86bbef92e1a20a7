import type { ClientProxy } from '@nestjs/microservices';
import { firstValueFrom, timeout, TimeoutError } from 'rxjs';
import { CommonErrorCode, DomainException, isProblemDetails } from '../errors/problem.js';
import type { Logger } from '../logging/logger.js';
import type { Metrics } from '../metrics/metrics.js';

/** A map of message pattern → request and response types (RegistryMessages, MetricsMessages …). */
export type MessageMap<M> = { [P in keyof M]: { request: unknown; response: unknown } };

export interface RpcClientOptions {
  /** Names the service in 503/504 problems and logs ("registry", "metrics"). */
  service: string;
  transport: ClientProxy;
  timeoutMs: number;
  logger: Logger;
  metrics: Metrics;
}

/**
 * Typed requests to another service over whichever transport the process was given (TCP in
 * distributed mode, in-process in standalone). A problem the service answered is rethrown as the
 * same DomainException; a service that is down or slow becomes a 503 or 504 problem.
 */
export class RpcClient<M extends MessageMap<M>> {
  constructor(private readonly options: RpcClientOptions) {}

  async send<P extends keyof M & string>(pattern: P, request: M[P]['request'], timeoutMs = this.options.timeoutMs): Promise<M[P]['response']> {
    const { service, transport, metrics, logger } = this.options;
    const stopTimer = metrics.rpcRequestDuration.startTimer({ pattern });
    try {
      const response = await firstValueFrom(transport.send<M[P]['response'], M[P]['request']>(pattern, request).pipe(timeout(timeoutMs)));
      stopTimer({ outcome: 'ok' });
      return response;
    } catch (error) {
      stopTimer({ outcome: isProblemDetails(error) ? 'problem' : error instanceof TimeoutError ? 'timeout' : 'unavailable' });
      if (isProblemDetails(error)) throw DomainException.fromProblem(error);
      if (error instanceof TimeoutError) {
        throw new DomainException(504, CommonErrorCode.UpstreamTimeout, `The ${service} did not answer within ${timeoutMs} ms.`);
      }
      logger.error({ err: error, pattern }, `${service} request failed`);
      throw new DomainException(503, CommonErrorCode.ServiceUnavailable, `The ${service} service cannot be reached; try again shortly.`);
    }
  }
}
