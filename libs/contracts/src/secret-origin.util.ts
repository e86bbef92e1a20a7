import type { ModelSource } from './model-enums.constant.js';

/**
 * Where a model's stored secret may be sent: the origin (scheme, host, port) of the endpoint it was
 * stored with. A stored secret is only ever sent to that origin; changing a keyed model's endpoint to
 * another origin needs the secret again in the same request, or anyone allowed to edit a model could
 * point it at their own host and collect its key.
 *
 * Provider models without an endpoint call the operator's configured base URL
 * (MODELYARD_OPENAI_BASE_URL / MODELYARD_ANTHROPIC_BASE_URL): `openai:default`, `anthropic:default`.
 * A Hugging Face token only goes to the operator's Hub (MODELYARD_HF_ENDPOINT): `huggingface:hub`.
 * Stored in the registry beside the secret: never change these spellings.
 */
export function secretOriginOf(source: ModelSource, endpoint: string | null | undefined): string | null {
  if (source === 'huggingface') return 'huggingface:hub';
  if (source !== 'openai' && source !== 'anthropic' && source !== 'endpoint') return null;
  const trimmed = endpoint?.trim() ?? '';
  if (trimmed === '') return source === 'endpoint' ? null : `${source}:default`;
  try {
    // URL.origin lower-cases the host and drops default ports and credentials: one spelling per origin.
    return new URL(trimmed).origin;
  } catch {
    // Not a URL (refused when called): compared as written, so any change of it counts as a new origin.
    return trimmed;
  }
}
