import { invokeAnthropic, validateAnthropic } from './anthropic.adapter.js';
import { invokeHttpEndpoint } from './http-endpoint.adapter.js';
import { invokeOpenAi, validateOpenAi } from './openai.adapter.js';
import { ProviderError } from './provider.exception.js';
import type { ProviderDeps, ProviderResult, ProviderTarget } from './provider.port.js';
import { redactSecret, redactSecretDeep } from './redact.util.js';

/** Longest message of a failure that escaped the adapters' mapping (cut after redaction). */
const MAX_MESSAGE = 700;

const clipped = (text: string): string => (text.length > MAX_MESSAGE ? `${text.slice(0, MAX_MESSAGE)}…` : text);

/**
 * The last line of defence for the key: whatever escaped the adapters' own mapping (a bug, an SDK
 * surprise) leaves as a ProviderError whose message has been redacted and which holds no cause.
 */
function contained(error: unknown, target: ProviderTarget): ProviderError {
  if (error instanceof ProviderError) {
    const message = clipped(redactSecret(error.message, target.apiKey));
    return message === error.message ? error : new ProviderError(error.status, error.code, message, error.options);
  }
  const message = error instanceof Error ? error.message : String(error);
  return new ProviderError(502, 'provider_error', clipped(redactSecret(`The provider call failed: ${message}`, target.apiKey)), {
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

/**
 * One call. Throws ProviderError. An answer that quotes the key (an endpoint echoing its request, a
 * model repeating its prompt) is returned with the key redacted: the key never leaves the worker.
 */
export async function invokeProvider(
  target: ProviderTarget,
  input: Record<string, unknown>,
  deps: ProviderDeps,
): Promise<ProviderResult> {
  let result: ProviderResult;
  try {
    switch (target.kind) {
      case 'openai':
        result = await invokeOpenAi(target, input, deps);
        break;
      case 'anthropic':
        result = await invokeAnthropic(target, input, deps);
        break;
      case 'endpoint':
        result = await invokeHttpEndpoint(target, input, deps);
        break;
    }
  } catch (error) {
    throw contained(error, target);
  }
  return { ...result, output: redactSecretDeep(result.output, target.apiKey), finish_reason: result.finish_reason === null ? null : redactSecret(result.finish_reason, target.apiKey) };
}
