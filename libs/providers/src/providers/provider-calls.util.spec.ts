import { createServer } from 'node:net';
import { createGuardedFetch } from '../egress/index.js';
import { ProviderError } from './provider.exception.js';
import { invokeProvider, validateProvider } from './provider-calls.util.js';
import type { ProviderDeps, ProviderTarget } from './provider.port.js';
import { anthropicClient, openAiClient } from './sdk-clients.util.js';

const KEY = 'sk-calls-spec-0123456789';

async function closedPortUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

async function providerError(promise: Promise<unknown>): Promise<ProviderError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  if (!(error instanceof ProviderError)) throw new Error(`expected a ProviderError, got ${String(error)}`);
  expect(error.message).not.toContain(KEY);
  expect(JSON.stringify(error)).not.toContain(KEY);
  expect(error.stack ?? '').not.toContain(KEY);
  return error;
}

function target(overrides: Partial<ProviderTarget>): ProviderTarget {
  return { kind: 'openai', endpoint: null, model: 'gpt-4o-mini', type: 'llm', apiKey: KEY, parameters: {}, http: null, ...overrides };
}

describe('validateProvider / invokeProvider without a provider', () => {
  let closed: string;
  let deps: ProviderDeps;

  beforeAll(async () => {
    closed = await closedPortUrl();
    deps = { fetch, defaults: { openaiBaseUrl: `${closed}/v1`, anthropicBaseUrl: closed }, timeoutMs: 2_000 };
  });

  it('reports a closed port as 424 provider_unreachable, for validation and calls alike', async () => {
    const validate = await providerError(validateProvider(target({}), deps));
    expect(validate).toMatchObject({ status: 424, code: 'provider_unreachable', providerStatus: null });
    expect(validate.message).toContain(`OpenAI could not be reached at ${closed}`);

    expect(await providerError(validateProvider(target({ kind: 'anthropic', model: 'claude-x' }), deps))).toMatchObject({
      status: 424,
      code: 'provider_unreachable',
    });
    expect(await providerError(invokeProvider(target({}), { prompt: 'hi' }, deps))).toMatchObject({ status: 424 });
    expect(
      await providerError(invokeProvider(target({ kind: 'endpoint', endpoint: `${closed}/predict` }), { text: 'x' }, deps)),
    ).toMatchObject({ status: 424, code: 'provider_unreachable' });
  });

  it('does not call an endpoint model to validate it', async () => {
    await expect(validateProvider(target({ kind: 'endpoint', endpoint: `${closed}/predict` }), deps)).resolves.toBeUndefined();
  });

  it('refuses bad input before any request', async () => {
    expect(await providerError(invokeProvider(target({}), { text: 'no prompt' }, deps))).toMatchObject({
      status: 422,
      code: 'invalid_input',
      field: 'input_data.prompt',
      errorClass: 'invalid_input',
    });
    expect(await providerError(invokeProvider(target({ type: 'embedding' }), { input: 3 }, deps))).toMatchObject({
      field: 'input_data.input',
    });
    expect(await providerError(invokeProvider(target({ kind: 'endpoint', endpoint: null }), {}, deps))).toMatchObject({
      status: 422,
      code: 'invalid_endpoint',
      field: 'endpoint',
    });
  });

  it('refuses Anthropic embeddings and Anthropic without a key', async () => {
    const anthropic = target({ kind: 'anthropic', model: 'claude-x' });
    expect(await providerError(validateProvider({ ...anthropic, type: 'embedding' }, deps))).toMatchObject({
      status: 422,
      code: 'unsupported_model_type',
      field: 'type',
    });
    expect(await providerError(invokeProvider({ ...anthropic, type: 'embedding' }, { input: 'x' }, deps))).toMatchObject({
      status: 422,
    });
    expect(await providerError(validateProvider({ ...anthropic, apiKey: null }, deps))).toMatchObject({
      status: 422,
      code: 'provider_key_missing',
      field: 'api_key',
    });
    expect(await providerError(invokeProvider({ ...anthropic, apiKey: null }, { prompt: 'x' }, deps))).toMatchObject({
      status: 424,
      code: 'provider_auth_failed',
    });
  });

  it('maps the egress guard refusal to 422 endpoint_refused on field endpoint', async () => {
    const guarded: ProviderDeps = { ...deps, fetch: createGuardedFetch({ allowedHosts: [] }) };
    const openai = await providerError(validateProvider(target({ endpoint: `${closed}/v1/chat/completions` }), guarded));
    expect(openai).toMatchObject({ status: 422, code: 'endpoint_refused', field: 'endpoint', errorClass: 'invalid_input' });
    expect(openai.message).toContain('127.0.0.1');

    const endpoint = await providerError(
      invokeProvider(target({ kind: 'endpoint', endpoint: 'http://169.254.169.254/latest' }), { text: 'x' }, guarded),
    );
    expect(endpoint).toMatchObject({ status: 422, code: 'endpoint_refused', field: 'endpoint' });

    const anthropic = await providerError(
      invokeProvider(target({ kind: 'anthropic', endpoint: `${closed}/v1/messages` }), { prompt: 'x' }, guarded),
    );
    expect(anthropic.code).toBe('endpoint_refused');
  });
});

describe('SDK client cache', () => {
  const deps: ProviderDeps = { fetch, defaults: { openaiBaseUrl: 'https://a', anthropicBaseUrl: 'https://b' }, timeoutMs: 1_000 };

  it('reuses a client for the same fetch, base URL, key and timeout, and only then', () => {
    const client = openAiClient('https://a/v1', KEY, deps);
    expect(openAiClient('https://a/v1', KEY, deps)).toBe(client);
    expect(openAiClient('https://a/v1', `${KEY}x`, deps)).not.toBe(client);
    expect(openAiClient('https://other/v1', KEY, deps)).not.toBe(client);
    expect(openAiClient('https://a/v1', KEY, { ...deps, timeoutMs: 5 })).not.toBe(client);
    const otherFetch: typeof fetch = (input, init) => fetch(input, init);
    expect(openAiClient('https://a/v1', KEY, { ...deps, fetch: otherFetch })).not.toBe(client);
    expect(anthropicClient('https://a', KEY, deps)).toBe(anthropicClient('https://a', KEY, deps));
  });
});
