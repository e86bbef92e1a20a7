import {
  invokeProvider,
  ProviderError,
  type HttpEndpointConfig,
  type ProviderDeps,
  type ProviderTarget,
} from '@modelyard/providers';
import { startHttpEndpointStandIn, type HttpEndpointStandIn } from './http-endpoint.stand-in.js';

const post = (url: string, body: unknown, headers: Record<string, string> = {}, method = 'POST') =>
  fetch(url, { method, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

describe('HTTP endpoint stand-in, driven by fetch', () => {
  describe('without a secret', () => {
    let standIn: HttpEndpointStandIn;

    beforeAll(async () => {
      standIn = await startHttpEndpointStandIn();
    });

    afterAll(async () => {
      await standIn.close();
    });

    beforeEach(() => {
      standIn.requests.length = 0;
    });

    it('upper-cases body.text on any path and counts words as usage', async () => {
      const response = await post(`${standIn.url}/v1/predict`, { text: 'hello big world', extra: 1 }, { 'X-Trace': 'abc' });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('application/json');
      expect(await response.json()).toEqual({
        data: { output: 'HELLO BIG WORLD' },
        usage: { input_tokens: 3, output_tokens: 3 },
      });
      expect(standIn.requests).toEqual([
        {
          method: 'POST',
          path: '/v1/predict',
          url: '/v1/predict',
          headers: expect.objectContaining({ 'x-trace': 'abc', 'content-type': 'application/json' }),
          body: { text: 'hello big world', extra: 1 },
        },
      ]);
    });

    it.each(['PUT', 'PATCH'])('answers %s with the body itself when it has no text', async (method) => {
      const response = await post(`${standIn.url}/score`, { values: [1, 2] }, {}, method);
      expect(await response.json()).toMatchObject({ data: { output: { values: [1, 2] } } });
    });

    it('records a non-JSON body as text', async () => {
      const response = await fetch(`${standIn.url}/raw`, { method: 'POST', body: 'just words' });
      expect(await response.json()).toMatchObject({ data: { output: 'just words' } });
      expect(standIn.requests[0].body).toBe('just words');
    });

    it('refuses GET on a model path with 405', async () => {
      expect((await fetch(`${standIn.url}/v1/predict`)).status).toBe(405);
    });

    it('redirects /redirect?to=<url> with 302', async () => {
      const target = 'http://169.254.169.254/latest/meta-data/';
      for (const method of ['GET', 'POST']) {
        const response = await fetch(`${standIn.url}/redirect?to=${encodeURIComponent(target)}`, { method, redirect: 'manual' });
        expect(response.status).toBe(302);
        expect(response.headers.get('location')).toBe(target);
      }
    });

    it('answers /text with text/plain', async () => {
      const response = await post(`${standIn.url}/text`, { text: 'x' });
      expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
      expect(await response.text()).toBe('plain answer');
    });
  });

  describe('with a secret header', () => {
    let standIn: HttpEndpointStandIn;

    beforeAll(async () => {
      standIn = await startHttpEndpointStandIn({ secretHeader: 'X-Api-Key', secretValue: 'endpoint-secret-1' });
    });

    afterAll(async () => {
      await standIn.close();
    });

    it('answers 401 JSON without the right header value and 200 with it', async () => {
      const missing = await post(`${standIn.url}/predict`, { text: 'a' });
      expect(missing.status).toBe(401);
      expect(await missing.json()).toMatchObject({ error: { code: 'unauthorized' } });
      expect((await post(`${standIn.url}/predict`, { text: 'a' }, { 'x-api-key': 'nope' })).status).toBe(401);

      const ok = await post(`${standIn.url}/predict`, { text: 'a' }, { 'X-Api-Key': 'endpoint-secret-1' });
      expect(ok.status).toBe(200);
    });

    it('quotes the secret header in full on [[echo-key]]', async () => {
      const response = await post(`${standIn.url}/predict`, { text: 'a [[echo-key]]' }, { 'X-Api-Key': 'endpoint-secret-1' });
      expect(response.status).toBe(400);
      expect(JSON.stringify(await response.json())).toContain('endpoint-secret-1');
    });
  });

  describe('faults from markers anywhere in the body', () => {
    let standIn: HttpEndpointStandIn;

    beforeAll(async () => {
      standIn = await startHttpEndpointStandIn();
    });

    afterAll(async () => {
      await standIn.close();
    });

    it('answers [[status:429]] with Retry-After 7, or the [[retry-after]] value', async () => {
      const limited = await post(standIn.url, { nested: { note: '[[status:429]]' } });
      expect(limited.status).toBe(429);
      expect(limited.headers.get('retry-after')).toBe('7');
      expect(await limited.json()).toMatchObject({ error: { status: 429 } });

      const date = 'Wed, 21 Oct 2037 07:28:00 GMT';
      const dated = await post(standIn.url, { text: `[[status:503]] [[retry-after:${date}]]` });
      expect(dated.status).toBe(503);
      expect(dated.headers.get('retry-after')).toBe(date);
    });

    it('waits on [[slow:MS]] so that a client timeout fires first', async () => {
      const started = Date.now();
      expect((await post(standIn.url, { text: '[[slow:120]]' })).status).toBe(200);
      expect(Date.now() - started).toBeGreaterThanOrEqual(110);

      const aborted = await fetch(standIn.url, {
        method: 'POST',
        body: JSON.stringify({ text: '[[slow:400]]' }),
        signal: AbortSignal.timeout(50),
      }).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect((aborted as Error).name).toBe('TimeoutError');
    });

    it('destroys the socket on [[drop]]', async () => {
      const error = await post(standIn.url, { text: '[[drop]]' }).then(
        () => undefined,
        (reason: unknown) => reason,
      );
      expect(String(error)).toContain('fetch failed');
      expect(standIn.requests.at(-1)?.body).toEqual({ text: '[[drop]]' });
    });
  });
});

describe('@modelyard/providers HTTP endpoint adapter against the stand-in', () => {
  const SECRET = 'ep-secret-0123456789';
  let standIn: HttpEndpointStandIn;
  let open: HttpEndpointStandIn;
  let deps: ProviderDeps;

  const http = (overrides: Partial<HttpEndpointConfig> = {}): HttpEndpointConfig => ({
    method: 'POST',
    headers: {},
    secret_header: 'X-Api-Key',
    secret_prefix: 'Key ',
    timeout_ms: 5_000,
    request_template: null,
    response_path: null,
    ...overrides,
  });

  const endpoint = (overrides: Partial<ProviderTarget> = {}, config: Partial<HttpEndpointConfig> = {}): ProviderTarget => ({
    kind: 'endpoint',
    endpoint: `${standIn.url}/v1/predict`,
    model: '',
    type: 'custom',
    apiKey: SECRET,
    parameters: {},
    http: http(config),
    ...overrides,
  });

  async function providerError(promise: Promise<unknown>): Promise<ProviderError> {
    const error = await promise.then(
      () => undefined,
      (reason: unknown) => reason,
    );
    if (!(error instanceof ProviderError)) throw new Error(`expected a ProviderError, got ${String(error)}`);
    expect(error.message).not.toContain(SECRET);
    expect(error.stack ?? '').not.toContain(SECRET);
    expect(JSON.stringify(error)).not.toContain(SECRET);
    return error;
  }

  beforeAll(async () => {
    standIn = await startHttpEndpointStandIn({ secretHeader: 'x-api-key', secretValue: `Key ${SECRET}` });
    open = await startHttpEndpointStandIn();
    deps = { fetch, defaults: { openaiBaseUrl: 'http://unused.invalid/v1', anthropicBaseUrl: 'http://unused.invalid' }, timeoutMs: 5_000 };
  });

  afterAll(async () => {
    await standIn.close();
    await open.close();
  });

  beforeEach(() => {
    standIn.requests.length = 0;
    open.requests.length = 0;
  });

  it('renders the template, sends the secret with its prefix, and reads response_path and usage', async () => {
    const result = await invokeProvider(
      endpoint(
        { parameters: { temperature: 0.2 } },
        {
          method: 'PUT',
          headers: { 'X-Team': 'ml' },
          request_template: { text: 'Q: {{input.prompt}}', options: '{{input.options}}', temperature: '{{input.temperature}}' },
          response_path: 'data.output',
        },
      ),
      { prompt: 'hello', options: { n: 2 } },
      deps,
    );
    expect(result).toEqual({ output: 'Q: HELLO', usage: { input_tokens: 2, output_tokens: 2 }, finish_reason: null });
    const [request] = standIn.requests;
    expect(request).toMatchObject({
      method: 'PUT',
      path: '/v1/predict',
      body: { text: 'Q: hello', options: { n: 2 }, temperature: 0.2 },
    });
    expect(request.headers).toMatchObject({
      'x-api-key': `Key ${SECRET}`,
      'x-team': 'ml',
      'content-type': 'application/json',
      accept: 'application/json',
    });
  });

  it('sends the input itself without a template and answers the whole JSON without a path', async () => {
    const result = await invokeProvider(endpoint(), { text: 'a b' }, deps);
    expect(result).toEqual({
      output: { data: { output: 'A B' }, usage: { input_tokens: 2, output_tokens: 2 } },
      usage: { input_tokens: 2, output_tokens: 2 },
      finish_reason: null,
    });
    expect(standIn.requests[0].body).toEqual({ text: 'a b' });
  });

  it('answers a text answer as text, and defaults to POST with Authorization: Bearer without http settings', async () => {
    const result = await invokeProvider(endpoint({ endpoint: `${open.url}/text`, http: null }), { text: 'x' }, deps);
    expect(result).toEqual({ output: 'plain answer', usage: null, finish_reason: null });
    expect(open.requests[0]).toMatchObject({ method: 'POST', headers: { authorization: `Bearer ${SECRET}` } });
  });

  it('reports a response_path missing from the answer as 502, and a template path missing from the input as 422', async () => {
    const missing = await providerError(invokeProvider(endpoint({}, { response_path: 'choices.0.text' }), { text: 'x' }, deps));
    expect(missing).toMatchObject({ status: 502, code: 'provider_error', providerStatus: 200 });
    expect(missing.message).toContain('response_path "choices.0.text" is not in the answer');

    standIn.requests.length = 0;
    const template = await providerError(invokeProvider(endpoint({}, { request_template: { q: '{{input.question}}' } }), { text: 'x' }, deps));
    expect(template).toMatchObject({ status: 422, code: 'invalid_input', field: 'input_data.question' });
    expect(standIn.requests).toHaveLength(0);
  });

  it('maps a refused secret to 424 provider_auth_failed', async () => {
    expect(await providerError(invokeProvider(endpoint({ apiKey: 'wrong-secret' }), { text: 'x' }, deps))).toMatchObject({
      status: 424,
      code: 'provider_auth_failed',
      providerStatus: 401,
    });
  });

  it('does not follow a redirect with the secret, but follows one without', async () => {
    const redirect = `${standIn.url}/redirect?to=${encodeURIComponent(`${open.url}/collect`)}`;
    const error = await providerError(invokeProvider(endpoint({ endpoint: redirect }), { text: 'x' }, deps));
    expect(error).toMatchObject({ status: 502, code: 'provider_error', providerStatus: 302 });
    expect(open.requests).toHaveLength(0);

    const unsecured = endpoint({ endpoint: `${open.url}/redirect?to=${encodeURIComponent(`${open.url}/text`)}`, apiKey: null });
    expect(await invokeProvider(unsecured, { text: 'x' }, deps)).toMatchObject({ output: 'plain answer' });
  });

  it.each([
    [400, 422, 'provider_rejected_request'],
    [404, 422, 'provider_rejected_request'],
    [422, 422, 'provider_rejected_request'],
    [403, 424, 'provider_auth_failed'],
    [429, 429, 'provider_rate_limited'],
    [500, 502, 'provider_error'],
    [503, 502, 'provider_error'],
  ])('maps HTTP %i to %i %s', async (providerStatus, status, code) => {
    const error = await providerError(invokeProvider(endpoint(), { text: `[[status:${providerStatus}]]` }, deps));
    expect(error).toMatchObject({ status, code, providerStatus });
    expect(error.message).toContain(`Endpoint failed with HTTP ${providerStatus}`);
    if (providerStatus === 429) expect(error.retryAfterSeconds).toBe(7);
  });

  it('times out at the smaller of timeout_ms and timeoutMs', async () => {
    const started = Date.now();
    expect(await providerError(invokeProvider(endpoint({}, { timeout_ms: 150 }), { text: '[[slow:2000]]' }, deps))).toMatchObject({
      status: 504,
      code: 'provider_timeout',
      errorClass: 'timeout',
    });
    expect(await providerError(invokeProvider(endpoint(), { text: '[[slow:2000]]' }, { ...deps, timeoutMs: 150 }))).toMatchObject({
      status: 504,
    });
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('maps a dropped connection to 502', async () => {
    expect(await providerError(invokeProvider(endpoint(), { text: '[[drop]]' }, deps))).toMatchObject({ status: 502, code: 'provider_error' });
  });

  it('redacts the secret that the endpoint echoes back', async () => {
    const error = await providerError(invokeProvider(endpoint(), { text: '[[echo-key]]' }, deps));
    expect(error.message).toContain('Header x-api-key "Key [redacted]"');
  });

  it.each(['[[status:400]]', '[[status:401]]', '[[status:429]]', '[[status:500]]', '[[drop]]', '[[echo-key]]', '[[slow:1000]]'])(
    'never puts the secret in a ProviderError (%s)',
    async (marker) => {
      await providerError(invokeProvider(endpoint({}, { timeout_ms: 200 }), { text: `leak ${marker}` }, deps));
      await providerError(
        invokeProvider(endpoint({}, { secret_header: 'Authorization', secret_prefix: 'Bearer ', timeout_ms: 200 }), { text: marker }, deps),
      );
    },
  );
});
