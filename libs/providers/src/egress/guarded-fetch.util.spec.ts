import { afterEach, describe, expect, it, jest } from '@jest/globals';
import Anthropic from '@anthropic-ai/sdk';
import { type IncomingHttpHeaders, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import type { ResolvedAddress } from './egress-guard.util.js';
import { EndpointRefusedError } from './egress.exception.js';
import { createGuardedFetch } from './guarded-fetch.util.js';

interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

interface LocalServer {
  port: number;
  origin: string;
  received: Received[];
  connections: () => number;
}

const servers: { close: () => Promise<void> }[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

/** An HTTP server on 127.0.0.1 that records what reaches it; `/echo` answers with what it received. */
async function startServer(respond: (request: Received, response: ServerResponse) => void = echo): Promise<LocalServer> {
  const received: Received[] = [];
  let connections = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString() };
      received.push(request);
      respond(request, res);
    });
  });
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  servers.push({
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
  return { port, origin: `http://127.0.0.1:${port}`, received, connections: () => connections };
}

function echo(request: Received, response: ServerResponse): void {
  response.setHeader('content-type', 'application/json');
  response.end(JSON.stringify(request));
}

function redirecting(routes: Record<string, [number, string]>) {
  return (request: Received, response: ServerResponse) => {
    const route = routes[request.url];
    if (!route) return echo(request, response);
    response.writeHead(route[0], { location: route[1] });
    response.end('moved');
  };
}

function answering(...answers: string[][]) {
  let call = 0;
  return jest.fn(async (_hostname: string): Promise<ResolvedAddress[]> => {
    const addresses = answers[Math.min(call++, answers.length - 1)]!;
    return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  });
}

async function refusalOf(pending: Promise<unknown>): Promise<EndpointRefusedError> {
  const outcome = await pending.then(
    () => 'answered',
    (error: unknown) => error,
  );
  expect(outcome).toBeInstanceOf(EndpointRefusedError);
  return outcome as EndpointRefusedError;
}

async function rejectionOf(pending: Promise<unknown>): Promise<Error> {
  const outcome = await pending.then(
    () => 'answered',
    (error: unknown) => error,
  );
  expect(outcome).toBeInstanceOf(Error);
  return outcome as Error;
}

function causeChain(error: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let cause = error; cause !== undefined && cause !== null && chain.length < 10; cause = (cause as { cause?: unknown }).cause) chain.push(cause);
  return chain;
}

const LOCAL_ALLOWED = { allowedHosts: ['127.0.0.1'] };

describe('createGuardedFetch', () => {
  describe('the address check', () => {
    it('calls an allowed local host through undici, not the global fetch', async () => {
      const server = await startServer();
      const globalFetch = jest.spyOn(globalThis, 'fetch');
      const guarded = createGuardedFetch(LOCAL_ALLOWED);
      const response = await guarded(`${server.origin}/echo?q=1`, { headers: { 'x-trace': 't1' } });
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ method: 'GET', url: '/echo?q=1', headers: { 'x-trace': 't1' } });
      expect(globalFetch).not.toHaveBeenCalled();
      globalFetch.mockRestore();
    });

    it('refuses the same server when it is not allowed, before any request reaches it', async () => {
      const server = await startServer();
      const error = await refusalOf(createGuardedFetch({ allowedHosts: [] })(`${server.origin}/echo?key=secret`));
      expect(error).toMatchObject({ reason: 'loopback', host: '127.0.0.1', address: '127.0.0.1' });
      expect(error.message).not.toContain('secret');
      expect(server.connections()).toBe(0);
    });

    it('connects an allowed name to the addresses the policy resolves it to', async () => {
      const server = await startServer();
      const lookup = answering(['127.0.0.1']);
      const response = await createGuardedFetch({ allowedHosts: ['models.internal'], lookup })(`http://models.internal:${server.port}/echo`);
      expect(await response.json()).toMatchObject({ headers: { host: `models.internal:${server.port}` } });
      expect(lookup).toHaveBeenCalledWith('models.internal');
    });

    it('refuses at connect time a name that answered a public address to the check and loopback to the socket (DNS rebinding)', async () => {
      const server = await startServer();
      const lookup = answering(['93.184.216.34'], ['127.0.0.1']);
      const error = await refusalOf(createGuardedFetch({ allowedHosts: [], lookup })(`http://rebind.example.com:${server.port}/echo`));
      expect(error).toMatchObject({ reason: 'loopback', host: 'rebind.example.com', address: '127.0.0.1' });
      expect(lookup).toHaveBeenCalledTimes(2);
      expect(server.connections()).toBe(0);
    });

    it('keeps connections alive across requests to the same origin, as one pool', async () => {
      const server = await startServer();
      const guarded = createGuardedFetch(LOCAL_ALLOWED);
      for (let i = 0; i < 6; i++) await (await guarded(`${server.origin}/echo`)).text();
      expect(server.received).toHaveLength(6);
      // undici may open a second socket while the first is still being released; never one per request.
      expect(server.connections()).toBeLessThanOrEqual(2);
    });
  });

  describe('redirects', () => {
    it('refuses a redirect from an allowed server to localhost, which is not allowed; the target is never hit', async () => {
      const target = await startServer();
      const origin = await startServer(redirecting({ '/go': [302, `http://localhost:${target.port}/echo`] }));
      const error = await refusalOf(createGuardedFetch(LOCAL_ALLOWED)(`${origin.origin}/go`));
      expect(error).toMatchObject({ reason: 'loopback', host: 'localhost' });
      expect(origin.received).toHaveLength(1);
      expect(target.connections()).toBe(0);
    });

    it('refuses a redirect to the cloud metadata service', async () => {
      const origin = await startServer(redirecting({ '/go': [307, 'http://169.254.169.254/latest/meta-data/'] }));
      const error = await refusalOf(createGuardedFetch(LOCAL_ALLOWED)(`${origin.origin}/go`));
      expect(error).toMatchObject({ reason: 'cloud-metadata', host: '169.254.169.254', address: '169.254.169.254' });
      expect(error.message).not.toContain('meta-data');
    });

    it('refuses a redirect to another scheme', async () => {
      const origin = await startServer(redirecting({ '/go': [302, 'file:///etc/passwd'] }));
      expect((await refusalOf(createGuardedFetch(LOCAL_ALLOWED)(`${origin.origin}/go`))).reason).toBe('scheme');
    });

    it.each([[307], [308]])('%i repeats the method and the body', async (status) => {
      const server = await startServer(redirecting({ '/go': [status, '/echo'] }));
      const response = await createGuardedFetch(LOCAL_ALLOWED)(`${server.origin}/go`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ input: [1, 2] }),
      });
      expect(await response.json()).toMatchObject({ method: 'POST', url: '/echo', body: '{"input":[1,2]}', headers: { 'content-type': 'application/json' } });
      expect(server.received.map((r) => r.body)).toEqual(['{"input":[1,2]}', '{"input":[1,2]}']);
    });

    it.each<[number, string]>([
      [303, 'POST'],
      [303, 'PUT'],
      [301, 'POST'],
      [302, 'DELETE'],
    ])('%i after %s becomes a GET without body', async (status, method) => {
      const server = await startServer(redirecting({ '/go': [status, '/echo'] }));
      const response = await createGuardedFetch(LOCAL_ALLOWED)(`${server.origin}/go`, {
        method,
        headers: { 'content-type': 'application/json', 'x-trace': 't2' },
        body: '{"a":1}',
      });
      const echoed = (await response.json()) as Received;
      expect(echoed).toMatchObject({ method: 'GET', body: '', headers: { 'x-trace': 't2' } });
      expect(echoed.headers['content-type']).toBeUndefined();
    });

    it('refuses to repeat a streamed body for a 307', async () => {
      const server = await startServer(redirecting({ '/go': [307, '/echo'] }));
      const body = new ReadableStream({
        start(controller) {
          controller.enqueue(new TextEncoder().encode('chunk'));
          controller.close();
        },
      });
      const error = await rejectionOf(createGuardedFetch(LOCAL_ALLOWED)(`${server.origin}/go`, { method: 'POST', body, duplex: 'half' } as RequestInit));
      expect(error).toBeInstanceOf(TypeError);
      expect(error.message).toContain('stream');
      expect(server.received.map((r) => r.url)).toEqual(['/go']);
    });

    it('drops credentials when the redirect leaves the origin, and keeps them within it', async () => {
      const other = await startServer();
      const server = await startServer(redirecting({ '/cross': [302, `${other.origin}/echo`], '/same': [302, '/echo'] }));
      const guarded = createGuardedFetch(LOCAL_ALLOWED);
      const headers = {
        authorization: 'Bearer sk-1',
        'x-api-key': 'sk-2',
        'api-key': 'sk-3',
        cookie: 'session=sk-4',
        'proxy-authorization': 'Basic sk-5',
        'x-trace': 't3',
      };
      const crossed = (await (await guarded(`${server.origin}/cross`, { headers })).json()) as Received;
      expect(crossed.headers['x-trace']).toBe('t3');
      expect(JSON.stringify(crossed.headers)).not.toContain('sk-');
      const same = (await (await guarded(`${server.origin}/same`, { headers })).json()) as Received;
      expect(same.headers).toMatchObject({ authorization: 'Bearer sk-1', 'x-api-key': 'sk-2', 'api-key': 'sk-3', cookie: 'session=sk-4' });
    });

    it('stops after maxRedirects hops', async () => {
      const server = await startServer(redirecting({ '/loop': [302, '/loop'] }));
      const error = await rejectionOf(createGuardedFetch(LOCAL_ALLOWED, { maxRedirects: 3 })(`${server.origin}/loop`));
      expect(error).toBeInstanceOf(TypeError);
      expect(error.message).toBe('endpoint redirected more than 3 times');
      expect(server.received).toHaveLength(4);
    });

    it('follows 5 redirects by default, and no more', async () => {
      const hops: Record<string, [number, string]> = {};
      for (let i = 0; i < 6; i++) hops[`/hop${i}`] = [302, `/hop${i + 1}`];
      const server = await startServer(redirecting(hops));
      const guarded = createGuardedFetch(LOCAL_ALLOWED);
      expect(await (await guarded(`${server.origin}/hop1`)).json()).toMatchObject({ url: '/hop6' });
      expect((await rejectionOf(guarded(`${server.origin}/hop0`))).message).toBe('endpoint redirected more than 5 times');
    });

    it('leaves a redirect to the caller who asked for redirect: "manual", and fails one who asked for "error"', async () => {
      const server = await startServer(redirecting({ '/go': [302, '/echo'] }));
      const guarded = createGuardedFetch(LOCAL_ALLOWED);
      const manual = await guarded(`${server.origin}/go`, { redirect: 'manual' });
      expect(manual.status).toBe(302);
      expect(manual.headers.get('location')).toBe('/echo');
      expect(await rejectionOf(guarded(`${server.origin}/go`, { redirect: 'error' }))).toBeInstanceOf(TypeError);
      expect(server.received.map((r) => r.url)).toEqual(['/go', '/go']);
    });
  });

  describe('as a fetch', () => {
    it('passes the signal through', async () => {
      const server = await startServer(() => undefined);
      const controller = new AbortController();
      const pending = createGuardedFetch(LOCAL_ALLOWED)(`${server.origin}/hang`, { signal: controller.signal });
      while (server.received.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
      controller.abort();
      // A DOMException from Node's realm, not an Error of Jest's.
      await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
    });

    it('takes a Request as input, and checks its URL too', async () => {
      const server = await startServer();
      const request = new Request(`${server.origin}/echo`, { method: 'PUT', headers: { 'x-trace': 't4' }, body: 'payload' });
      const echoed = (await (await createGuardedFetch(LOCAL_ALLOWED)(request)).json()) as Received;
      expect(echoed).toMatchObject({ method: 'PUT', body: 'payload', headers: { 'x-trace': 't4' } });
      const refusal = await refusalOf(createGuardedFetch({ allowedHosts: [] })(new Request(`${server.origin}/echo`)));
      expect(refusal.reason).toBe('loopback');
      expect(server.received).toHaveLength(1);
    });

    it('sends the global FormData as multipart', async () => {
      const server = await startServer();
      const form = new FormData();
      form.append('purpose', 'batch');
      form.append('file', new File(['{"x":1}'], 'input.jsonl', { type: 'application/jsonl' }));
      const echoed = (await (await createGuardedFetch(LOCAL_ALLOWED)(`${server.origin}/echo`, { method: 'POST', body: form })).json()) as Received;
      expect(echoed.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/);
      expect(echoed.body).toContain('filename="input.jsonl"');
      expect(echoed.body).toContain('{"x":1}');
    });

    it('works as the fetch of the openai SDK, whose connection error carries the refusal as its cause', async () => {
      const client = new OpenAI({ apiKey: 'x', baseURL: 'http://localhost:1/v1', fetch: createGuardedFetch({ allowedHosts: [] }), maxRetries: 0 });
      const error = await rejectionOf(client.models.list());
      expect(error).toBeInstanceOf(OpenAI.APIConnectionError);
      const refusal = causeChain(error).find((cause) => cause instanceof EndpointRefusedError);
      expect(refusal).toMatchObject({ reason: 'loopback', host: 'localhost' });
    });

    it('carries an openai SDK call to an allowed server', async () => {
      const server = await startServer((_request, response) => {
        response.setHeader('content-type', 'application/json');
        response.end(JSON.stringify({ object: 'list', data: [{ id: 'gpt-test', object: 'model', created: 0, owned_by: 'me' }] }));
      });
      const client = new OpenAI({ apiKey: 'sk-local', baseURL: `${server.origin}/v1`, fetch: createGuardedFetch(LOCAL_ALLOWED), maxRetries: 0 });
      const page = await client.models.list();
      expect(page.data.map((model) => model.id)).toEqual(['gpt-test']);
      expect(server.received[0]).toMatchObject({ url: '/v1/models', headers: { authorization: 'Bearer sk-local' } });
    });

    it('works as the fetch of the Anthropic SDK, both ways', async () => {
      const server = await startServer((_request, response) => {
        response.setHeader('content-type', 'application/json');
        response.end(
          JSON.stringify({
            id: 'msg_1',
            type: 'message',
            role: 'assistant',
            model: 'claude-test',
            content: [{ type: 'text', text: 'hi' }],
            stop_reason: 'end_turn',
            stop_sequence: null,
            usage: { input_tokens: 3, output_tokens: 1 },
          }),
        );
      });
      const call = (client: Anthropic) => client.messages.create({ model: 'claude-test', max_tokens: 5, messages: [{ role: 'user', content: 'hello' }] });
      const allowed = new Anthropic({ apiKey: 'sk-ant-local', baseURL: server.origin, fetch: createGuardedFetch(LOCAL_ALLOWED), maxRetries: 0 });
      expect((await call(allowed)).content).toEqual([{ type: 'text', text: 'hi' }]);
      expect(server.received[0]).toMatchObject({ method: 'POST', url: '/v1/messages', headers: { authorization: 'Bearer sk-ant-local' } });

      const refused = new Anthropic({ apiKey: 'sk-ant-local', baseURL: server.origin, fetch: createGuardedFetch({ allowedHosts: [] }), maxRetries: 0 });
      const error = await rejectionOf(call(refused));
      expect(error).toBeInstanceOf(Anthropic.APIConnectionError);
      expect(causeChain(error).some((cause) => cause instanceof EndpointRefusedError)).toBe(true);
      expect(server.received).toHaveLength(1);
    });
  });
});
