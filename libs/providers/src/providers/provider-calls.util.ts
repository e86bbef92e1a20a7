import { invokeAnthropic, validateAnthropic } from './anthropic.adapter.js';
import { invokeHttpEndpoint } from './http-endpoint.adapter.js';
import { invokeOpenAi, validateOpenAi } from './openai.adapter.js';
import { ProviderError } from './provider.exception.js';
import type { ProviderDeps, ProviderResult, ProviderTarget } from './provider.port.js';
import { redactSecret } from './redact.util.js';

/**
 * The last line of defence for the key: whatever escaped the adapters' own mapping (a bug, an SDK
 * surprise) leaves as a ProviderError whose message has been redacted and which holds no cause.
 */
function contained(error: unknown, target: ProviderTarget): ProviderError {
  if (error instanceof ProviderError) {
    const message = redactSecret(error.message, target.apiKey);
    return message === error.message ? error : new ProviderError(error.status, error.code, message, error.options);
  }
  const message = error instanceof Error ? error.message : String(error);
  return new ProviderError(502, 'provider_error', redactSecret(`The provider call failed: ${message}`, target.apiKey), {
    errorClass: 'provider_error',
  });
}

/**
 * Checks the key and the model with the provider (models.retrieve). Endpoint models are not
 * checked: there is no side-effect-free request to make, so the first test call is the check.
 * Throws ProviderError.
 */
export async function validateProvider(target: ProviderTarget, deps: ProviderDeps): Promise<void> {
  try {
    switch (target.kind) {
      case 'openai':
        return await validateOpenAi(target, deps);
      case 'anthropic':
        return await validateAnthropic(target, deps);
      case 'endpoint':
        return;
    }
  } catch (error) {
    throw contained(error, target);
  }
}

/** One call. Throws ProviderError. */
export async function invokeProvider(
  target: ProviderTarget,
  input: Record<string, unknown>,
  deps: ProviderDeps,
): Promise<ProviderResult> {
  try {
    switch (target.kind) {
      case 'openai':
        return await invokeOpenAi(target, input, deps);
      case 'anthropic':
        return await invokeAnthropic(target, input, deps);
      case 'endpoint':
        return await invokeHttpEndpoint(target, input, deps);
    }
  } catch (error) {
    throw contained(error, target);
  }
}
