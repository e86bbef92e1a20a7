import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import { answerMethodNotAllowed, RouteTable } from './allowed-methods.util.js';

describe('RouteTable', () => {
  const table = new RouteTable();
  for (const [method, url] of [
    ['GET', '/api/v1/ai-models'],
    ['POST', '/api/v1/ai-models'],
    ['GET', '/api/v1/ai-models/:id'],
    ['PATCH', '/api/v1/ai-models/:id'],
    ['DELETE', '/api/v1/ai-models/:id'],
    ['POST', '/api/v1/ai-models/:id/test'],
    ['GET', '/api/docs/*'],
    ['GET', '/*'],
  ] as const) {
    table.add(method, url);
  }

  it('lists the methods of the routes a path matches, HEAD beside GET, in a fixed order', () => {
    expect(table.allowedMethods('/api/v1/ai-models')).toEqual(['GET', 'HEAD', 'POST']);
    expect(table.allowedMethods('/api/v1/ai-models/')).toEqual(['GET', 'HEAD', 'POST']);
    expect(table.allowedMethods('/api/v1/ai-models/4f0c')).toEqual(['GET', 'HEAD', 'PATCH', 'DELETE']);
    expect(table.allowedMethods('/api/v1/ai-models/4f0c/test')).toEqual(['POST']);
    expect(table.allowedMethods('/api/docs/static/index.css')).toEqual(['GET', 'HEAD']);
  });

  it('knows no methods for a path no route has; a bare catch-all does not count', () => {
    expect(table.allowedMethods('/api/v1/nothing')).toEqual([]);
    expect(table.allowedMethods('/api/v1/ai-models/4f0c/test/more')).toEqual([]);
    expect(table.allowedMethods('/models')).toEqual([]);
  });
});

describe('answerMethodNotAllowed', () => {
  let fastify: FastifyInstance;
  let base: string;
  // Over a real socket with node:http: Fastify's inject() needs an ESM-only package Jest cannot
  // load, and fetch() refuses to send TRACE.
  const call = (method: string, url: string) =>
    new Promise<{ statusCode: number; headers: Headers; text: string }>((resolve, reject) => {
      const request = httpRequest(`${base}${url}`, { method }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const headers = new Headers();
          for (const [name, value] of Object.entries(response.headers)) if (typeof value === 'string') headers.set(name, value);
          resolve({ statusCode: response.statusCode!, headers, text: Buffer.concat(chunks).toString('utf8') });
        });
      });
      request.on('error', reject);
      request.end();
    });
  beforeAll(async () => {
    fastify = Fastify();
    answerMethodNotAllowed(fastify);
    fastify.get('/api/v1/ai-models', async () => ({ items: [] }));
    fastify.post('/api/v1/ai-models', async () => ({}));
    fastify.get('/api/v1/ai-models/:id', async () => ({}));
    fastify.delete('/api/v1/ai-models/:id', async () => ({}));
    fastify.post('/api/v1/ai-models/:id/test', async () => ({}));
    // As the web console's: any other GET, which sends API paths on to the not-found handler.
    fastify.get('/*', async (request, reply) => (request.url.startsWith('/api/') ? reply.callNotFound() : 'console'));
    await fastify.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(fastify.server.address() as AddressInfo).port}`;
  });
  afterAll(() => fastify.close());

  it.each([
    ['TRACE', '/api/v1/ai-models', 'GET, HEAD, POST'],
    ['DELETE', '/api/v1/ai-models', 'GET, HEAD, POST'],
    ['PUT', '/api/v1/ai-models/4f0c?x=1', 'GET, HEAD, DELETE'],
    ['OPTIONS', '/api/v1/ai-models/4f0c', 'GET, HEAD, DELETE'],
    ['GET', '/api/v1/ai-models/4f0c/test', 'POST'],
  ] as const)('answers %s %s with 405, an Allow header and a problem', async (method, url, allow) => {
    const response = await call(method, url);
    expect(response.statusCode).toBe(405);
    expect(response.headers.get('allow')).toBe(allow);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    const problem = JSON.parse(response.text) as { detail: string };
    expect(problem).toMatchObject({ status: 405, code: 'method_not_allowed', title: 'Method Not Allowed' });
    expect(problem.detail).toContain(`it answers ${allow}`);
  });

  it('leaves unknown paths to the not-found handler, and supported methods alone', async () => {
    expect((await call('TRACE', '/api/v1/nothing')).statusCode).toBe(404);
    expect((await call('GET', '/api/v1/ai-models')).statusCode).toBe(200);
    expect((await call('HEAD', '/api/v1/ai-models/4f0c')).statusCode).toBe(200);
    expect((await call('GET', '/api/v1/nothing')).statusCode).toBe(404);
    expect(await call('GET', '/models/4f0c')).toMatchObject({ statusCode: 200, text: 'console' });
  });
});
