import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import Fastify, { type FastifyInstance } from 'fastify';
import { connect, type AddressInfo } from 'node:net';
import { clientErrorHandler, frameworkErrors } from './framework-errors.util.js';

/** Writes raw bytes and reads everything the server answers before it closes the connection. */
function exchange(port: number, request: string): Promise<{ head: string; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port }, () => socket.end(request));
    const chunks: Buffer[] = [];
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const [head, body] = text.split('\r\n\r\n');
      resolve({ head: head!, body: JSON.parse(body!) as Record<string, unknown> });
    });
  });
}

describe('requests refused before any route', () => {
  let fastify: FastifyInstance;
  let port: number;
  beforeAll(async () => {
    fastify = Fastify({ frameworkErrors, clientErrorHandler });
    fastify.get('/api/v1/ai-models/:id', async () => ({}));
    await fastify.listen({ port: 0, host: '127.0.0.1' });
    port = (fastify.server.address() as AddressInfo).port;
  });
  afterAll(() => fastify.close());

  it('answers a URL that does not decode with a 400 problem', async () => {
    const { head, body } = await exchange(port, 'GET /api/v1/ai-models/% HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(head).toMatch(/^HTTP\/1\.1 400 /);
    expect(head.toLowerCase()).toContain('content-type: application/problem+json');
    expect(body).toMatchObject({ status: 400, code: 'malformed_request', title: 'Bad Request', instance: '/api/v1/ai-models/%' });
  });

  it('answers headers over the limit with a 431 problem', async () => {
    const { head, body } = await exchange(port, `GET /api/v1/ai-models/x HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    expect(head).toMatch(/^HTTP\/1\.1 431 /);
    expect(head).toContain('Content-Type: application/problem+json');
    expect(body).toMatchObject({ status: 431, code: 'request_headers_too_large', title: 'Request Header Fields Too Large' });
  });

  it('answers bytes that are not HTTP with a 400 problem', async () => {
    const { head, body } = await exchange(port, 'NOT HTTP AT ALL\r\n\r\n');
    expect(head).toMatch(/^HTTP\/1\.1 400 /);
    expect(body).toMatchObject({ status: 400, code: 'malformed_request', detail: 'The request is not well-formed HTTP/1.1.' });
  });
});
