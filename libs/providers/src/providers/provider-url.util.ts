import type { ProviderDefaults } from './provider.port.js';
import { ProviderError } from './provider.exception.js';

/**
 * Call paths users paste from provider docs, stripped to the SDK base URL. Longest first, so that
 * `/chat/completions` is not mistaken for `/completions`.
 */
const OPENAI_CALL_PATHS = ['/chat/completions', '/completions', '/embeddings', '/responses', '/models'];
const ANTHROPIC_CALL_PATHS = ['/v1/messages', '/v1/models', '/v1/complete', '/v1'];

/**
 * Parses an endpoint URL given by a user; only http(s) URLs without credentials pass. The error
 * names no part of the URL beyond what the user must fix: a query string may hold a token.
 */
export function parseProviderUrl(endpoint: string): URL {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new ProviderError(422, 'invalid_endpoint', 'The endpoint is not a valid absolute URL.', {
      errorClass: 'invalid_input',
      field: 'endpoint',
    });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ProviderError(422, 'invalid_endpoint', `The endpoint URL must use http: or https:, not ${url.protocol}`, {
      errorClass: 'invalid_input',
      field: 'endpoint',
    });
  }
  if (url.username !== '' || url.password !== '') {
    throw new ProviderError(422, 'invalid_endpoint', 'The endpoint URL may not carry a user name or password; the key goes in api_key.', {
      errorClass: 'invalid_input',
      field: 'endpoint',
    });
  }
  return url;
}

/**
 * The SDK base URL from a full call URL or a base URL (or the default when null).
 * OpenAI: `https://api.openai.com/v1/chat/completions`, `…/v1/embeddings`, `…/v1/`, … →
 * `https://api.openai.com/v1`, on any host and under any path prefix (Azure-style gateways).
 * Anthropic: `https://api.anthropic.com/v1/messages`, `…/v1`, `https://api.anthropic.com` →
 * `https://api.anthropic.com` (the SDK adds `/v1/…` itself). A query string or fragment is dropped:
 * the SDKs append paths to the base URL and cannot carry one.
 */
export function providerBaseUrl(kind: 'openai' | 'anthropic', endpoint: string | null, defaults: ProviderDefaults): string {
  if (endpoint === null || endpoint.trim() === '') return kind === 'openai' ? defaults.openaiBaseUrl : defaults.anthropicBaseUrl;
  const url = parseProviderUrl(endpoint.trim());
  let path = url.pathname.replace(/\/+$/, '');
  for (const suffix of kind === 'openai' ? OPENAI_CALL_PATHS : ANTHROPIC_CALL_PATHS) {
    if (path.endsWith(suffix)) {
      path = path.slice(0, -suffix.length).replace(/\/+$/, '');
      break;
    }
  }
  return `${url.origin}${path}`;
}
