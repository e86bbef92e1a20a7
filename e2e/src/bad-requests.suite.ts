import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import type { ModelDto } from '@modelyard/contracts';
import type { ProblemDetails } from '@modelyard/platform';
import { linearOnnxModel, manyInputsOnnxModel, newModelBody, type ApiClient, type ApiResponse } from '@modelyard/testing';
import type { SystemUnderTest } from './support/system.js';

const BASE = '/api/v1/ai-models';
const UNKNOWN_ID = '00000000-0000-4000-8000-000000000000';

function expectProblem(response: ApiResponse<unknown>, status: number, code?: string): ProblemDetails {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toContain('application/problem+json');
  const problem = response.body as ProblemDetails;
  expect(problem).toMatchObject({ status, type: expect.stringMatching(/^urn:modelyard:problem:/) });
  if (code) expect(problem.code).toBe(code);
  return problem;
}

/** `{"name": …, "config": {"parameters": {"a": [[[…]]]}}}` nested `levels` deep, as JSON text. */
const deeplyNested = (levels: number) => `{"name":"deep","type":"llm","config":{"parameters":{"a":${'['.repeat(levels)}${']'.repeat(levels)}}}}`;

/** Any method, TRACE included (fetch refuses to send it), with the API's token. */
function rawRequest(baseUrl: string, token: string, method: string, path: string): Promise<{ status: number; allow: string | undefined; body: ProblemDetails }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(`${baseUrl}${path}`, { method, headers: { authorization: `Bearer ${token}` } }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () =>
        resolve({ status: response.statusCode!, allow: response.headers['allow'], body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as ProblemDetails }),
      );
    });
    request.on('error', reject);
    request.end();
  });
}

/** Raw bytes to the server, and its answer up to the closed connection: for requests no HTTP client sends. */
function rawExchange(baseUrl: string, request: string): Promise<{ head: string; body: ProblemDetails }> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) }, () => socket.end(request));
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const [head, body] = Buffer.concat(chunks).toString('utf8').split('\r\n\r\n');
      resolve({ head: head!, body: JSON.parse(body!) as ProblemDetails });
    });
  });
}

/**
 * Requests a security probe sent to a standalone instance (issue 12), each of which once earned a
 * 500 or an answer of megabytes: every one must be a small 4xx problem that names what is wrong.
 */
export function describeBadRequests(mode: string, start: () => Promise<SystemUnderTest>, token: string): void {
  describe(`bad requests (${mode})`, () => {
    let system: SystemUnderTest;
    let api: ApiClient;

    beforeAll(async () => {
      system = await start();
      api = system.api;
    }, 90_000);
    afterAll(async () => {
      await system?.stop();
    }, 30_000);

    const create = async (overrides: Parameters<typeof newModelBody>[0] = {}) => {
      const response = await api.post<ModelDto>(BASE, newModelBody(overrides));
      expect(response.status).toBe(201);
      return response.body;
    };
    const upload = (id: string, name: string, content: Buffer) => {
      const form = new FormData();
      form.append('file', new Blob([new Uint8Array(content)]), name);
      return api.request<ModelDto>('POST', `${BASE}/${id}/files`, undefined, { body: form });
    };
    const postRaw = (path: string, body: string, contentType = 'application/json') =>
      api.request<ProblemDetails>('POST', path, undefined, { body, headers: { 'content-type': contentType } });

    describe('text PostgreSQL cannot store: NUL and unpaired surrogates', () => {
      it.each([
        ['name', { name: 'a\u0000b' }, 'name'],
        ['description', { description: 'x\ud800' }, 'description'],
        ['a tag', { tags: ['ok', '\udfff'] }, 'tags.1'],
        ['a parameter value', { config: { parameters: { stop: ['\u0000'] } } }, 'config.parameters.stop.0'],
        ['an env variable name', { config: { env: { 'A\u0000': 'v' } } }, 'config.env.A\\u0000'],
        ['an env variable value', { config: { env: { A: 'v\ud800' } } }, 'config.env.A'],
      ])('refuses one in %s with a 422 naming the field, and stores nothing', async (_where, overrides, field) => {
        const count = async () => (await api.get<{ total: number }>(`${BASE}?page_size=1`)).body.total;
        const before = await count();
        const problem = expectProblem(await api.post(BASE, newModelBody(overrides)), 422, 'validation_failed');
        expect(problem.errors).toEqual([expect.objectContaining({ field })]);
        expect(await count()).toBe(before);
      });

      it('refuses them in an edit and in a test call', async () => {
        const model = await create();
        const edit = expectProblem(await api.patch(`${BASE}/${model.id}`, { description: 'nul \u0000 here' }), 422);
        expect(edit.errors).toEqual([expect.objectContaining({ field: 'description' })]);
        const test = expectProblem(await api.post(`${BASE}/${model.id}/test`, { input_data: { prompt: '\ud800' } }), 422);
        expect(test.errors).toEqual([expect.objectContaining({ field: 'input_data.prompt' })]);
        expect((await api.get<ModelDto>(`${BASE}/${model.id}`)).body.description).toBe(model.description);
      });

      it('refuses a body that is not UTF-8 with a 400, rather than storing it mangled', async () => {
        const latin1 = Buffer.concat([Buffer.from('{"name":"caf'), Buffer.from([0xe9]), Buffer.from('","type":"llm"}')]);
        const response = await api.request<ProblemDetails>('POST', BASE, undefined, { body: latin1, headers: { 'content-type': 'application/json' } });
        expect(expectProblem(response, 400, 'malformed_request').detail).toContain('not valid UTF-8');
      });

      it.each(['q=%00', 'tag=ok&tag=%00', 'sort=%00name', 'type=llm%00'])('refuses ?%s with a 422 naming the parameter', async (query) => {
        const problem = expectProblem(await api.get(`${BASE}?${query}`), 422, 'validation_failed');
        expect(problem.errors![0]!.field).toBe(query.split('=')[0] === 'tag' ? 'tag.1' : query.split('=')[0]);
      });
    });

    describe('null where a field cannot be null', () => {
      // Each once reached a service as a value: a NOT NULL column, a string method, a secret to
      // seal, or a stored endpoint configuration no call could use.
      it('refuses it with a 422 naming the field, in models, users, tokens and grants', async () => {
        const cases: Array<[string, string, unknown, string]> = [
          ['POST', BASE, newModelBody({ api_key: null } as never), 'api_key'],
          ['POST', BASE, newModelBody({ source: 'endpoint', endpoint: 'https://example.com/v1', validate: false, config: { http: { method: null } } } as never), 'config.http.method'],
          ['POST', '/api/v1/tokens', { name: 'ci', user: null }, 'user'],
        ];
        const model = await create();
        cases.push(['PUT', `${BASE}/${model.id}/permissions`, { grants: [{ user: null, level: 'read' }] }, 'grants.0.user']);
        const user = await api.post<{ id: string }>('/api/v1/users', { username: `u${Date.now()}`, password: 'correct horse battery', role: 'viewer' });
        expect(user.status).toBe(201);
        cases.push(['PATCH', `/api/v1/users/${user.body.id}`, { disabled: null }, 'disabled']);
        for (const [method, path, body, field] of cases) {
          const problem = expectProblem(await api.request(method, path, body), 422, 'validation_failed');
          expect([method, path, problem.errors!.map((e) => e.field)]).toEqual([method, path, expect.arrayContaining([field])]);
        }
      });
    });

    describe('nesting', () => {
      it('refuses a body nested 10,000 levels deep on create, edit and test, saying the limit', async () => {
        const model = await create();
        for (const [method, path] of [
          ['POST', BASE],
          ['PATCH', `${BASE}/${model.id}`],
          ['POST', `${BASE}/${model.id}/test`],
        ] as const) {
          const body = path.endsWith('/test') ? `{"input_data":{"inputs":{"x":${'['.repeat(10_000)}${']'.repeat(10_000)}}}}` : deeplyNested(10_000);
          const response = await api.request<ProblemDetails>(method, path, undefined, { body, headers: { 'content-type': 'application/json' } });
          expect(expectProblem(response, 422, 'validation_failed').detail).toContain('deeper than 64 levels');
        }
      });

      it('accepts the nesting real bodies have', async () => {
        const response = await postRaw(BASE, deeplyNested(30).replace('"deep"', `"nested-${Date.now()}"`));
        expect(response.status).toBe(201);
      });
    });

    describe('multipart uploads', () => {
      it('answers malformed multipart with a 400 problem and leaves the model as it was', async () => {
        const model = await create();
        const garbled = await postRaw(`${BASE}/${model.id}/files`, '--XYZ\r\nabc--XYZ--\r\n', 'multipart/form-data; boundary=XYZ');
        expect(expectProblem(garbled, 400, 'malformed_multipart').detail).toContain('not well-formed multipart/form-data');
        expectProblem(await postRaw(`${BASE}/${model.id}/files`, '--XYZ\r\n\r\n--XYZ--\r\n', 'multipart/form-data'), 400, 'malformed_multipart');
        // Cut off inside the file: the upload had begun (status uploading) and must be undone.
        const cut = '--XYZ\r\nContent-Disposition: form-data; name="file"; filename="m.onnx"\r\n\r\n\u0008\u0008';
        expectProblem(await postRaw(`${BASE}/${model.id}/files`, cut, 'multipart/form-data; boundary=XYZ'), 400, 'malformed_multipart');
        const after = (await api.get<ModelDto>(`${BASE}/${model.id}`)).body;
        expect(after).toMatchObject({ status: model.status, artifacts: [], progress: null });
      });
    });

    describe('methods a path does not support', () => {
      it.each([
        ['TRACE', BASE, 'GET, HEAD, POST'],
        ['DELETE', BASE, 'GET, HEAD, POST'],
        ['PUT', `${BASE}/${UNKNOWN_ID}`, 'GET, HEAD, PATCH, DELETE'],
        ['GET', `${BASE}/${UNKNOWN_ID}/test`, 'POST'],
      ])('answers %s %s with 405, an Allow header and a problem', async (method, path, allow) => {
        const response = await rawRequest(api.baseUrl, token, method, path);
        expect(response.status).toBe(405);
        expect(response.allow).toBe(allow);
        expect(response.body).toMatchObject({ status: 405, code: 'method_not_allowed' });
      });

      it('answers requests refused before any route as problems too: a URL that does not decode, headers over the limit', async () => {
        const badUrl = await rawExchange(api.baseUrl, `GET ${BASE}/% HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
        expect(badUrl.head).toMatch(/^HTTP\/1\.1 400 [^]*content-type: application\/problem\+json/i);
        expect(badUrl.body).toMatchObject({ status: 400, code: 'malformed_request' });
        const bigHeaders = await rawExchange(api.baseUrl, `GET ${BASE} HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
        expect(bigHeaders.head).toMatch(/^HTTP\/1\.1 431 [^]*content-type: application\/problem\+json/i);
        expect(bigHeaders.body).toMatchObject({ status: 431, code: 'request_headers_too_large' });
      });

      it('keeps unknown paths 404 problems', async () => {
        expectProblem(await api.get('/api/v1/nothing-here'), 404, 'not_found');
        expect((await rawRequest(api.baseUrl, token, 'TRACE', '/api/v1/nothing-here')).status).toBe(404);
      });
    });

    describe('ONNX models declaring huge signatures', () => {
      let many: ModelDto;
      beforeAll(async () => {
        const model = await create({ type: 'custom' });
        const response = await upload(model.id, 'many-inputs.onnx', manyInputsOnnxModel(100_000));
        expect(response.status).toBe(201);
        many = response.body;
      }, 60_000);

      it('records the first 1,024 of 100,000 inputs with the count, and the model stays small to read', async () => {
        expect(many.config.signature!.inputs).toHaveLength(1024);
        expect(many.config.signature!.truncated).toEqual({ input_count: 100_000, output_count: 1 });
        const read = await api.get<ModelDto>(`${BASE}/${many.id}`);
        expect(read.status).toBe(200);
        expect(read.text.length).toBeLessThan(100_000);
      });

      it('answers a test call of it with a small 422', async () => {
        const response = await api.post(`${BASE}/${many.id}/test`, { input_data: { inputs: { in_0: [1] } } });
        const problem = expectProblem(response, 422, 'invalid_input');
        expect(problem.detail).toContain('declares 100,000 inputs');
        expect(problem.detail).toContain('and 99,990 more');
        expect(response.text.length).toBeLessThan(16_000);
      });

      it("leaves a good model's signature as it was", async () => {
        const model = await create({ type: 'custom' });
        const response = await upload(model.id, 'linear.onnx', linearOnnxModel({ weights: [[1], [2]], bias: [0] }));
        expect(response.body.config.signature).toStrictEqual({
          inputs: [{ name: 'x', element_type: 'float32', shape: ['batch', 2] }],
          outputs: [{ name: 'y', element_type: 'float32', shape: ['batch', 1] }],
        });
      });
    });

    describe('the OpenAPI document', () => {
      it('lists the statuses each operation can answer', async () => {
        const document = (await api.get<{ paths: Record<string, Record<string, { responses: Record<string, unknown> }>> }>('/api/docs-json')).body;
        const statuses = (path: string, method: string) => Object.keys(document.paths[path]![method]!.responses);
        expect(statuses('/api/v1/ai-models/{id}/test', 'post')).toEqual(expect.arrayContaining(['400', '404', '409', '422', '424', '429', '502', '503', '504']));
        expect(statuses('/api/v1/ai-models/{id}/files', 'post')).toEqual(expect.arrayContaining(['400', '413', '415', '422']));
        for (const [path, item] of Object.entries(document.paths)) {
          for (const method of Object.keys(item)) expect([`${method} ${path}`, statuses(path, method)]).toEqual([`${method} ${path}`, expect.arrayContaining(['422'])]);
        }
      });
    });
  });
}
