import { createHash } from 'node:crypto';
import {
  echoedCredential,
  retryAfterFor,
  sendJson,
  startStandInServer,
  wordCount,
  type StandInExchange,
  type StandInServer,
} from './stand-in-faults.util.js';

/**
 * An OpenAI API stand-in that the real `openai` SDK talks to through `baseURL`. It speaks the
 * subset Modelyard uses: the model list and lookup, chat completions and embeddings, with OpenAI's
 * error bodies (`{ error: { message, type, param, code } }`) and rate-limit headers. Fault markers
 * (see stand-in-faults.util.ts) go in a prompt, an embedding input or a model id.
 *
 * Deliberate differences from api.openai.com, so tests stay deterministic:
 * - A chat answer is `Echo: <text of the last user message>`, cut to `max_tokens` words; a "token"
 *   is a whitespace-separated word.
 * - Embeddings are 8-dimensional, derived from a hash of each input.
 * - No streaming: `stream: true` answers 400.
 */

export const OPENAI_STAND_IN_KEY = 'sk-modelyard-test-0000';

export interface OpenAiStandInModel {
  id: string;
  /** Default 'chat'. */
  kind?: 'chat' | 'embedding';
}

export const OPENAI_STAND_IN_MODELS: readonly OpenAiStandInModel[] = [
  { id: 'gpt-4o-mini', kind: 'chat' },
  { id: 'text-embedding-3-small', kind: 'embedding' },
];

export interface OpenAiStandInOptions {
  /** Accepted API keys (default [OPENAI_STAND_IN_KEY]). */
  keys?: string[];
  /** Default OPENAI_STAND_IN_MODELS. */
  models?: OpenAiStandInModel[];
}

export interface OpenAiStandIn extends StandInServer {
  /** `${url}/v1`, the SDK's `baseURL`. */
  baseUrl: string;
}

export const OPENAI_STAND_IN_EMBEDDING_DIMENSIONS = 8;
const CREATED = 1_700_000_000;

interface OpenAiErrorBody {
  error: { message: string; type: string; param: string | null; code: string | number | null };
}

function errorBody(
  message: string,
  type = 'invalid_request_error',
  param: string | null = null,
  code: string | number | null = null,
): OpenAiErrorBody {
  return { error: { message, type, param, code } };
}

/** OpenAI's answer for a model that does not exist or that the key may not use. */
const modelNotFound = (model: unknown): OpenAiErrorBody =>
  errorBody(`The model \`${String(model)}\` does not exist or you do not have access to it.`, 'invalid_request_error', null, 'model_not_found');

/** OpenAI shows a rejected key as its first 6 and last 4 characters. */
function maskKey(key: string): string {
  return key.length >= 12 ? `${key.slice(0, 6)}***${key.slice(-4)}` : '***';
}

function bearerKey(authorization: string | undefined): string | undefined {
  return /^Bearer\s+(.+)$/i.exec(authorization ?? '')?.[1];
}

function authenticationError(authorization: string | undefined): OpenAiErrorBody {
  const key = bearerKey(authorization);
  if (key === undefined) {
    return errorBody(
      "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer " +
        'auth (i.e. Authorization: Bearer YOUR_KEY). You can obtain an API key from ' +
        'https://platform.openai.com/account/api-keys.',
    );
  }
  return errorBody(
    `Incorrect API key provided: ${maskKey(key)}. You can find your API key at https://platform.openai.com/account/api-keys.`,
    'invalid_request_error',
    null,
    'invalid_api_key',
  );
}

/** The body OpenAI sends with `status`, as far as it has a typical one. */
function statusErrorBody(status: number, authorization: string | undefined): OpenAiErrorBody {
  switch (status) {
    case 400:
      return errorBody("Invalid value for 'messages': the request could not be processed.", 'invalid_request_error', 'messages');
    case 401:
      return authenticationError(authorization);
    case 403:
      return errorBody('Country, region, or territory not supported', 'request_forbidden', null, 'unsupported_country_region_territory');
    case 404:
      return modelNotFound('gpt-unknown');
    case 429:
      return errorBody(
        'Rate limit reached for requests in organization org-modelyard on requests per min (RPM): Limit 60, Used 60, ' +
          'Requested 1. Please try again in 7s. Visit https://platform.openai.com/account/rate-limits to learn more.',
        'requests',
        null,
        'rate_limit_exceeded',
      );
    case 500:
      return errorBody('The server had an error while processing your request. Sorry about that!', 'server_error');
    case 502:
      return errorBody('Bad gateway.', 'cf_bad_gateway', null, 502);
    case 503:
      return errorBody('The server is overloaded or not ready yet.', 'server_error');
    default:
      return errorBody(`HTTP ${status}`, status >= 500 ? 'server_error' : 'invalid_request_error');
  }
}

function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .map((part) => (part && typeof part === 'object' && 'text' in part && typeof part.text === 'string' ? part.text : ''))
      .filter((text) => text !== '')
      .join(' ');
  }
  return '';
}

/** A deterministic unit-range float32 vector from a hash of the input. */
export function openAiStandInEmbedding(input: string): number[] {
  const digest = createHash('sha256').update(input).digest();
  return Array.from({ length: OPENAI_STAND_IN_EMBEDDING_DIMENSIONS }, (_, i) =>
    Math.fround((digest.readUInt32BE(i * 4) / 2 ** 32) * 2 - 1),
  );
}

function base64Floats(vector: number[]): string {
  const buffer = Buffer.alloc(vector.length * 4);
  vector.forEach((value, i) => buffer.writeFloatLE(value, i * 4));
  return buffer.toString('base64');
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export async function startOpenAiStandIn(options: OpenAiStandInOptions = {}): Promise<OpenAiStandIn> {
  const keys = new Set(options.keys ?? [OPENAI_STAND_IN_KEY]);
  const models = new Map((options.models ?? OPENAI_STAND_IN_MODELS).map((model) => [model.id, model.kind ?? 'chat']));
  let counter = 0;

  const modelObject = (id: string): Record<string, unknown> => ({
    id,
    object: 'model',
    created: CREATED,
    owned_by: 'modelyard-stand-in',
  });

  function chatCompletion({ res, recorded }: StandInExchange, requestId: Record<string, string>): void {
    const body = recorded.body;
    if (!isRecord(body)) {
      return sendJson(res, 400, errorBody('We could not parse the JSON body of your request.'), requestId);
    }
    if (typeof body.model !== 'string') {
      return sendJson(res, 400, errorBody('you must provide a model parameter'), requestId);
    }
    if (!Array.isArray(body.messages)) {
      return sendJson(
        res,
        400,
        errorBody("Missing required parameter: 'messages'.", 'invalid_request_error', 'messages', 'missing_required_parameter'),
        requestId,
      );
    }
    if (body.messages.length === 0) {
      return sendJson(
        res,
        400,
        errorBody(
          "Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.",
          'invalid_request_error',
          'messages',
          'empty_array',
        ),
        requestId,
      );
    }
    if (body.stream === true) {
      return sendJson(
        res,
        400,
        errorBody('This stand-in does not stream; send stream: false.', 'invalid_request_error', 'stream', 'unsupported_value'),
        requestId,
      );
    }
    const kind = models.get(body.model);
    if (kind === undefined) {
      return sendJson(res, 404, modelNotFound(body.model), requestId);
    }
    if (kind !== 'chat') {
      // OpenAI answers this with 404, not 400.
      return sendJson(
        res,
        404,
        errorBody(
          'This is not a chat model and thus not supported in the v1/chat/completions endpoint. Did you mean to use v1/completions?',
          'invalid_request_error',
          'model',
        ),
        requestId,
      );
    }
    const messages = body.messages.filter(isRecord);
    const lastUser = [...messages].reverse().find((message) => message.role === 'user');
    const words = `Echo: ${contentText(lastUser?.content)}`.split(/\s+/).filter((word) => word !== '');
    const limit = body.max_completion_tokens ?? body.max_tokens;
    const cut = typeof limit === 'number' && limit >= 0 && words.length > limit;
    const answer = (cut ? words.slice(0, limit) : words).join(' ');
    const promptTokens = messages.reduce((sum, message) => sum + wordCount(contentText(message.content)), 0);
    const completionTokens = wordCount(answer);
    sendJson(
      res,
      200,
      {
        id: `chatcmpl-standin${String(counter).padStart(8, '0')}`,
        object: 'chat.completion',
        created: Math.floor(Date.now() / 1000),
        model: body.model,
        choices: [
          {
            index: 0,
            message: { role: 'assistant', content: answer, refusal: null, annotations: [] },
            logprobs: null,
            finish_reason: cut ? 'length' : 'stop',
          },
        ],
        usage: {
          prompt_tokens: promptTokens,
          completion_tokens: completionTokens,
          total_tokens: promptTokens + completionTokens,
        },
        service_tier: 'default',
        system_fingerprint: 'fp_standin',
      },
      requestId,
    );
  }

  function embeddings({ res, recorded }: StandInExchange, requestId: Record<string, string>): void {
    const body = recorded.body;
    if (!isRecord(body)) {
      return sendJson(res, 400, errorBody('We could not parse the JSON body of your request.'), requestId);
    }
    if (typeof body.model !== 'string') {
      return sendJson(res, 400, errorBody('you must provide a model parameter'), requestId);
    }
    const inputs =
      typeof body.input === 'string' ? [body.input]
      : Array.isArray(body.input) && body.input.length > 0 ? body.input.map((item) => (typeof item === 'string' ? item : JSON.stringify(item)))
      : undefined;
    if (!inputs) {
      return sendJson(
        res,
        400,
        errorBody("Missing required parameter: 'input'.", 'invalid_request_error', 'input', 'missing_required_parameter'),
        requestId,
      );
    }
    const kind = models.get(body.model);
    if (kind === undefined) {
      return sendJson(res, 404, modelNotFound(body.model), requestId);
    }
    if (kind !== 'embedding') {
      return sendJson(res, 400, errorBody('This model does not support embeddings.', 'invalid_request_error', 'model'), requestId);
    }
    const base64 = body.encoding_format === 'base64';
    const promptTokens = inputs.reduce((sum, text) => sum + wordCount(text), 0);
    sendJson(
      res,
      200,
      {
        object: 'list',
        data: inputs.map((text, index) => {
          const vector = openAiStandInEmbedding(text);
          return { object: 'embedding', index, embedding: base64 ? base64Floats(vector) : vector };
        }),
        model: body.model,
        usage: { prompt_tokens: promptTokens, total_tokens: promptTokens },
      },
      requestId,
    );
  }

  async function handle(exchange: StandInExchange): Promise<void> {
    const { req, res, recorded, faults } = exchange;
    const requestId = { 'x-request-id': `req_standin${String(++counter).padStart(8, '0')}` };
    const authorization = recorded.headers.authorization;

    if (faults.echoKey) {
      return sendJson(
        res,
        faults.status ?? 400,
        errorBody(`Invalid authorization header: "${echoedCredential(faults.echoKey, authorization ?? '')}"`, 'invalid_request_error', null, 'invalid_authorization_header'),
        requestId,
      );
    }
    if (faults.status !== null) {
      const retryAfter = retryAfterFor(faults, faults.status);
      const headers: Record<string, string> = { ...requestId, ...(retryAfter !== null && { 'retry-after': retryAfter }) };
      if (faults.status === 429) {
        Object.assign(headers, {
          'x-ratelimit-limit-requests': '60',
          'x-ratelimit-remaining-requests': '0',
          'x-ratelimit-reset-requests': `${retryAfter}s`,
          'x-ratelimit-limit-tokens': '150000',
          'x-ratelimit-remaining-tokens': '149990',
          'x-ratelimit-reset-tokens': '6ms',
        });
      }
      return sendJson(res, faults.status, statusErrorBody(faults.status, authorization), headers);
    }
    const key = bearerKey(authorization);
    if (key === undefined || !keys.has(key)) {
      return sendJson(res, 401, authenticationError(authorization), requestId);
    }

    const path = recorded.path;
    const method = req.method ?? 'GET';
    if (method === 'GET' && path === '/v1/models') {
      return sendJson(res, 200, { object: 'list', data: [...models.keys()].map(modelObject) }, requestId);
    }
    if (method === 'GET' && path.startsWith('/v1/models/')) {
      const id = decodeURIComponent(path.slice('/v1/models/'.length));
      if (!models.has(id)) {
        return sendJson(
          res,
          404,
          errorBody(`The model '${id}' does not exist`, 'invalid_request_error', 'model', 'model_not_found'),
          requestId,
        );
      }
      return sendJson(res, 200, modelObject(id), requestId);
    }
    if (method === 'POST' && path === '/v1/chat/completions') return chatCompletion(exchange, requestId);
    if (method === 'POST' && path === '/v1/embeddings') return embeddings(exchange, requestId);
    sendJson(res, 404, errorBody(`Invalid URL (${method} ${path})`), requestId);
  }

  const server = await startStandInServer(handle, () => statusErrorBody(500, undefined));
  return { ...server, baseUrl: `${server.url}/v1` };
}
