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
 * An Anthropic API stand-in that the real `@anthropic-ai/sdk` talks to through `baseURL`: the model
 * list and lookup and the Messages API, with Anthropic's error bodies
 * (`{ type: 'error', error: { type, message }, request_id }`) and a `request-id` header on every
 * answer. The key is accepted in `x-api-key` (older SDKs, curl) or `Authorization: Bearer` (SDK 1.x).
 * Fault markers (see stand-in-faults.util.ts) go in a prompt, a system prompt or a model id.
 *
 * Deliberate differences from api.anthropic.com, so tests stay deterministic:
 * - An answer is `Echo: <text of the last user message>`, cut to `max_tokens` words; a "token" is a
 *   whitespace-separated word.
 * - No streaming: `stream: true` answers 400.
 */

export const ANTHROPIC_STAND_IN_KEY = 'sk-ant-modelyard-test-0000';

export interface AnthropicStandInModel {
  id: string;
  /** Default: the id. */
  display_name?: string;
}

export const ANTHROPIC_STAND_IN_MODELS: readonly AnthropicStandInModel[] = [
  { id: 'claude-sonnet-4-5', display_name: 'Claude Sonnet 4.5' },
  { id: 'claude-haiku-4-5', display_name: 'Claude Haiku 4.5' },
];

export interface AnthropicStandInOptions {
  /** Accepted API keys (default [ANTHROPIC_STAND_IN_KEY]). */
  keys?: string[];
  /** Default ANTHROPIC_STAND_IN_MODELS. */
  models?: AnthropicStandInModel[];
}

export interface AnthropicStandIn extends StandInServer {
  /** The same as `url`: the SDK appends `/v1/...` itself. */
  baseUrl: string;
}

type AnthropicErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'permission_error'
  | 'not_found_error'
  | 'request_too_large'
  | 'rate_limit_error'
  | 'api_error'
  | 'overloaded_error';

const CREATED_AT = '2025-01-01T00:00:00Z';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function blocksText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .map((block) => (isRecord(block) && block.type === 'text' && typeof block.text === 'string' ? block.text : ''))
      .filter((text) => text !== '')
      .join(' ');
  }
  return '';
}

function statusError(status: number): { type: AnthropicErrorType; message: string } {
  switch (status) {
    case 400:
      return { type: 'invalid_request_error', message: 'messages: the request could not be processed' };
    case 401:
      return { type: 'authentication_error', message: 'invalid x-api-key' };
    case 403:
      return { type: 'permission_error', message: 'Your API key does not have permission to use the specified resource.' };
    case 404:
      return { type: 'not_found_error', message: 'Not Found' };
    case 413:
      return { type: 'request_too_large', message: 'Request exceeds the maximum allowed number of bytes.' };
    case 429:
      return {
        type: 'rate_limit_error',
        message:
          'This request would exceed the rate limit for your organization of 50 requests per minute. ' +
          'Please try again later.',
      };
    case 529:
      return { type: 'overloaded_error', message: 'Overloaded' };
    default:
      return status >= 500
        ? { type: 'api_error', message: 'Internal server error' }
        : { type: 'invalid_request_error', message: `HTTP ${status}` };
  }
}

export async function startAnthropicStandIn(options: AnthropicStandInOptions = {}): Promise<AnthropicStandIn> {
  const keys = new Set(options.keys ?? [ANTHROPIC_STAND_IN_KEY]);
  const models = [...(options.models ?? ANTHROPIC_STAND_IN_MODELS)];
  let counter = 0;

  const modelInfo = (model: AnthropicStandInModel): Record<string, unknown> => ({
    type: 'model',
    id: model.id,
    display_name: model.display_name ?? model.id,
    created_at: CREATED_AT,
    capabilities: null,
    deprecated_at: null,
    lifecycle: 'active',
    line: null,
    max_input_tokens: 200_000,
    max_tokens: 64_000,
    retires_at: null,
  });

  function listModels({ res, recorded }: StandInExchange, headers: Record<string, string>): void {
    const query = new URLSearchParams(recorded.url.split('?')[1] ?? '');
    const limit = Math.min(Math.max(Number(query.get('limit') ?? '20') || 20, 1), 1000);
    const afterId = query.get('after_id');
    const beforeId = query.get('before_id');
    let start = 0;
    let end = models.length;
    if (afterId !== null) start = models.findIndex((model) => model.id === afterId) + 1;
    if (beforeId !== null) end = Math.max(models.findIndex((model) => model.id === beforeId), 0);
    // Paging backwards (before_id) keeps the page next to the cursor, as the API does.
    const page = beforeId !== null ? models.slice(Math.max(end - limit, start), end) : models.slice(start, Math.min(start + limit, end));
    const hasMore = beforeId !== null ? end - limit > start : start + limit < end;
    sendJson(
      res,
      200,
      {
        data: page.map(modelInfo),
        has_more: hasMore,
        first_id: page[0]?.id ?? null,
        last_id: page.at(-1)?.id ?? null,
      },
      headers,
    );
  }

  function createMessage(
    { res, recorded }: StandInExchange,
    headers: Record<string, string>,
    fail: (status: number, type: AnthropicErrorType, message: string) => void,
  ): void {
    const body = recorded.body;
    if (!isRecord(body)) return fail(400, 'invalid_request_error', 'There was an issue with your request body: invalid JSON.');
    if (typeof body.model !== 'string') return fail(400, 'invalid_request_error', 'model: Field required');
    if (body.max_tokens === undefined) return fail(400, 'invalid_request_error', 'max_tokens: Field required');
    if (typeof body.max_tokens !== 'number' || !Number.isInteger(body.max_tokens) || body.max_tokens < 1) {
      return fail(400, 'invalid_request_error', 'max_tokens: Input should be greater than or equal to 1');
    }
    if (!Array.isArray(body.messages)) return fail(400, 'invalid_request_error', 'messages: Field required');
    if (body.messages.length === 0) return fail(400, 'invalid_request_error', 'messages: at least one message is required');
    const messages = body.messages.filter(isRecord);
    const wrongRole = messages.find((message) => message.role !== 'user' && message.role !== 'assistant');
    if (wrongRole) {
      return fail(
        400,
        'invalid_request_error',
        `messages: Unexpected role "${String(wrongRole.role)}". The Messages API accepts a top-level \`system\` parameter, ` +
          'not "system" as an input message role.',
      );
    }
    if (body.stream === true) return fail(400, 'invalid_request_error', 'stream: this stand-in does not stream');
    if (!models.some((model) => model.id === body.model)) return fail(404, 'not_found_error', `model: ${body.model}`);

    const lastUser = [...messages].reverse().find((message) => message.role === 'user');
    const words = `Echo: ${blocksText(lastUser?.content)}`.split(/\s+/).filter((word) => word !== '');
    const cut = words.length > body.max_tokens;
    const text = (cut ? words.slice(0, body.max_tokens) : words).join(' ');
    const inputTokens =
      wordCount(blocksText(body.system)) +
      messages.reduce((sum, message) => sum + wordCount(blocksText(message.content)), 0);
    sendJson(
      res,
      200,
      {
        id: `msg_standin${String(counter).padStart(12, '0')}`,
        type: 'message',
        role: 'assistant',
        model: body.model,
        content: [{ type: 'text', text }],
        stop_reason: cut ? 'max_tokens' : 'end_turn',
        stop_sequence: null,
        usage: { input_tokens: inputTokens, output_tokens: wordCount(text) },
      },
      headers,
    );
  }

  async function handle(exchange: StandInExchange): Promise<void> {
    const { req, res, recorded, faults } = exchange;
    const requestId = `req_standin${String(++counter).padStart(12, '0')}`;
    const headers: Record<string, string> = { 'request-id': requestId };
    const fail = (status: number, type: AnthropicErrorType, message: string, extra: Record<string, string> = {}): void =>
      sendJson(res, status, { type: 'error', error: { type, message }, request_id: requestId }, { ...headers, ...extra });

    const apiKeyHeader = recorded.headers['x-api-key'];
    const authorization = recorded.headers.authorization;
    if (faults.echoKey) {
      return fail(faults.status ?? 400, 'invalid_request_error', `Invalid credentials: "${echoedCredential(faults.echoKey, apiKeyHeader ?? authorization ?? '')}"`);
    }
    if (faults.status !== null) {
      const retryAfter = retryAfterFor(faults, faults.status);
      const extra: Record<string, string> = retryAfter !== null ? { 'retry-after': retryAfter } : {};
      if (faults.status === 429) {
        Object.assign(extra, {
          'anthropic-ratelimit-requests-limit': '50',
          'anthropic-ratelimit-requests-remaining': '0',
          'anthropic-ratelimit-requests-reset': new Date(Date.now() + 7_000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
        });
      }
      const { type, message } = statusError(faults.status);
      return fail(faults.status, type, message, extra);
    }
    const key = apiKeyHeader ?? /^Bearer\s+(.+)$/i.exec(authorization ?? '')?.[1];
    if (key === undefined) return fail(401, 'authentication_error', 'x-api-key header is required');
    if (!keys.has(key)) return fail(401, 'authentication_error', 'invalid x-api-key');
    if (recorded.headers['anthropic-version'] === undefined) {
      return fail(400, 'invalid_request_error', 'anthropic-version: header is required');
    }

    const path = recorded.path;
    const method = req.method ?? 'GET';
    if (method === 'GET' && path === '/v1/models') return listModels(exchange, headers);
    if (method === 'GET' && path.startsWith('/v1/models/')) {
      const id = decodeURIComponent(path.slice('/v1/models/'.length));
      const model = models.find((candidate) => candidate.id === id);
      if (!model) return fail(404, 'not_found_error', `model: ${id}`);
      return sendJson(res, 200, modelInfo(model), headers);
    }
    if (method === 'POST' && path === '/v1/messages') return createMessage(exchange, headers, fail);
    fail(404, 'not_found_error', 'Not Found');
  }

  const server = await startStandInServer(handle, () => ({
    type: 'error',
    error: { type: 'api_error', message: 'Internal server error' },
  }));
  return { ...server, baseUrl: server.url };
}
