import { applyDecorators } from '@nestjs/common';
import { ApiResponse, getSchemaPath } from '@nestjs/swagger';
import { ProblemDto } from '@modelyard/contracts';

const WHEN: Record<number, string> = {
  400: 'Malformed request (e.g. invalid JSON).',
  401: 'Missing or invalid bearer token.',
  404: 'No model has this id (malformed ids included).',
  409: 'Conflicts with the stored state (see detail).',
  413: 'Request body over the size limit.',
  415: 'Body is not application/json.',
  422: 'Invalid field values; `errors` names each field.',
  503: 'A service behind the gateway cannot be reached.',
  504: 'A service behind the gateway did not answer in time.',
};

/** Documents the RFC 9457 problem answers a route can give. */
export const ApiProblems = (...statuses: number[]): MethodDecorator & ClassDecorator =>
  applyDecorators(
    ...statuses.map((status) =>
      ApiResponse({
        status,
        description: WHEN[status] ?? 'Problem details.',
        content: { 'application/problem+json': { schema: { $ref: getSchemaPath(ProblemDto) } } },
      }),
    ),
  );
