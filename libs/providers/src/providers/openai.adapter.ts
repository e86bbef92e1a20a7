import type OpenAI from 'openai';
import { chatConversation, embeddingTexts, mergedParameters } from './chat-input.util.js';
import { callWithDeadline, malformedAnswer, type ProviderCallContext } from './provider-failure.util.js';
import type { ProviderDeps, ProviderResult, ProviderTarget } from './provider.port.js';
import { providerBaseUrl } from './provider-url.util.js';
import { openAiClient } from './sdk-clients.util.js';

function context(target: ProviderTarget, baseURL: string, deps: ProviderDeps): ProviderCallContext {
  return { provider: 'OpenAI', origin: new URL(baseURL).origin, secret: target.apiKey, timeoutMs: deps.timeoutMs, model: target.model };
}

function count(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

/** Checks the key and the model with `models.retrieve`. */
export async function validateOpenAi(target: ProviderTarget, deps: ProviderDeps): Promise<void> {
  const baseURL = providerBaseUrl('openai', target.endpoint, deps.defaults);
  const client = openAiClient(baseURL, target.apiKey, deps);
  await callWithDeadline(context(target, baseURL, deps), 'validate', (signal) => client.models.retrieve(target.model, { signal }));
}

export async function invokeOpenAi(
  target: ProviderTarget,
  input: Record<string, unknown>,
  deps: ProviderDeps,
): Promise<ProviderResult> {
  const baseURL = providerBaseUrl('openai', target.endpoint, deps.defaults);
  const ctx = context(target, baseURL, deps);
  const client = openAiClient(baseURL, target.apiKey, deps);

  if (target.type === 'embedding') {
    const texts = embeddingTexts(input);
    // The SDK asks for base64 and decodes it to numbers; a caller's encoding_format would hand back strings.
    const parameters = mergedParameters(target.parameters, input, ['encoding_format']);
    const body = { ...parameters, model: target.model, input: texts } as OpenAI.EmbeddingCreateParams;
    const response = await callWithDeadline(ctx, 'invoke', (signal) => client.embeddings.create(body, { signal }));
    const data: unknown = (response as { data?: unknown } | null)?.data;
    if (!Array.isArray(data)) throw malformedAnswer(ctx, 'the embeddings answer has no data list');
    const vectors = [...(data as Array<{ index?: unknown; embedding?: unknown }>)]
      .sort((a, b) => Number(a.index ?? 0) - Number(b.index ?? 0))
      .map((item) => item.embedding);
    if (!vectors.every((vector) => Array.isArray(vector) && vector.every((value) => typeof value === 'number'))) {
      throw malformedAnswer(ctx, 'an embedding is not a list of numbers');
    }
    return {
      output: vectors as number[][],
      usage: response.usage ? { input_tokens: count(response.usage.prompt_tokens), output_tokens: null } : null,
      finish_reason: null,
    };
  }

  const { messages, system } = chatConversation(input, target.parameters);
  const parameters = mergedParameters(target.parameters, input);
  const body = {
    ...parameters,
    model: target.model,
    messages: system === null ? messages : [{ role: 'system', content: system }, ...messages],
    stream: false,
  } as OpenAI.ChatCompletionCreateParamsNonStreaming;
  const completion = await callWithDeadline(ctx, 'invoke', (signal) => client.chat.completions.create(body, { signal }));
  const choice: unknown = (completion as { choices?: unknown } | null)?.choices;
  const first = Array.isArray(choice) ? (choice[0] as OpenAI.ChatCompletion.Choice | undefined) : undefined;
  if (!first || typeof first.message !== 'object' || first.message === null) {
    throw malformedAnswer(ctx, 'the chat completion has no choices[0].message');
  }
  const usage = completion.usage;
  return {
    output: first.message.content ?? first.message.refusal ?? null,
    usage: usage ? { input_tokens: count(usage.prompt_tokens), output_tokens: count(usage.completion_tokens) } : null,
    finish_reason: typeof first.finish_reason === 'string' ? first.finish_reason : null,
  };
}
