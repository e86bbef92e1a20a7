import type { OpenAPIObject } from '@nestjs/swagger';
import { problemResponse } from './api-problems.decorator.js';

/** Methods whose requests may carry a body, which Fastify parses before any route runs. */
const BODY_METHODS = new Set(['post', 'put', 'patch', 'delete']);
const HTTP_METHODS = new Set(['get', 'head', 'post', 'put', 'patch', 'delete', 'options', 'trace']);

/**
 * Adds to every operation of the document the problems the gateway itself can answer on any route,
 * before its handler runs, so that no operation's list misses them: 422 for a query string or path
 * holding NUL or unpaired surrogates (http/request-input.util.ts), and, where a body may be sent,
 * 400 (not JSON), 413 (over the body limit) and 415 (not application/json). A route documents the
 * statuses of its own logic with @ApiProblems.
 */
export function documentGatewayProblems(document: OpenAPIObject): OpenAPIObject {
  for (const item of Object.values(document.paths)) {
    for (const [method, operation] of Object.entries(item)) {
      if (!HTTP_METHODS.has(method) || typeof operation !== 'object' || operation === null || !('responses' in operation)) continue;
      const statuses = BODY_METHODS.has(method) ? [400, 413, 415, 422] : [422];
      for (const status of statuses) operation.responses[String(status)] ??= problemResponse(status);
    }
  }
  return document;
}
