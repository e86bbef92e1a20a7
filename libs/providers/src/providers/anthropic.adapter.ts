import type Anthropic from '@anthropic-ai/sdk';
import { chatConversation, contentText, mergedParameters } from './chat-input.util.js';
import { callWithDeadline, malformedAnswer, type ProviderCallContext, type ProviderPhase } from './provider-failure.util.js';
import { ProviderError } from './provider.exception.js';
import type { ProviderDeps, ProviderResult, ProviderTarget } from './provider.port.js';
import { providerBaseUrl } from './provider-url.util.js';
import { anthropicClient } from './sdk-clients.util.js';

/** Anthropic requires max_tokens; this is the value when neither the request nor the model gives one. */
export const ANTHROPIC_DEFAULT_MAX_TOKENS = 1024;

function context(target: ProviderTarget, baseURL: string, deps: ProviderDeps): ProviderCallContext {
  return { provider: 'Anthropic', origin: new URL(baseURL).origin, secret: target.apiKey, timeoutMs: deps.timeoutMs, model: target.model };
}

function count(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

/** What can be said before any request: the key is there and the model type exists at Anthropic. */
function preflight(target: ProviderTarget, phase: ProviderPhase): string {
  if (target.type === 'embedding') {
    throw new ProviderError(422, 'unsupported_model_type', 'Anthropic has no embeddings API; register an Anthropic model as type llm.', {
      errorClass: 'invalid_input',
      field: 'type',
    });
  }
  if (target.apiKey === null || target.apiKey === '') {
    throw phase === 'validate'
      ? new ProviderError(422, 'provider_key_missing', 'Anthropic models need an API key.', {
          errorClass: 'invalid_input',
          field: 'api_key',
        })
      : new ProviderError(424, 'provider_auth_failed', 'No API key is stored for this Anthropic model.', {
          errorClass: 'provider_error',
        });
  }
  return target.apiKey;
}

/** Checks the key and the model with `models.retrieve`. */
export async function validateAnthropic(target: ProviderTarget, deps: ProviderDeps): Promise<void> {
  const apiKey = preflight(target, 'validate');
  const baseURL = providerBaseUrl('anthropic', target.endpoint, deps.defaults);
  const client = anthropicClient(baseURL, apiKey, deps);
  await callWithDeadline(context(target, baseURL, deps), 'validate', (signal) => client.models.retrieve(target.model, {}, { signal }));
}

export async function invokeAnthropic(
  target: ProviderTarget,
  input: Record<string, unknown>,
  deps: ProviderDeps,
): Promise<ProviderResult> {
  const apiKey = preflight(target, 'invoke');
  const baseURL = providerBaseUrl('anthropic', target.endpoint, deps.defaults);
  const ctx = context(target, baseURL, deps);
  const client = anthropicClient(baseURL, apiKey, deps);

  const conversation = chatConversation(input, target.parameters);
  // The Messages API takes the system prompt apart from the turns; OpenAI-style inputs carry it as one.
  const systemTurns = conversation.messages.filter((message) => message.role === 'system');
  const turns = conversation.messages.filter((message) => message.role !== 'system');
  const system = [conversation.system, ...systemTurns.map((message) => contentText(message.content))]
    .filter((text): text is string => typeof text === 'string' && text !== '')
    .join('\n\n');
  const parameters = mergedParameters(target.parameters, input);
  const body = {
    ...parameters,
    model: target.model,
    max_tokens: parameters.max_tokens ?? ANTHROPIC_DEFAULT_MAX_TOKENS,
    messages: turns,
    ...(system !== '' && { system }),
    stream: false,
  } as unknown as Anthropic.MessageCreateParamsNonStreaming;
  const message = await callWithDeadline(ctx, 'invoke', (signal) => client.messages.create(body, { signal }));
  const content: unknown = (message as { content?: unknown } | null)?.content;
  if (!Array.isArray(content)) throw malformedAnswer(ctx, 'the message has no content list');
  const text = (content as Array<{ type?: unknown; text?: unknown }>)
    .filter((block) => block.type === 'text' && typeof block.text === 'string')
    .map((block) => block.text as string)
    .join('');
  return {
    output: text,
    usage: message.usage ? { input_tokens: count(message.usage.input_tokens), output_tokens: count(message.usage.output_tokens) } : null,
    finish_reason: typeof message.stop_reason === 'string' ? message.stop_reason : null,
  };
}
