export type {
  HttpEndpointConfig,
  ProviderDefaults,
  ProviderDeps,
  ProviderKind,
  ProviderResult,
  ProviderTarget,
  ProviderUsage,
} from './provider.port.js';
export { ProviderError, type ProviderErrorClass, type ProviderErrorOptions } from './provider.exception.js';
export { providerBaseUrl } from './provider-url.util.js';
export { redactSecret } from './redact.util.js';
export { invokeProvider, validateProvider } from './provider-calls.util.js';
export { ANTHROPIC_DEFAULT_MAX_TOKENS } from './anthropic.adapter.js';
export { retryAfterSeconds } from './provider-failure.util.js';
