import { createServer } from 'node:net';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { EndpointRefusedError } from '../egress/index.js';
import {
  connectionFailureKind,
  findEndpointRefusal,
  providerMessageOf,
  retryAfterSeconds,
  toProviderError,
  type ProviderCallContext,
} from './provider-failure.util.js';
import { ProviderError } from './provider.exception.js';

const KEY = 'sk-failure-spec-0123456789';
const context: ProviderCallContext = {
  provider: 'OpenAI',
  origin: 'https://api.openai.com',
  secret: KEY,
  timeoutMs: 1234,
  model: 'gpt-x',
};

async function closedPortError(): Promise<unknown> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return fetch(`http://127.0.0.1:${port}/`).then(
    () => undefined,
    (error: unknown) => error,
  );
}

describe('retryAfterSeconds', () => {
  const headers = (values: Record<string, string>) => new Headers(values);

  it('reads delta-seconds, HTTP dates and retry-after-ms', () => {
    expect(retryAfterSeconds(headers({ 'retry-after': '7' }))).toBe(7);
    expect(retryAfterSeconds(headers({ 'retry-after': '1.2' }))).toBe(2);
    const now = Date.parse('2030-01-01T00:00:00Z');
    expect(retryAfterSeconds(headers({ 'retry-after': 'Tue, 01 Jan 2030 00:00:30 GMT' }), now)).toBe(30);
    expect(retryAfterSeconds(headers({ 'retry-after': 'Mon, 31 Dec 2029 00:00:00 GMT' }), now)).toBe(0);
    expect(retryAfterSeconds(headers({ 'retry-after-ms': '2500' }))).toBe(3);
  });

  it('is null without a usable header', () => {
    expect(retryAfterSeconds(headers({}))).toBeNull();
    expect(retryAfterSeconds(headers({ 'retry-after': 'soon' }))).toBeNull();
    expect(retryAfterSeconds(undefined)).toBeNull();
  });
});

describe('providerMessageOf', () => {
  it('finds the message in each known shape', () => {
    expect(providerMessageOf({ error: { message: 'openai says' } }, '')).toBe('openai says');
    expect(providerMessageOf({ type: 'error', error: { type: 'x', message: 'anthropic says' } }, '')).toBe('anthropic says');
    expect(providerMessageOf({ error: 'flat' }, '')).toBe('flat');
    expect(providerMessageOf({ detail: 'problem' }, '')).toBe('problem');
    expect(providerMessageOf('<html>', 'fallback text')).toBe('fallback text');
    // Not cut here: a cut before redaction could split the key (see the straddling-key tests).
    expect(providerMessageOf({ message: 'x'.repeat(600) }, '')).toHaveLength(600);
  });
});

/** Every run of `length` characters of the key, to check that no recognisable part of it is left. */
const fragmentsOf = (key: string, length: number): string[] =>
  Array.from({ length: key.length - length + 1 }, (_, i) => key.slice(i, i + length));

describe('toProviderError', () => {
  it.each([
    ['validate', 401, 'provider_key_rejected'],
    ['validate', 400, 'provider_error'],
    ['invoke', 400, 'provider_rejected_request'],
    ['invoke', 500, 'provider_error'],
  ] as const)('never leaves a prefix of a key that straddles the cut (%s, HTTP %i)', (phase, providerStatus, code) => {
    // The key starts at every position around where long messages are cut.
    for (let start = 440; start < 760; start += 3) {
      const text = `${'y'.repeat(start)}${KEY} and more text after it ${'z'.repeat(400)}`;
      const error = toProviderError(context, phase, new OpenAI.APIError(providerStatus, { message: text }, undefined, new Headers()), false);
      expect(error.code).toBe(code);
      for (const fragment of fragmentsOf(KEY, 6)) expect(error.message).not.toContain(fragment);
      expect(error.message.length).toBeLessThanOrEqual(701);
    }
  });

  it('maps SDK status errors by phase, with the provider message and retry-after', () => {
    const headers = new Headers({ 'retry-after': '7' });
    const unauthorized = new OpenAI.AuthenticationError(401, { message: `bad key ${KEY}` }, undefined, headers);

    const rejected = toProviderError(context, 'validate', unauthorized, false);
    expect(rejected).toMatchObject({ status: 422, code: 'provider_key_rejected', field: 'api_key', providerStatus: 401 });
    expect(rejected.message).toBe('OpenAI rejected the API key: bad key [redacted]');

    expect(toProviderError(context, 'invoke', unauthorized, false)).toMatchObject({ status: 424, code: 'provider_auth_failed' });

    const limited = new Anthropic.RateLimitError(429, { type: 'error', error: { type: 'rate_limit_error', message: 'slow down' } }, undefined, headers);
    expect(toProviderError(context, 'invoke', limited, false)).toMatchObject({
      status: 429,
      code: 'provider_rate_limited',
      retryAfterSeconds: 7,
      providerStatus: 429,
    });
  });

  it.each([
    ['validate', 404, 422, 'provider_model_not_found', 'provider_error'],
    ['validate', 503, 424, 'provider_unavailable', 'provider_error'],
    ['validate', 400, 424, 'provider_error', 'provider_error'],
    ['invoke', 400, 422, 'provider_rejected_request', 'invalid_input'],
    ['invoke', 404, 422, 'provider_rejected_request', 'invalid_input'],
    ['invoke', 422, 422, 'provider_rejected_request', 'invalid_input'],
    ['invoke', 408, 504, 'provider_timeout', 'timeout'],
    ['invoke', 500, 502, 'provider_error', 'provider_error'],
    ['invoke', 529, 502, 'provider_error', 'provider_error'],
    ['invoke', 402, 502, 'provider_error', 'provider_error'],
  ] as const)('%s: HTTP %i → %i %s (%s)', (phase, providerStatus, status, code, errorClass) => {
    const error = new OpenAI.APIError(providerStatus, { message: 'm' }, undefined, new Headers());
    expect(toProviderError(context, phase, error, false)).toMatchObject({ status, code, errorClass, providerStatus });
  });

  it('maps a refused connection to 424 provider_unreachable naming the origin', async () => {
    const error = await closedPortError();
    expect(connectionFailureKind(error)).toBe('unreachable');
    for (const phase of ['validate', 'invoke'] as const) {
      const mapped = toProviderError(context, phase, new OpenAI.APIConnectionError({ cause: error as Error }), false);
      expect(mapped).toMatchObject({ status: 424, code: 'provider_unreachable', errorClass: 'provider_error' });
      expect(mapped.message).toMatch(/^OpenAI could not be reached at https:\/\/api\.openai\.com: connect ECONNREFUSED/);
    }
  });

  it('maps our own deadline to 504 on invoke and 424 on validate, both class timeout', () => {
    const aborted = new OpenAI.APIUserAbortError();
    expect(toProviderError(context, 'invoke', aborted, true)).toMatchObject({ status: 504, code: 'provider_timeout', errorClass: 'timeout' });
    const validate = toProviderError(context, 'validate', aborted, true);
    expect(validate).toMatchObject({ status: 424, code: 'provider_unreachable', errorClass: 'timeout' });
    expect(validate.message).toContain('no answer within 1234 ms');
    expect(toProviderError(context, 'invoke', new OpenAI.APIConnectionTimeoutError(), false).status).toBe(504);
  });

  it('finds an EndpointRefusedError anywhere in the cause chain', () => {
    const refusal = EndpointRefusedError.literal('169.254.169.254', 'cloud-metadata');
    const wrapped = new OpenAI.APIConnectionError({ cause: new TypeError('fetch failed', { cause: refusal }) });
    expect(findEndpointRefusal(wrapped)?.reason).toBe('cloud-metadata');
    expect(toProviderError(context, 'validate', wrapped, false)).toMatchObject({
      status: 422,
      code: 'endpoint_refused',
      field: 'endpoint',
      message: refusal.message,
    });
    const unresolvable = EndpointRefusedError.unresolvable('nowhere.invalid', 'ENOTFOUND');
    expect(toProviderError(context, 'invoke', unresolvable, false)).toMatchObject({ status: 424, code: 'provider_unreachable' });
  });

  it('passes a ProviderError through and maps anything else to a redacted 502 / 424', () => {
    const own = new ProviderError(422, 'invalid_input', 'x', { errorClass: 'invalid_input' });
    expect(toProviderError(context, 'invoke', own, false)).toBe(own);
    const garbled = new SyntaxError(`Unexpected token in JSON: "${KEY}"`);
    const invoke = toProviderError(context, 'invoke', garbled, false);
    expect(invoke).toMatchObject({ status: 502, code: 'provider_error' });
    expect(invoke.message).not.toContain(KEY);
    expect(toProviderError(context, 'validate', garbled, false)).toMatchObject({ status: 424, code: 'provider_error' });
  });

  it('never attaches the original error', () => {
    const error = toProviderError(context, 'invoke', new OpenAI.BadRequestError(400, { message: KEY }, undefined, new Headers()), false);
    expect(error.cause).toBeUndefined();
    expect(JSON.stringify(error)).not.toContain(KEY);
    expect(error.stack).not.toContain(KEY);
  });
});
