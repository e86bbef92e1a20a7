import { ProviderError } from './provider.exception.js';

/** Input keys that shape the request itself and are never sent as model parameters. */
const STRUCTURAL_KEYS = new Set(['prompt', 'messages', 'system', 'input', 'model', 'stream']);

export interface ChatMessage {
  role: string;
  content: unknown;
  [key: string]: unknown;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function invalidInput(message: string, field: string): ProviderError {
  return new ProviderError(422, 'invalid_input', message, { errorClass: 'invalid_input', field });
}

/**
 * The model's configured parameters with the request's own values merged over them (the request
 * wins), less the structural keys and any `alsoExcluded`.
 */
export function mergedParameters(
  parameters: Record<string, unknown>,
  input: Record<string, unknown>,
  alsoExcluded: readonly string[] = [],
): Record<string, unknown> {
  const excluded = new Set([...STRUCTURAL_KEYS, ...alsoExcluded]);
  const merged: Record<string, unknown> = {};
  for (const source of [parameters, input]) {
    for (const [key, value] of Object.entries(source)) {
      if (!excluded.has(key) && value !== undefined) merged[key] = value;
    }
  }
  return merged;
}

/**
 * The conversation of a chat call: `input.messages` as given, or `input.prompt` as one user turn.
 * `system` is the request's, else the model's configured one (`parameters.system`) unless the
 * messages carry a system turn of their own.
 */
export function chatConversation(
  input: Record<string, unknown>,
  parameters: Record<string, unknown>,
): { messages: ChatMessage[]; system: string | null } {
  const systemValue = input.system ?? parameters.system;
  if (systemValue !== undefined && systemValue !== null && typeof systemValue !== 'string') {
    throw invalidInput('input_data.system must be a string.', 'input_data.system');
  }
  const system = typeof systemValue === 'string' && systemValue !== '' ? systemValue : null;

  if (input.messages !== undefined) {
    if (!Array.isArray(input.messages) || input.messages.length === 0) {
      throw invalidInput('input_data.messages must be a non-empty array of { role, content }.', 'input_data.messages');
    }
    input.messages.forEach((message, index) => {
      if (!isRecord(message) || typeof message.role !== 'string' || !('content' in message)) {
        throw invalidInput(`input_data.messages[${index}] must be an object with a string role and a content.`, 'input_data.messages');
      }
    });
    const messages = input.messages as ChatMessage[];
    // A conversation that brings its own system turn overrides the model's configured system prompt.
    const ownSystem = input.system === undefined && messages.some((message) => message.role === 'system');
    return { messages, system: ownSystem ? null : system };
  }
  if (typeof input.prompt === 'string') {
    return { messages: [{ role: 'user', content: input.prompt }], system };
  }
  throw invalidInput(
    'The input needs a prompt (a string) or messages (an array of { role, content }).',
    'input_data.prompt',
  );
}

/** Texts for an embeddings call: `input.input` (a string or strings) or `input.prompt`. */
export function embeddingTexts(input: Record<string, unknown>): string | string[] {
  const value = input.input ?? input.prompt;
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && value.length > 0 && value.every((item) => typeof item === 'string')) return value as string[];
  throw invalidInput('The input needs input (a string or a non-empty array of strings) or prompt (a string).', 'input_data.input');
}

/** The text of a message content: a string, or the text parts of a block array. */
export function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((part) => (isRecord(part) && typeof part.text === 'string' ? part.text : ''))
    .filter((text) => text !== '')
    .join('\n');
}
