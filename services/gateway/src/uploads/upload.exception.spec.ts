import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import multipart from '@fastify/multipart';
import Fastify, { type FastifyInstance } from 'fastify';
import type { AddressInfo } from 'node:net';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import { explainMultipartError } from './upload.exception.js';

/**
 * The parser's real errors, not copies of their messages: a route reads the file as the upload
 * controller and service do, and answers what explainMultipartError makes of whatever it threw.
 */
describe('explainMultipartError', () => {
  let fastify: FastifyInstance;
  let base: string;
  beforeAll(async () => {
    fastify = Fastify();
    await fastify.register(multipart, { limits: { files: 1, fields: 5, parts: 6 } });
    fastify.post('/upload', async (request) => {
      try {
        const file = await request.file();
        if (file) await pipeline(file.file, new Writable({ write: (_chunk, _encoding, done) => done() }));
        return { explained: null, file: file?.filename ?? null };
      } catch (error) {
        const problem = explainMultipartError(error)?.toProblem();
        return { explained: problem ?? `unrecognised: ${(error as Error).message}` };
      }
    });
    await fastify.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(fastify.server.address() as AddressInfo).port}`;
  });
  afterAll(() => fastify.close());

  const upload = async (contentType: string, body: string) => {
    const response = await fetch(`${base}/upload`, { method: 'POST', headers: { 'content-type': contentType }, body });
    return (await response.json()) as { explained: unknown; file?: string };
  };

  it.each([
    ['a part whose headers never end', 'multipart/form-data; boundary=XYZ', '--XYZ\r\nabc--XYZ--\r\n', 'it ends before a part is complete'],
    ['no boundary in the Content-Type', 'multipart/form-data', '--XYZ\r\n\r\n--XYZ--\r\n', 'names no boundary'],
    [
      'a file part cut off before its boundary',
      'multipart/form-data; boundary=XYZ',
      '--XYZ\r\nContent-Disposition: form-data; name="file"; filename="m.onnx"\r\n\r\nabc',
      'it ends in the middle of a part',
    ],
  ])('answers 400 malformed_multipart for %s', async (_case, contentType, body, reason) => {
    const { explained } = await upload(contentType, body);
    expect(explained).toMatchObject({ status: 400, code: 'malformed_multipart' });
    expect((explained as { detail: string }).detail).toContain(reason);
  });

  it('leaves a well-formed upload and other errors alone', async () => {
    const body = '--XYZ\r\nContent-Disposition: form-data; name="file"; filename="m.onnx"\r\n\r\nabc\r\n--XYZ--\r\n';
    expect(await upload('multipart/form-data; boundary=XYZ', body)).toEqual({ explained: null, file: 'm.onnx' });
    expect(explainMultipartError(new Error('connect ECONNREFUSED'))).toBeUndefined();
    expect(explainMultipartError(Object.assign(new Error('Unexpected end of multipart data'), { code: 'ECONNRESET' }))).toBeUndefined();
    expect(explainMultipartError('Unexpected end of multipart data')).toBeUndefined();
  });

  it('explains the parser limits as too many parts', () => {
    expect(explainMultipartError(Object.assign(new Error('reach files limit'), { code: 'FST_FILES_LIMIT', statusCode: 413 }))?.toProblem()).toMatchObject({
      status: 413,
      code: 'upload_too_many_parts',
    });
  });
});
