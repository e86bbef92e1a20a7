import type { FastifyServerOptions } from 'fastify';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { CommonErrorCode, DomainException, PROBLEM_CONTENT_TYPE, sendProblem } from '@modelyard/platform';

/**
 * Requests Fastify refuses before any route or hook runs: a URL whose percent-encoding does not
 * decode (`/api/v1/ai-models/%`, 400) and a path parameter over its length limit (414). Without
 * this they are answered in Fastify's own JSON, not as problems.
 */
export const frameworkErrors: NonNullable<FastifyServerOptions['frameworkErrors']> = (error, request, reply) => {
  const status = error.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 414 : 400;
  const detail =
    status === 414
      ? 'A path segment of the request URL is longer than the server accepts.'
      : 'The request URL is not valid: its percent-encoding does not decode.';
  sendProblem(reply, request, new DomainException(status, CommonErrorCode.MalformedRequest, detail).toProblem());
};

/** What Node's HTTP parser refused, as a problem. */
function clientProblem(code: string | undefined): DomainException {
  if (code === 'HPE_HEADER_OVERFLOW') {
    return new DomainException(431, 'request_headers_too_large', 'The request headers, URL included, are larger than the server accepts.');
  }
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return new DomainException(408, 'request_timeout', 'The request did not arrive in full in time.');
  return new DomainException(400, CommonErrorCode.MalformedRequest, 'The request is not well-formed HTTP/1.1.');
}

/**
 * Requests Node's HTTP parser refuses before Fastify sees them (headers over the size limit, bytes
 * that are not HTTP, a request that is too slow to arrive): written on the socket as a problem,
 * where Fastify's default handler writes its own JSON. The connection is closed after it, as
 * Node and Fastify do, since what follows on it cannot be trusted.
 */
export function clientErrorHandler(error: Error & { code?: string }, socket: Socket): void {
  // A reset connection has no one to answer.
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const problem = clientProblem(error.code).toProblem();
  const body = JSON.stringify(problem);
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${problem.status} ${STATUS_CODES[problem.status]}\r\nContent-Type: ${PROBLEM_CONTENT_TYPE}\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}
