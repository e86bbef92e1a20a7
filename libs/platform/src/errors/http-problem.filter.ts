import { randomUUID } from 'node:crypto';
import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import {
  boundProblem,
  CommonErrorCode,
  DomainException,
  PROBLEM_CONTENT_TYPE,
  problemTitleOf,
  problemTypeOf,
  type ProblemDetails,
} from './problem.js';

const HTTP_CODES: Record<number, CommonErrorCode> = {
  400: CommonErrorCode.MalformedRequest,
  401: CommonErrorCode.Unauthorized,
  404: CommonErrorCode.NotFound,
  405: CommonErrorCode.MethodNotAllowed,
  413: CommonErrorCode.PayloadTooLarge,
  415: CommonErrorCode.UnsupportedMediaType,
  422: CommonErrorCode.ValidationFailed,
  503: CommonErrorCode.ServiceUnavailable,
  504: CommonErrorCode.UpstreamTimeout,
};

/** Fastify's own request errors (raised before a Nest handler runs), with a message a person can act on. */
const FASTIFY_ERRORS: Record<string, { status: number; detail: (limit: number) => string }> = {
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, detail: () => 'The request body is not valid JSON.' },
  FST_ERR_CTP_EMPTY_JSON_BODY: {
    status: 400,
    detail: () => 'The request says its body is JSON (Content-Type: application/json) but the body is empty.',
  },
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, detail: (limit) => `The request body is larger than the limit of ${limit} bytes.` },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    status: 415,
    detail: () => 'Unsupported Content-Type: send the body as application/json.',
  },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, detail: () => 'Content-Length does not match the body.' },
};

interface FastifyLikeError {
  code?: string;
  statusCode?: number;
  message?: string;
}

/**
 * Renders every failure as an RFC 9457 problem. Expected failures keep their status and message;
 * anything else is a 500 whose details go only to the log, under an error id given to the client.
 */
export function toProblem(exception: unknown, logger: Logger, bodyLimitBytes: number): ProblemDetails {
  if (exception instanceof DomainException) return exception.toProblem();

  // Nest hands Fastify's request errors to filters wrapped in an HttpException, the original as `cause`.
  const fastify = (exception instanceof HttpException ? exception.cause : exception) as FastifyLikeError | undefined;
  if (fastify?.code && fastify.code in FASTIFY_ERRORS) {
    const known = FASTIFY_ERRORS[fastify.code]!;
    return new DomainException(known.status, HTTP_CODES[known.status]!, known.detail(bodyLimitBytes)).toProblem();
  }

  if (exception instanceof HttpException && exception.getStatus() < 500) {
    const status = exception.getStatus();
    const response = exception.getResponse();
    const message =
      typeof response === 'object' && response !== null && 'message' in response
        ? String((response as { message: unknown }).message)
        : exception.message;
    return new DomainException(status, HTTP_CODES[status] ?? 'client_error', message).toProblem();
  }
  if (typeof fastify?.statusCode === 'number' && fastify.statusCode >= 400 && fastify.statusCode < 500) {
    const status = fastify.statusCode;
    return new DomainException(status, HTTP_CODES[status] ?? 'client_error', fastify.message ?? problemTitleOf(status)).toProblem();
  }

  const errorId = randomUUID();
  logger.error({ err: exception, error_id: errorId }, 'unhandled error');
  return {
    type: problemTypeOf(CommonErrorCode.Internal),
    title: problemTitleOf(500),
    status: 500,
    code: CommonErrorCode.Internal,
    detail: `An unexpected error occurred; it was logged with error id ${errorId}.`,
    error_id: errorId,
  };
}

export function sendProblem(reply: FastifyReply, request: FastifyRequest, problem: ProblemDetails): void {
  const body = boundProblem({ ...problem, instance: request.url });
  if (problem.status === 401) void reply.header('www-authenticate', 'Bearer realm="modelyard"');
  if (problem.retry_after !== undefined) void reply.header('retry-after', String(Math.max(0, Math.ceil(problem.retry_after))));
  void reply.status(problem.status).header('content-type', PROBLEM_CONTENT_TYPE).send(body);
}

/**
 * Recognises an error that a library of one feature throws (a parser's own error type, say) and
 * gives the domain exception it means; undefined for any other error.
 */
export type ExceptionTranslator = (exception: unknown) => DomainException | undefined;

@Catch()
export class HttpProblemFilter implements ExceptionFilter {
  constructor(
    private readonly logger: Logger,
    private readonly bodyLimitBytes: number,
    private readonly translators: readonly ExceptionTranslator[] = [],
  ) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    let known: DomainException | undefined;
    for (const translate of this.translators) known ??= translate(exception);
    sendProblem(http.getResponse<FastifyReply>(), http.getRequest<FastifyRequest>(), toProblem(known ?? exception, this.logger, this.bodyLimitBytes));
  }
}
