import { applyDecorators } from '@nestjs/common';
import { ApiResponse, getSchemaPath } from '@nestjs/swagger';
import { ProblemDto } from '@modelyard/contracts';

/** What each problem status means, as the API documents it. */
export const PROBLEM_WHEN: Readonly<Record<number, string>> = {
  400: 'Malformed request (invalid JSON, or a multipart body that is not well-formed).',
  401: 'Missing or invalid bearer token.',
  404: 'No model has this id (malformed ids included).',
  408: 'An upload received no byte for MODELYARD_UPLOAD_IDLE_TIMEOUT_MS: it was abandoned and nothing was stored.',
  409: 'Conflicts with the stored state (see detail).',
  413: 'Request body over the size limit.',
  415: 'Body is not application/json.',
  422: 'Invalid field values; `errors` names each field.',
  424: 'The model provider could not be reached, or failed, where the request depends on it (see detail).',
  429: 'The model provider is rate-limiting; `retry_after` (and the Retry-After header) says when to try again.',
  502: 'An upstream (a model provider, or the Hugging Face Hub) failed or answered something unusable.',
  503: 'A service behind the gateway cannot be reached.',
  504: 'A service behind the gateway, or the model provider, did not answer in time.',
};

/** The OpenAPI response of a problem status. */
export const problemResponse = (status: number) => ({
  description: PROBLEM_WHEN[status] ?? 'Problem details.',
  content: { 'application/problem+json': { schema: { $ref: getSchemaPath(ProblemDto) } } },
});

/** Documents the RFC 9457 problem answers a route can give. */
export const ApiProblems = (...statuses: number[]): MethodDecorator & ClassDecorator =>
  applyDecorators(...statuses.map((status) => ApiResponse({ status, ...problemResponse(status) })));
