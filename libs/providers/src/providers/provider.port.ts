import type { HttpEndpointConfig, ModelType } from '@modelyard/contracts';

/**
 * What a hosted model call needs, and what it gives back. Keys arrive decrypted in `apiKey` and
 * leave this library only inside the request to the provider: never in a result, an error or a log.
 */

export type ProviderKind = 'openai' | 'anthropic' | 'endpoint';

/** How an endpoint model is called; one definition, shared with the model DTOs in libs/contracts. */
export type { HttpEndpointConfig };

export interface ProviderTarget {
  kind: ProviderKind;
  /** URL as the user gave it: a full call URL or a base URL; null → the default for the kind. */
  endpoint: string | null;
  /** The provider's model id (openai / anthropic). */
  model: string;
  /** 'embedding' → the embeddings API. */
  type: ModelType;
  apiKey: string | null;
  /** The model's configured defaults; a request's own values win. */
  parameters: Record<string, unknown>;
  /** Endpoint models only. */
  http: HttpEndpointConfig | null;
}

export interface ProviderDefaults {
  openaiBaseUrl: string;
  anthropicBaseUrl: string;
}

export interface ProviderDeps {
  /** The egress-guarded fetch in services; any fetch in tests. */
  fetch: typeof fetch;
  defaults: ProviderDefaults;
  /** Upper bound of one call, connection included. */
  timeoutMs: number;
}

export interface ProviderUsage {
  input_tokens: number | null;
  output_tokens: number | null;
}

export interface ProviderResult {
  /** Chat: the answer text; embeddings: number[][]; endpoint: the value at response_path, or the whole JSON / text. */
  output: unknown;
  usage: ProviderUsage | null;
  finish_reason: string | null;
}
