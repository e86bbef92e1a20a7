import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApiError, createHttpClient, createModelyardApi, problemFrom } from './client';

/*
 * The client against a real HTTP server (jsdom's XMLHttpRequest, as in a browser), so the bearer
 * header, the query encoding, the upload and the error handling are what axios really does.
 */

interface Seen {
  method: string;
  url: string;
  authorization: string | undefined;
  contentType: string | undefined;
  body: string;
}

const PROBLEM = {
  type: 'urn:modelyard:problem:validation-failed',
  title: 'Unprocessable Content',
  status: 422,
  detail: 'The request is invalid: type must be one of: llm, vision.',
  code: 'validation_failed',
  errors: [{ field: 'type', detail: 'type must be one of: llm, vision' }],
};

describe('API client', () => {
  let server: Server;
  let base: string;
  const seen: Seen[] = [];

  const respond = (req: IncomingMessage, res: ServerResponse, body: string) => {
    seen.push({ method: req.method!, url: req.url!, authorization: req.headers.authorization, contentType: req.headers['content-type'], body });
    const path = req.url!.split('?')[0];
    const send = (status: number, type: string, payload: string) => res.writeHead(status, { 'content-type': type }).end(payload);
    if (path === '/api/v1/ai-models' && req.method === 'GET') return send(200, 'application/json', JSON.stringify({ items: [], total: 0, page: 1, page_size: 20 }));
    if (path === '/api/v1/ai-models' && req.method === 'POST') return send(422, 'application/problem+json', JSON.stringify(PROBLEM));
    if (path === '/api/v1/ai-models/m1/files') return send(201, 'application/json', JSON.stringify({ id: 'm1' }));
    if (path === '/api/v1/ai-models/m1/toggle-status') return send(401, 'application/problem+json', JSON.stringify({ title: 'Unauthorized', status: 401, detail: 'The API token is not valid.', code: 'unauthorized' }));
    if (path === '/api/v1/ai-models/m1/test') return send(502, 'text/html', '<html><body>Bad gateway</body></html>');
    if (path?.startsWith('/api/v1/huggingface/models/')) return send(200, 'application/json', JSON.stringify({ id: 'org/model', files: [] }));
    if (path === '/api/v1/auth/login') {
      res.setHeader('retry-after', '900');
      return send(429, 'application/problem+json', JSON.stringify({ title: 'Too Many Requests', status: 429, detail: 'Too many failed sign-ins.', code: 'rate_limited' }));
    }
    if (path === '/api/v1/auth/me') return send(200, 'application/json', JSON.stringify({ via: 'token' }));
    if (path === '/api/v1/tokens' || path === '/api/v1/ai-models/m1/permissions') return send(200, 'application/json', body || '{"items":[],"total":0}');
    return send(404, 'application/problem+json', JSON.stringify({ title: 'Not Found', status: 404, detail: `Cannot ${req.method} ${path}`, code: 'not_found' }));
  };

  beforeAll(async () => {
    server = createServer((req, res) => {
      // jsdom enforces CORS like a browser: the page's origin is http://localhost.
      res.setHeader('access-control-allow-origin', '*');
      res.setHeader('access-control-allow-headers', 'authorization, content-type');
      res.setHeader('access-control-allow-methods', 'GET, POST, PUT, PATCH, DELETE');
      // The console reads Retry-After of a throttled sign-in.
      res.setHeader('access-control-expose-headers', 'retry-after');
      // No keep-alive: jsdom's pooled sockets would otherwise keep Jest from exiting.
      res.setHeader('connection', 'close');
      if (req.method === 'OPTIONS') return void res.writeHead(204).end();
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString('latin1')));
      req.on('end', () => respond(req, res, body));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  const clientWith = (token: string | null, onUnauthorized = jest.fn()) => ({
    api: createModelyardApi(createHttpClient({ baseURL: base, getToken: () => token, onUnauthorized })),
    onUnauthorized,
  });

  it('sends the bearer token under /api/v1 and repeats array parameters as the API reads them', async () => {
    const { api } = clientWith('my_token');
    await expect(api.listModels({ type: 'llm', tag: ['a', 'b c'], q: 'gpt', page: 2 })).resolves.toMatchObject({ total: 0 });
    const request = seen.at(-1)!;
    expect(request.authorization).toBe('Bearer my_token');
    expect(request.url).toBe('/api/v1/ai-models?type=llm&tag=a&tag=b+c&q=gpt&page=2');
  });

  it('turns problem details into an ApiError with status, title, detail and field errors', async () => {
    const { api } = clientWith('my_token');
    const error = await api.createModel({ name: 'x', type: 'llm' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({
      status: 422,
      title: 'Unprocessable Content',
      detail: PROBLEM.detail,
      code: 'validation_failed',
      errors: [{ field: 'type', detail: 'type must be one of: llm, vision' }],
      isNetworkError: false,
    });
    expect(JSON.parse(seen.at(-1)!.body)).toEqual({ name: 'x', type: 'llm' });
  });

  it('reports a 401 to the session (which goes back to sign-in) and still rejects', async () => {
    const { api, onUnauthorized } = clientWith('my_revoked');
    const error = await api.toggleStatus('m1').catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 401, detail: 'The API token is not valid.' });
    expect(onUnauthorized).toHaveBeenCalledTimes(1);
  });

  it('does not report other failures as a 401', async () => {
    const { api, onUnauthorized } = clientWith('my_token');
    await expect(api.getModel('missing')).rejects.toMatchObject({ status: 404, code: 'not_found' });
    expect(onUnauthorized).not.toHaveBeenCalled();
  });

  it('gives an error that is not problem+json its status and status text', async () => {
    const { api } = clientWith('my_token');
    await expect(api.testModel('m1', { prompt: 'hi' })).rejects.toMatchObject({ status: 502, title: 'Bad Gateway', errors: [] });
  });

  it('reports an unreachable server as a network error (status 0), not as an HTTP status', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const api = createModelyardApi(createHttpClient({ baseURL: `http://127.0.0.1:${port}/api/v1`, getToken: () => 'my_token' }));
    // jsdom reports the refused connection on its virtual console too, as a browser's devtools would.
    const consoleError = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    const error = await api.listModels({}).catch((e: unknown) => e);
    consoleError.mockRestore();
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 0, isNetworkError: true });
  });

  it('uploads a file as the multipart field `file`', async () => {
    const { api } = clientWith('my_token');
    const file = new File([new Uint8Array([8, 1, 2, 3])], 'model.onnx', { type: 'application/octet-stream' });
    await expect(api.uploadFile('m1', file)).resolves.toEqual({ id: 'm1' });
    const request = seen.at(-1)!;
    expect(request.contentType).toMatch(/^multipart\/form-data; boundary=/);
    expect(request.body).toMatch(/Content-Disposition: form-data; name="file"; filename="model.onnx"/);
  });

  it('keeps the slash of an org/model repo id in the preview path', async () => {
    const { api } = clientWith('my_token');
    await api.previewHubModel('org/model v2');
    expect(seen.at(-1)!.url).toBe('/api/v1/huggingface/models/org/model%20v2');
  });

  it('says how long a throttled request must wait, from Retry-After when the problem does not', async () => {
    const { api, onUnauthorized } = clientWith(null);
    await expect(api.login('mei', 'guess')).rejects.toMatchObject({ status: 429, retryAfter: 900 });
    expect(JSON.parse(seen.at(-1)!.body)).toEqual({ username: 'mei', password: 'guess' });
    expect(seen.at(-1)!.authorization).toBeUndefined();
    expect(onUnauthorized).not.toHaveBeenCalled();
    expect(problemFrom(429, '', { status: 429, title: 'Too Many Requests', retry_after: 30 }, '900')).toMatchObject({ retryAfter: 30 });
  });

  it('checks a typed token with its own header, asks for only my tokens when told, and PUTs permissions', async () => {
    const { api } = clientWith('mys_session');
    await api.whoAmI('my_typed');
    expect(seen.at(-1)!.authorization).toBe('Bearer my_typed');
    await api.listTokens({ mine: true });
    expect(seen.at(-1)!.url).toBe('/api/v1/tokens?mine=true');
    await api.listTokens({});
    expect(seen.at(-1)!.url).toBe('/api/v1/tokens');
    const grants = { visibility: 'internal' as const, grants: [{ user: 'mei', level: 'use' as const }] };
    await expect(api.updatePermissions('m1', grants)).resolves.toEqual(grants);
    expect(seen.at(-1)).toMatchObject({ method: 'PUT', url: '/api/v1/ai-models/m1/permissions', authorization: 'Bearer mys_session' });
  });

  it('reads problem bodies that arrive as text', () => {
    expect(problemFrom(409, 'Conflict', JSON.stringify({ title: 'Conflict', status: 409, detail: 'GPT-4 4.0 exists' }))).toMatchObject({
      status: 409,
      detail: 'GPT-4 4.0 exists',
    });
    expect(problemFrom(500, '', '')).toMatchObject({ status: 500, title: 'HTTP 500', detail: 'HTTP 500' });
  });
});
