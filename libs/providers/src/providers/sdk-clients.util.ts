import { createHash } from 'node:crypto';
import Anthropic from '@anthropic-ai/sdk';
import { LRUCache } from 'lru-cache';
import OpenAI from 'openai';
import type { ProviderDeps } from './provider.port.js';

/**
 * SDK clients are cached, so a call does not rebuild one (the proxy-overhead budget is ≤ 3 ms added
 * at p50). The cache key holds a hash of the key, never the key: keys of this map may end up in a
 * heap dump or a debug print. One cache per fetch function, since a client is bound to its fetch.
 */
const MAX_CLIENTS = 256;
const caches = new WeakMap<ProviderDeps['fetch'], LRUCache<string, OpenAI | Anthropic>>();

/**
 * The SDK's own timeout is a backstop only; callWithDeadline's signal ends the call at timeoutMs
 * and reports it as a timeout in every realm.
 */
const SDK_TIMEOUT_SLACK_MS = 1_000;

function cacheKey(kind: string, baseURL: string, apiKey: string | null, timeoutMs: number): string {
  const keyHash = apiKey === null ? '-' : createHash('sha256').update(apiKey).digest('hex');
  return `${kind}\n${baseURL}\n${timeoutMs}\n${keyHash}`;
}

function cached<T extends OpenAI | Anthropic>(
  deps: ProviderDeps,
  key: string,
  build: () => T,
): T {
  let cache = caches.get(deps.fetch);
  if (!cache) {
    cache = new LRUCache({ max: MAX_CLIENTS });
    caches.set(deps.fetch, cache);
  }
  let client = cache.get(key) as T | undefined;
  if (!client) {
    client = build();
    cache.set(key, client);
  }
  return client;
}

/** An OpenAI client; without a key it sends no Authorization header (OpenAI-compatible servers). */
export function openAiClient(baseURL: string, apiKey: string | null, deps: ProviderDeps): OpenAI {
  return cached(deps, cacheKey('openai', baseURL, apiKey, deps.timeoutMs), () =>
    new OpenAI({
      apiKey: apiKey ?? '',
      // Explicit nulls, so the SDK reads no OPENAI_* variable of the process it runs in.
      organization: null,
      project: null,
      webhookSecret: null,
      baseURL,
      fetch: deps.fetch,
      maxRetries: 0,
      timeout: deps.timeoutMs + SDK_TIMEOUT_SLACK_MS,
      logLevel: 'off',
      ...(apiKey === null && { defaultHeaders: { Authorization: null } }),
    }),
  );
}

/** An Anthropic client; the key goes out as `Authorization: Bearer` (SDK 1.x). */
export function anthropicClient(baseURL: string, apiKey: string, deps: ProviderDeps): Anthropic {
  return cached(deps, cacheKey('anthropic', baseURL, apiKey, deps.timeoutMs), () =>
    new Anthropic({
      apiKey,
      webhookKey: null,
      baseURL,
      fetch: deps.fetch,
      maxRetries: 0,
      timeout: deps.timeoutMs + SDK_TIMEOUT_SLACK_MS,
      logLevel: 'off',
      // No spans or trace headers: spans would hand prompts to whatever tracer the host process registered.
      openTelemetry: false,
    }),
  );
}
