import OpenAI from 'openai';
import { invokeProvider, ProviderError, validateProvider, type ProviderDeps, type ProviderTarget } from '@modelyard/providers';
import {
  OPENAI_STAND_IN_KEY,
  openAiStandInEmbedding,
  startOpenAiStandIn,
  type OpenAiStandIn,
} from './openai.stand-in.js';

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error,
  );
}

async function apiError(promise: Promise<unknown>): Promise<InstanceType<typeof OpenAI.APIError>> {
  const error = await rejection(promise);
  if (!(error instanceof OpenAI.APIError)) throw new Error(`expected an APIError, got ${String(error)}`);
  return error;
}

describe('OpenAI stand-in, driven by the openai SDK', () => {
  let standIn: OpenAiStandIn;
  let client: OpenAI;

  beforeAll(async () => {
    standIn = await startOpenAiStandIn({
      models: [
        { id: 'gpt-4o-mini' },
        { id: 'text-embedding-3-small', kind: 'embedding' },
      ],
    });
  });

  afterAll(async () => {
    await standIn.close();
  });

  beforeEach(() => {
    standIn.requests.length = 0;
    client = new OpenAI({ apiKey: OPENAI_STAND_IN_KEY, baseURL: standIn.baseUrl, maxRetries: 0, logLevel: 'off' });
  });

  it('serves baseUrl under /v1 of url', () => {
    expect(standIn.baseUrl).toBe(`${standIn.url}/v1`);
    expect(standIn.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  describe('models', () => {
    it('lists the configured models', async () => {
      const ids: string[] = [];
      for await (const model of client.models.list()) ids.push(model.id);
      expect(ids).toEqual(['gpt-4o-mini', 'text-embedding-3-small']);
    });

    it('retrieves a model by id', async () => {
      const model = await client.models.retrieve('gpt-4o-mini');
      expect(model).toMatchObject({ id: 'gpt-4o-mini', object: 'model', owned_by: expect.any(String) });
      expect(standIn.requests[0]).toMatchObject({ method: 'GET', path: '/v1/models/gpt-4o-mini', body: null });
    });

    it('answers an unknown model with 404 model_not_found, as the SDK parses it', async () => {
      const error = await apiError(client.models.retrieve('gpt-9'));
      expect(error).toBeInstanceOf(OpenAI.NotFoundError);
      expect(error.status).toBe(404);
      expect(error.code).toBe('model_not_found');
      expect(error.error).toEqual({
        message: "The model 'gpt-9' does not exist",
        type: 'invalid_request_error',
        param: 'model',
        code: 'model_not_found',
      });
    });
  });

  describe('chat completions', () => {
    it('echoes the last user message with usage and records the request', async () => {
      const completion = await client.chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [
          { role: 'system', content: 'be brief' },
          { role: 'user', content: 'first question' },
          { role: 'assistant', content: 'first answer' },
          { role: 'user', content: 'hello there world' },
        ],
        temperature: 0.2,
      });

      expect(completion).toMatchObject({
        id: expect.stringMatching(/^chatcmpl-/),
        object: 'chat.completion',
        created: expect.any(Number),
        model: 'gpt-4o-mini',
        choices: [{ index: 0, message: { role: 'assistant', content: 'Echo: hello there world' }, finish_reason: 'stop' }],
        usage: { prompt_tokens: 9, completion_tokens: 4, total_tokens: 13 },
      });
      const [request] = standIn.requests;
      expect(request).toMatchObject({ method: 'POST', path: '/v1/chat/completions' });
      expect(request.headers.authorization).toBe(`Bearer ${OPENAI_STAND_IN_KEY}`);
      expect(request.body).toMatchObject({ model: 'gpt-4o-mini', temperature: 0.2 });
    });

    it('cuts the answer to max_tokens words and reports finish_reason length', async () => {
      const completion = await client.chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: [{ type: 'text', text: 'one two three four' }] }],
        max_tokens: 3,
      });
      expect(completion.choices[0]).toMatchObject({ message: { content: 'Echo: one two' }, finish_reason: 'length' });
      expect(completion.usage).toMatchObject({ prompt_tokens: 4, completion_tokens: 3 });
    });

    it('answers an embedding model asked for chat with the 404 OpenAI sends', async () => {
      const error = await apiError(
        client.chat.completions.create({ model: 'text-embedding-3-small', messages: [{ role: 'user', content: 'hi' }] }),
      );
      expect(error.status).toBe(404);
      expect(error.message).toContain('This is not a chat model');
      expect(error.param).toBe('model');
    });

    it('answers an unknown model with 404 and refuses streaming with 400', async () => {
      const unknown = await apiError(
        client.chat.completions.create({ model: 'gpt-9', messages: [{ role: 'user', content: 'hi' }] }),
      );
      expect(unknown.status).toBe(404);
      expect(unknown.code).toBe('model_not_found');

      const streaming = await apiError(
        client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], stream: true }),
      );
      expect(streaming.status).toBe(400);
      expect(streaming.param).toBe('stream');
    });
  });

  describe('embeddings', () => {
    it('returns deterministic 8-dim vectors through the SDK default (base64) encoding', async () => {
      const response = await client.embeddings.create({ model: 'text-embedding-3-small', input: ['a b', 'c'] });
      expect(response.data.map((item) => item.embedding)).toEqual([openAiStandInEmbedding('a b'), openAiStandInEmbedding('c')]);
      expect(response.usage).toEqual({ prompt_tokens: 3, total_tokens: 3 });
      expect(standIn.requests[0].body).toMatchObject({ encoding_format: 'base64' });
    });

    it('returns the same vectors as floats when asked', async () => {
      const response = await client.embeddings.create({
        model: 'text-embedding-3-small',
        input: 'a b',
        encoding_format: 'float',
      });
      const [vector] = response.data.map((item) => item.embedding);
      expect(vector).toEqual(openAiStandInEmbedding('a b'));
      expect(vector).toHaveLength(8);
      expect(openAiStandInEmbedding('a b')).not.toEqual(openAiStandInEmbedding('a c'));
    });

    it('refuses embeddings from a chat model', async () => {
      const error = await apiError(client.embeddings.create({ model: 'gpt-4o-mini', input: 'x' }));
      expect(error.status).toBe(400);
    });
  });

  describe('authentication', () => {
    it('rejects a wrong key with 401 invalid_api_key and shows only a masked key', async () => {
      const wrong = new OpenAI({ apiKey: 'sk-wrong-key-123456', baseURL: standIn.baseUrl, maxRetries: 0, logLevel: 'off' });
      const error = await apiError(wrong.models.list());
      expect(error).toBeInstanceOf(OpenAI.AuthenticationError);
      expect(error.status).toBe(401);
      expect(error.code).toBe('invalid_api_key');
      expect(error.type).toBe('invalid_request_error');
      expect(error.message).toContain('Incorrect API key provided: sk-wro***3456.');
      expect(error.message).not.toContain('sk-wrong-key-123456');
    });

    it('rejects a request without a key with 401', async () => {
      const response = await fetch(`${standIn.baseUrl}/models`);
      expect(response.status).toBe(401);
      const body = (await response.json()) as { error: { message: string; type: string } };
      expect(body.error.message).toMatch(/^You didn't provide an API key/);
    });
  });

  describe('faults', () => {
    const ask = (prompt: string, sdk: OpenAI = client) =>
      sdk.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: prompt }] });

    it('answers [[status:429]] with Retry-After 7 and x-ratelimit headers', async () => {
      const error = await apiError(ask('hi [[status:429]]'));
      expect(error).toBeInstanceOf(OpenAI.RateLimitError);
      expect(error.code).toBe('rate_limit_exceeded');
      expect(error.headers?.get('retry-after')).toBe('7');
      expect(error.headers?.get('x-ratelimit-remaining-requests')).toBe('0');
      expect(error.headers?.get('x-ratelimit-limit-tokens')).toBe('150000');
    });

    it('lets [[retry-after:N]] override the Retry-After value', async () => {
      const error = await apiError(ask('hi [[status:429]] [[retry-after:3]]'));
      expect(error.headers?.get('retry-after')).toBe('3');
    });

    it.each([
      [400, OpenAI.BadRequestError, 'invalid_request_error'],
      [401, OpenAI.AuthenticationError, 'invalid_request_error'],
      [403, OpenAI.PermissionDeniedError, 'request_forbidden'],
      [404, OpenAI.NotFoundError, 'invalid_request_error'],
      [500, OpenAI.InternalServerError, 'server_error'],
      [503, OpenAI.InternalServerError, 'server_error'],
    ])('answers [[status:%i]] with an OpenAI error body', async (status, errorClass, type) => {
      const error = await apiError(ask(`hi [[status:${status}]]`));
      expect(error).toBeInstanceOf(errorClass);
      expect(error.status).toBe(status);
      expect(error.type).toBe(type);
      expect(error.headers?.get('x-request-id')).toMatch(/^req_/);
    });

    it('takes markers from a model id in the URL', async () => {
      const error = await apiError(client.models.retrieve('gpt-4o-mini[[status:503]]'));
      expect(error.status).toBe(503);
    });

    it('waits [[slow:MS]] before answering, long enough to trip a client timeout', async () => {
      const started = Date.now();
      await ask('hi [[slow:150]]');
      expect(Date.now() - started).toBeGreaterThanOrEqual(140);

      const impatient = new OpenAI({ apiKey: OPENAI_STAND_IN_KEY, baseURL: standIn.baseUrl, maxRetries: 0, timeout: 50, logLevel: 'off' });
      const timedOutAt = Date.now();
      // Under Jest the SDK cannot recognise Node's AbortError (another realm), so it reports a plain
      // connection error; what matters here is that the stand-in had not answered within 50 ms.
      expect(await rejection(ask('hi [[slow:1000]]', impatient))).toBeInstanceOf(OpenAI.APIConnectionError);
      expect(Date.now() - timedOutAt).toBeLessThan(900);
    });

    it('drops the connection on [[drop]]', async () => {
      const error = await rejection(ask('hi [[drop]]'));
      expect(error).toBeInstanceOf(OpenAI.APIConnectionError);
      expect(error).not.toBeInstanceOf(OpenAI.APIConnectionTimeoutError);
    });

    it('quotes the full credential header on [[echo-key]]', async () => {
      const error = await apiError(ask('hi [[echo-key]]'));
      expect(error.status).toBe(400);
      expect(error.message).toContain(`Bearer ${OPENAI_STAND_IN_KEY}`);
    });
  });
});

describe('@modelyard/providers OpenAI adapter against the stand-in', () => {
  const KEY = 'sk-modelyard-adapter-0123456789';
  let standIn: OpenAiStandIn;
  let deps: ProviderDeps;

  const chat = (overrides: Partial<ProviderTarget> = {}): ProviderTarget => ({
    kind: 'openai',
    endpoint: standIn.baseUrl,
    model: 'gpt-4o-mini',
    type: 'llm',
    apiKey: KEY,
    parameters: {},
    http: null,
    ...overrides,
  });

  async function providerError(promise: Promise<unknown>): Promise<ProviderError> {
    const error = await rejection(promise);
    if (!(error instanceof ProviderError)) throw new Error(`expected a ProviderError, got ${String(error)}`);
    // Whatever the failure, the key must not be in anything that could be logged or answered.
    expect(error.message).not.toContain(KEY);
    expect(error.stack ?? '').not.toContain(KEY);
    expect(JSON.stringify(error)).not.toContain(KEY);
    expect(JSON.stringify({ ...error, message: error.message })).not.toContain(KEY);
    return error;
  }

  beforeAll(async () => {
    standIn = await startOpenAiStandIn({ keys: [KEY] });
    deps = { fetch, defaults: { openaiBaseUrl: standIn.baseUrl, anthropicBaseUrl: 'http://unused.invalid' }, timeoutMs: 5_000 };
  });

  afterAll(async () => {
    await standIn.close();
  });

  beforeEach(() => {
    standIn.requests.length = 0;
  });

  describe('validateProvider', () => {
    it('accepts a good key and a known model with one models.retrieve', async () => {
      await expect(validateProvider(chat({ endpoint: null }), deps)).resolves.toBeUndefined();
      expect(standIn.requests).toMatchObject([{ method: 'GET', path: '/v1/models/gpt-4o-mini' }]);
      expect(standIn.requests[0].headers.authorization).toBe(`Bearer ${KEY}`);
    });

    it('accepts a full call URL as the endpoint', async () => {
      await expect(validateProvider(chat({ endpoint: `${standIn.baseUrl}/chat/completions` }), deps)).resolves.toBeUndefined();
    });

    it('rejects a wrong key as 422 on field api_key, quoting OpenAI', async () => {
      const error = await providerError(validateProvider(chat({ apiKey: 'sk-wrong-key-0000000000' }), deps));
      expect(error).toMatchObject({ status: 422, code: 'provider_key_rejected', field: 'api_key', providerStatus: 401 });
      expect(error.message).toMatch(/^OpenAI rejected the API key: Incorrect API key provided: sk-wro\*\*\*0000/);
      expect(error.message).not.toContain('sk-wrong-key-0000000000');
    });

    it('rejects an unknown model as 422 on field provider_model', async () => {
      const error = await providerError(validateProvider(chat({ model: 'gpt-9' }), deps));
      expect(error).toMatchObject({ status: 422, code: 'provider_model_not_found', field: 'provider_model', providerStatus: 404 });
      expect(error.message).toContain('gpt-9');
    });

    it('maps 429 and 5xx answers', async () => {
      expect(await providerError(validateProvider(chat({ model: 'gpt-4o-mini[[status:429]]' }), deps))).toMatchObject({
        status: 429,
        code: 'provider_rate_limited',
        retryAfterSeconds: 7,
      });
      expect(await providerError(validateProvider(chat({ model: 'gpt-4o-mini[[status:503]]' }), deps))).toMatchObject({
        status: 424,
        code: 'provider_unavailable',
        providerStatus: 503,
      });
    });

    it('reports a provider that does not answer in time as 424 provider_unreachable', async () => {
      const error = await providerError(
        validateProvider(chat({ model: 'gpt-4o-mini[[slow:1000]]' }), { ...deps, timeoutMs: 100 }),
      );
      expect(error).toMatchObject({ status: 424, code: 'provider_unreachable', errorClass: 'timeout' });
    });

    it('reports a dropped connection as 424 provider_unreachable: the key could not be checked', async () => {
      const error = await providerError(validateProvider(chat({ model: 'gpt-4o-mini[[drop]]' }), deps));
      expect(error).toMatchObject({ status: 424, code: 'provider_unreachable', providerStatus: null });
    });
  });

  describe('invokeProvider', () => {
    it('sends the prompt with the parameters merged under the request, and reads the answer', async () => {
      const result = await invokeProvider(
        chat({ parameters: { temperature: 0.1, max_tokens: 50, system: 'be kind', stream: true } }),
        { prompt: 'one two three', temperature: 0.7, seed: 4 },
        deps,
      );
      expect(result).toEqual({
        output: 'Echo: one two three',
        usage: { input_tokens: 5, output_tokens: 4 },
        finish_reason: 'stop',
      });
      expect(standIn.requests[0].body).toEqual({
        model: 'gpt-4o-mini',
        messages: [
          { role: 'system', content: 'be kind' },
          { role: 'user', content: 'one two three' },
        ],
        temperature: 0.7,
        max_tokens: 50,
        seed: 4,
        stream: false,
      });
    });

    it('passes messages through and reports a cut answer', async () => {
      const result = await invokeProvider(
        chat(),
        { messages: [{ role: 'user', content: 'a b c d' }], max_tokens: 2 },
        deps,
      );
      expect(result).toMatchObject({ output: 'Echo: a', finish_reason: 'length', usage: { output_tokens: 2 } });
    });

    it('calls the embeddings API for an embedding model', async () => {
      const result = await invokeProvider(
        chat({ model: 'text-embedding-3-small', type: 'embedding', parameters: { encoding_format: 'float' } }),
        { input: ['alpha beta', 'gamma'] },
        deps,
      );
      expect(result).toEqual({
        output: [openAiStandInEmbedding('alpha beta'), openAiStandInEmbedding('gamma')],
        usage: { input_tokens: 3, output_tokens: null },
        finish_reason: null,
      });
      expect(standIn.requests[0]).toMatchObject({ path: '/v1/embeddings', body: { input: ['alpha beta', 'gamma'] } });
    });

    it.each([
      [400, 422, 'provider_rejected_request', 'invalid_input'],
      [401, 424, 'provider_auth_failed', 'provider_error'],
      [403, 424, 'provider_auth_failed', 'provider_error'],
      [404, 422, 'provider_rejected_request', 'invalid_input'],
      [500, 502, 'provider_error', 'provider_error'],
      [503, 502, 'provider_error', 'provider_error'],
    ])('maps HTTP %i to %i %s', async (providerStatus, status, code, errorClass) => {
      const error = await providerError(invokeProvider(chat(), { prompt: `x [[status:${providerStatus}]]` }, deps));
      expect(error).toMatchObject({ status, code, errorClass, providerStatus });
      expect(error.message).toContain(`(HTTP ${providerStatus})`);
    });

    it('maps 429 with Retry-After seconds or an HTTP date', async () => {
      expect(await providerError(invokeProvider(chat(), { prompt: '[[status:429]]' }, deps))).toMatchObject({
        status: 429,
        code: 'provider_rate_limited',
        retryAfterSeconds: 7,
        providerStatus: 429,
      });
      const date = new Date(Date.now() + 60_000).toUTCString();
      const dated = await providerError(invokeProvider(chat(), { prompt: `[[status:429]] [[retry-after:${date}]]` }, deps));
      expect(dated.retryAfterSeconds).toBeGreaterThanOrEqual(58);
      expect(dated.retryAfterSeconds).toBeLessThanOrEqual(60);
    });

    it('maps an answer slower than timeoutMs to 504 provider_timeout', async () => {
      const started = Date.now();
      const error = await providerError(invokeProvider(chat(), { prompt: '[[slow:2000]]' }, { ...deps, timeoutMs: 150 }));
      expect(error).toMatchObject({ status: 504, code: 'provider_timeout', errorClass: 'timeout' });
      expect(Date.now() - started).toBeLessThan(1_500);
    });

    it('maps a dropped connection to 502: the provider was reached but did not answer', async () => {
      const error = await providerError(invokeProvider(chat(), { prompt: '[[drop]]' }, deps));
      expect(error).toMatchObject({ status: 502, code: 'provider_error' });
      expect(error.message).toContain('closed the connection without answering');
    });

    it('redacts the key that an adversarial provider echoes back', async () => {
      const error = await providerError(invokeProvider(chat(), { prompt: '[[echo-key]]' }, deps));
      expect(error.status).toBe(422);
      expect(error.message).toContain('[redacted]');
    });
  });

  it.each(['[[status:400]]', '[[status:401]]', '[[status:404]]', '[[status:429]]', '[[status:500]]', '[[drop]]', '[[echo-key]]', '[[slow:1000]]'])(
    'never puts the key in a ProviderError (%s)',
    async (marker) => {
      const fast = { ...deps, timeoutMs: 200 };
      await providerError(invokeProvider(chat(), { prompt: `leak ${marker}` }, fast));
      await providerError(validateProvider(chat({ model: `gpt-4o-mini${marker}` }), fast));
      await providerError(invokeProvider(chat({ model: 'text-embedding-3-small', type: 'embedding' }), { input: marker }, fast));
    },
  );
});
