import { describe, expect, it } from '@jest/globals';
import type { OpenAPIObject } from '@nestjs/swagger';
import { documentGatewayProblems } from './gateway-problems.util.js';

const ok = { '200': { description: 'OK' } };

describe('documentGatewayProblems', () => {
  it('adds what the gateway answers on every route: 422 everywhere, 400/413/415 where a body may come', () => {
    const document = {
      openapi: '3.0.0',
      info: { title: 't', version: '1' },
      paths: {
        '/things': { get: { responses: { ...ok } }, post: { responses: { ...ok, '409': { description: 'Conflict' } } } },
        '/things/{id}': { delete: { responses: { '204': { description: 'Deleted' } } }, parameters: [] },
      },
    } as unknown as OpenAPIObject;
    const responses = (path: string, method: string) => Object.keys((document.paths[path] as Record<string, { responses: object }>)[method]!.responses).sort();

    documentGatewayProblems(document);
    expect(responses('/things', 'get')).toEqual(['200', '422']);
    expect(responses('/things', 'post')).toEqual(['200', '400', '409', '413', '415', '422']);
    expect(responses('/things/{id}', 'delete')).toEqual(['204', '400', '413', '415', '422']);
    expect((document.paths['/things']!.get!.responses['422'] as { content: object }).content).toEqual({
      'application/problem+json': { schema: { $ref: '#/components/schemas/ProblemDto' } },
    });
  });

  it("keeps a route's own description of a status it documents", () => {
    const document = { paths: { '/x': { post: { responses: { '400': { description: 'Own words.' } } } } } } as unknown as OpenAPIObject;
    documentGatewayProblems(document);
    expect(document.paths['/x']!.post!.responses['400']).toEqual({ description: 'Own words.' });
  });
});
