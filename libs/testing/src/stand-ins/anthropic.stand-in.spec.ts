import Anthropic, {
  APIConnectionError,
  APIError,
  AuthenticationError,
  BadRequestError,
  InternalServerError,
  NotFoundError,
  OverloadedError,
  PermissionDeniedError,
  RateLimitError,
} from '@anthropic-ai/sdk';
import { invokeProvider, ProviderError, validateProvider, type ProviderDeps, type ProviderTarget } from '@modelyard/providers';
import { ANTHROPIC_STAND_IN_KEY, startAnthropicStandIn, type AnthropicStandIn } from './anthropic.stand-in.js';

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error,
  );
}

async function apiError(promise: Promise<unknown>): Promise<APIError> {
  const error = await rejection(promise);
  if (!(error instanceof APIError)) throw new Error(`expected an APIError, got ${String(error)}`);
  return error;
}

const MODELS = [
  { id: 'claude-a', display_name: 'Claude A' },
  { id: 'claude-b' },
  { id: 'claude-c' },
];

describe('Anthropic stand-in, driven by @anthropic-ai/sdk', () => {
  let standIn: AnthropicStandIn;
  let client: Anthropic;

  const sdk = (options: ConstructorParameters<typeof Anthropic>[0] = {}): Anthropic =>
    new Anthropic({
      apiKey: ANTHROPIC_STAND_IN_KEY,
      baseURL: standIn.baseUrl,
      maxRetries: 0,
      timeout: 10_000,
      logLevel: 'off',
      openTelemetry: false,
      ...options,
    });

  beforeAll(async () => {
    standIn = await startAnthropicStandIn({ models: MODELS });
  });

  afterAll(async () => {
    await standIn.close();
  });

  beforeEach(() => {
    standIn.requests.length = 0;
    client = sdk();
  });

  it('serves the API at the root of url', () => {
    expect(standIn.baseUrl).toBe(standIn.url);
  });

  describe('models', () => {
    it('lists the models in pages', async () => {
      const page = await client.models.list({ limit: 2 });
      expect(page.data.map((model) => model.id)).toEqual(['claude-a', 'claude-b']);
      expect(page).toMatchObject({ has_more: true, first_id: 'claude-a', last_id: 'claude-b' });
      expect(page.data[0]).toMatchObject({ type: 'model', display_name: 'Claude A', created_at: expect.any(String) });

      standIn.requests.length = 0;
      const ids: string[] = [];
      for await (const model of client.models.list({ limit: 1 })) ids.push(model.id);
      expect(ids).toEqual(['claude-a', 'claude-b', 'claude-c']);
      // The last page says has_more: false, so the SDK stops after three requests.
      expect(standIn.requests.map((request) => request.url)).toEqual([
        '/v1/models?limit=1',
        '/v1/models?limit=1&after_id=claude-a',
        '/v1/models?limit=1&after_id=claude-b',
      ]);
    });

    it('retrieves a model, and answers an unknown one with not_found_error', async () => {
      expect(await client.models.retrieve('claude-b')).toMatchObject({ id: 'claude-b', display_name: 'claude-b' });

      const error = await apiError(client.models.retrieve('claude-x'));
      expect(error).toBeInstanceOf(NotFoundError);
      expect(error.status).toBe(404);
      expect(error.type).toBe('not_found_error');
      expect(error.apiMessage).toBe('model: claude-x');
      expect(error.error).toMatchObject({ type: 'error', error: { type: 'not_found_error', message: 'model: claude-x' } });
      expect(error.requestID).toMatch(/^req_/);
    });
  });

  describe('messages', () => {
    it('echoes the last user message, counts words as tokens and records the request', async () => {
      const message = await client.messages.create({
        model: 'claude-a',
        max_tokens: 100,
        system: 'you are terse',
        messages: [
          { role: 'user', content: 'first' },
          { role: 'assistant', content: 'ok' },
          { role: 'user', content: [{ type: 'text', text: 'hello there' }] },
        ],
        stop_sequences: ['END'],
      });

      expect(message).toEqual({
        id: expect.stringMatching(/^msg_/),
        type: 'message',
        role: 'assistant',
        model: 'claude-a',
        content: [{ type: 'text', text: 'Echo: hello there' }],
        stop_reason: 'end_turn',
        stop_sequence: null,
        usage: { input_tokens: 7, output_tokens: 3 },
      });
      const [request] = standIn.requests;
      expect(request).toMatchObject({ method: 'POST', path: '/v1/messages' });
      expect(request.headers.authorization).toBe(`Bearer ${ANTHROPIC_STAND_IN_KEY}`);
      expect(request.headers['anthropic-version']).toEqual(expect.any(String));
      expect(request.body).toMatchObject({ max_tokens: 100, stop_sequences: ['END'], system: 'you are terse' });
    });

    it('accepts system blocks and stops at max_tokens words', async () => {
      const message = await client.messages.create({
        model: 'claude-a',
        max_tokens: 2,
        system: [{ type: 'text', text: 'two words' }],
        messages: [{ role: 'user', content: 'a b c' }],
      });
      expect(message.content).toEqual([{ type: 'text', text: 'Echo: a' }]);
      expect(message.stop_reason).toBe('max_tokens');
      expect(message.usage).toMatchObject({ input_tokens: 5, output_tokens: 2 });
    });

    it('requires max_tokens, known roles and a known model', async () => {
      const noMaxTokens = await apiError(
        client.messages.create({ model: 'claude-a', messages: [{ role: 'user', content: 'x' }] } as never),
      );
      expect(noMaxTokens).toBeInstanceOf(BadRequestError);
      expect(noMaxTokens.apiMessage).toBe('max_tokens: Field required');

      const systemRole = await apiError(
        client.messages.create({ model: 'claude-a', max_tokens: 5, messages: [{ role: 'system', content: 'x' }] } as never),
      );
      expect(systemRole.status).toBe(400);
      expect(systemRole.type).toBe('invalid_request_error');

      const unknown = await apiError(
        client.messages.create({ model: 'claude-x', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] }),
      );
      expect(unknown.status).toBe(404);
      expect(unknown.apiMessage).toBe('model: claude-x');
    });

    it('requires the anthropic-version header', async () => {
      const response = await fetch(`${standIn.url}/v1/messages`, {
        method: 'POST',
        headers: { 'x-api-key': ANTHROPIC_STAND_IN_KEY, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'claude-a', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] }),
      });
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({
        type: 'error',
        error: { type: 'invalid_request_error', message: 'anthropic-version: header is required' },
      });
    });
  });

  describe('authentication', () => {
    it('accepts the key in x-api-key, as older SDKs send it', async () => {
      const legacy = sdk({ defaultHeaders: { authorization: null, 'x-api-key': ANTHROPIC_STAND_IN_KEY } });
      const message = await legacy.messages.create({ model: 'claude-b', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] });
      expect(message.content).toEqual([{ type: 'text', text: 'Echo: hi' }]);
      expect(standIn.requests[0].headers['x-api-key']).toBe(ANTHROPIC_STAND_IN_KEY);
      expect(standIn.requests[0].headers.authorization).toBeUndefined();
    });

    it('rejects a wrong key in either header with authentication_error', async () => {
      const bearer = await apiError(sdk({ apiKey: 'sk-ant-wrong' }).models.list());
      expect(bearer).toBeInstanceOf(AuthenticationError);
      expect(bearer.type).toBe('authentication_error');
      expect(bearer.apiMessage).toBe('invalid x-api-key');

      const header = await apiError(
        sdk({ defaultHeaders: { authorization: null, 'x-api-key': 'sk-ant-wrong' } }).models.list(),
      );
      expect(header.status).toBe(401);
    });
  });

  describe('faults', () => {
    const ask = (prompt: string, client2: Anthropic = client) =>
      client2.messages.create({ model: 'claude-a', max_tokens: 10, messages: [{ role: 'user', content: prompt }] });

    it('answers [[status:429]] with rate_limit_error, Retry-After 7 and rate-limit headers', async () => {
      const error = await apiError(ask('hi [[status:429]]'));
      expect(error).toBeInstanceOf(RateLimitError);
      expect(error.type).toBe('rate_limit_error');
      expect(error.headers?.get('retry-after')).toBe('7');
      expect(error.headers?.get('anthropic-ratelimit-requests-remaining')).toBe('0');

      const overridden = await apiError(ask('hi [[status:429]][[retry-after:2]]'));
      expect(overridden.headers?.get('retry-after')).toBe('2');
    });

    it.each([
      [400, BadRequestError, 'invalid_request_error'],
      [401, AuthenticationError, 'authentication_error'],
      [403, PermissionDeniedError, 'permission_error'],
      [404, NotFoundError, 'not_found_error'],
      [500, InternalServerError, 'api_error'],
      [529, OverloadedError, 'overloaded_error'],
    ])('answers [[status:%i]] with an Anthropic error body', async (status, errorClass, type) => {
      const error = await apiError(ask(`hi [[status:${status}]]`));
      expect(error).toBeInstanceOf(errorClass);
      expect(error.status).toBe(status);
      expect(error.type).toBe(type);
      expect(error.error).toMatchObject({ type: 'error', error: { type }, request_id: error.requestID });
    });

    it('takes markers from a model id in the URL', async () => {
      expect((await apiError(client.models.retrieve('claude-a[[status:529]]'))).status).toBe(529);
    });

    it('waits [[slow:MS]], long enough to trip a client timeout', async () => {
      const started = Date.now();
      await ask('hi [[slow:120]]');
      expect(Date.now() - started).toBeGreaterThanOrEqual(110);

      const timedOutAt = Date.now();
      expect(await rejection(ask('hi [[slow:1000]]', sdk({ timeout: 50 })))).toBeInstanceOf(APIConnectionError);
      expect(Date.now() - timedOutAt).toBeLessThan(900);
    });

    it('drops the connection on [[drop]]', async () => {
      expect(await rejection(ask('hi [[drop]]'))).toBeInstanceOf(APIConnectionError);
    });

    it('quotes the full credential header on [[echo-key]]', async () => {
      const error = await apiError(ask('hi [[echo-key]]'));
      expect(error.status).toBe(400);
      expect(error.message).toContain(`Bearer ${ANTHROPIC_STAND_IN_KEY}`);
    });
  });
});

describe('@modelyard/providers Anthropic adapter against the stand-in', () => {
  const KEY = 'sk-ant-adapter-0123456789';
  let standIn: AnthropicStandIn;
  let deps: ProviderDeps;

  const claude = (overrides: Partial<ProviderTarget> = {}): ProviderTarget => ({
    kind: 'anthropic',
    endpoint: null,
    model: 'claude-a',
    type: 'llm',
    apiKey: KEY,
    parameters: {},
    http: null,
    ...overrides,
  });

  async function providerError(promise: Promise<unknown>): Promise<ProviderError> {
    const error = await rejection(promise);
    if (!(error instanceof ProviderError)) throw new Error(`expected a ProviderError, got ${String(error)}`);
    expect(error.message).not.toContain(KEY);
    expect(error.stack ?? '').not.toContain(KEY);
    expect(JSON.stringify(error)).not.toContain(KEY);
    return error;
  }

  beforeAll(async () => {
    standIn = await startAnthropicStandIn({ keys: [KEY], models: MODELS });
    deps = { fetch, defaults: { openaiBaseUrl: 'http://unused.invalid/v1', anthropicBaseUrl: standIn.baseUrl }, timeoutMs: 5_000 };
  });

  afterAll(async () => {
    await standIn.close();
  });

  beforeEach(() => {
    standIn.requests.length = 0;
  });

  describe('validateProvider', () => {
    it('accepts a good key and a known model, at the default or a full /v1/messages URL', async () => {
      await expect(validateProvider(claude(), deps)).resolves.toBeUndefined();
      await expect(validateProvider(claude({ endpoint: `${standIn.url}/v1/messages` }), deps)).resolves.toBeUndefined();
      expect(standIn.requests.map((request) => request.path)).toEqual(['/v1/models/claude-a', '/v1/models/claude-a']);
      expect(standIn.requests[0].headers.authorization).toBe(`Bearer ${KEY}`);
    });

    it('rejects a wrong key as 422 on field api_key and an unknown model on field provider_model', async () => {
      const key = await providerError(validateProvider(claude({ apiKey: 'sk-ant-wrong' }), deps));
      expect(key).toMatchObject({ status: 422, code: 'provider_key_rejected', field: 'api_key', providerStatus: 401 });
      expect(key.message).toBe('Anthropic rejected the API key: invalid x-api-key');

      const model = await providerError(validateProvider(claude({ model: 'claude-x' }), deps));
      expect(model).toMatchObject({ status: 422, code: 'provider_model_not_found', field: 'provider_model' });
    });

    it('maps 529 overloaded to 424 provider_unavailable and 429 to 429', async () => {
      expect(await providerError(validateProvider(claude({ model: 'claude-a[[status:529]]' }), deps))).toMatchObject({
        status: 424,
        code: 'provider_unavailable',
        providerStatus: 529,
      });
      expect(await providerError(validateProvider(claude({ model: 'claude-a[[status:429]]' }), deps))).toMatchObject({
        status: 429,
        retryAfterSeconds: 7,
      });
    });
  });

  describe('invokeProvider', () => {
    it('sends a Messages request with default max_tokens and reads text, usage and stop_reason', async () => {
      const result = await invokeProvider(claude({ parameters: { system: 'be brief', top_k: 5 } }), { prompt: 'hello you' }, deps);
      expect(result).toEqual({ output: 'Echo: hello you', usage: { input_tokens: 4, output_tokens: 3 }, finish_reason: 'end_turn' });
      expect(standIn.requests[0].body).toEqual({
        model: 'claude-a',
        max_tokens: 1024,
        top_k: 5,
        system: 'be brief',
        messages: [{ role: 'user', content: 'hello you' }],
        stream: false,
      });
    });

    it('takes max_tokens from the request over the model, and moves system turns to system', async () => {
      const result = await invokeProvider(
        claude({ parameters: { max_tokens: 500 } }),
        {
          messages: [
            { role: 'system', content: 'rules' },
            { role: 'user', content: 'a b c' },
          ],
          max_tokens: 2,
        },
        deps,
      );
      expect(result).toMatchObject({ output: 'Echo: a', finish_reason: 'max_tokens' });
      expect(standIn.requests[0].body).toMatchObject({ max_tokens: 2, system: 'rules', messages: [{ role: 'user', content: 'a b c' }] });
    });

    it.each([
      [400, 422, 'provider_rejected_request'],
      [401, 424, 'provider_auth_failed'],
      [404, 422, 'provider_rejected_request'],
      [429, 429, 'provider_rate_limited'],
      [500, 502, 'provider_error'],
      [529, 502, 'provider_error'],
    ])('maps HTTP %i to %i %s', async (providerStatus, status, code) => {
      const error = await providerError(invokeProvider(claude(), { prompt: `x [[status:${providerStatus}]]` }, deps));
      expect(error).toMatchObject({ status, code, providerStatus });
      if (providerStatus === 429) expect(error.retryAfterSeconds).toBe(7);
    });

    it('maps slowness past timeoutMs to 504 and a dropped connection to 502', async () => {
      expect(await providerError(invokeProvider(claude(), { prompt: '[[slow:2000]]' }, { ...deps, timeoutMs: 150 }))).toMatchObject({
        status: 504,
        code: 'provider_timeout',
        errorClass: 'timeout',
      });
      expect(await providerError(invokeProvider(claude(), { prompt: '[[drop]]' }, deps))).toMatchObject({ status: 502 });
    });

    it('redacts the key that an adversarial provider echoes back', async () => {
      const error = await providerError(invokeProvider(claude(), { prompt: '[[echo-key]]' }, deps));
      expect(error.message).toContain('Invalid credentials: "[redacted]"');
    });
  });

  it.each(['[[status:400]]', '[[status:401]]', '[[status:429]]', '[[status:529]]', '[[drop]]', '[[echo-key]]', '[[slow:1000]]'])(
    'never puts the key in a ProviderError (%s)',
    async (marker) => {
      const fast = { ...deps, timeoutMs: 200 };
      await providerError(invokeProvider(claude(), { prompt: `leak ${marker}` }, fast));
      await providerError(validateProvider(claude({ model: `claude-a${marker}` }), fast));
    },
  );
});
