import { type ArgumentsHost, Catch, type RpcExceptionFilter } from '@nestjs/common';
import { type Observable, throwError } from 'rxjs';
import type { Logger } from 'pino';
import { toProblem } from './http-problem.filter.js';

/**
 * Serialises whatever a message handler threw into a ProblemDetails object, the error shape every
 * transport carries unchanged (TCP, in-process). The gateway rebuilds a DomainException from it.
 */
@Catch()
export class RpcProblemFilter implements RpcExceptionFilter<unknown> {
  constructor(private readonly logger: Logger) {}

  catch(exception: unknown, _host: ArgumentsHost): Observable<never> {
    return throwError(() => toProblem(exception, this.logger, 0));
  }
}
