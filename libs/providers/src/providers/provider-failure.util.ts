import { ProviderError } from './provider.exception.js';
import { redactSecret } from './redact.util.js';

/** Where a failure happened: registration's key check, or a call for a user. */
export type ProviderPhase = 'validate' | 'invoke';

/** What an error message may say about the call, and the secret it must not say. */
export interface ProviderCallContext {
  /** 'OpenAI', 'Anthropic', 'The endpoint'. */
  provider: string;
  /** Scheme, host and port of the called URL; never its path or query, which may hold tokens. */
  origin: string;
  secret: string | null;
  timeoutMs: number;
  model: string | null;
}

/**
 * Longest message made from a provider's failure; provider pages (HTML 502s) can be long. Cut only
 * after the key is redacted: a cut through the key would leave a prefix no search finds.
 */
const MAX_MESSAGE = 700;
/** What is kept of a provider's text before redaction, far beyond MAX_MESSAGE, to bound the work. */
const MAX_READ = 64 * 1024;

/** Connection failures that mean the provider was never reached. */
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EAI_FAIL',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'ETIMEDOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  'CERT_HAS_EXPIRED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);
/** Failures after the connection was made: the provider was reached but did not answer. */
const DROPPED_CODES = new Set(['UND_ERR_SOCKET', 'ECONNRESET', 'EPIPE', 'UND_ERR_CLOSED']);
const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);
const TIMEOUT_NAMES = new Set(['TimeoutError', 'APIConnectionTimeoutError']);

type ErrorLike = { name?: unknown; message?: unknown; code?: unknown; cause?: unknown; errors?: unknown };

/** The error and everything under it: `cause` chains and AggregateError members (happy eyeballs). */
function errorTree(error: unknown): ErrorLike[] {
  const found: ErrorLike[] = [];
  const seen = new Set<unknown>();
  const queue: unknown[] = [error];
  while (queue.length > 0 && found.length < 32) {
    const current = queue.shift();
    if (typeof current !== 'object' || current === null || seen.has(current)) continue;
    seen.add(current);
    const node = current as ErrorLike;
    found.push(node);
    queue.push(node.cause);
    if (Array.isArray(node.errors)) queue.push(...(node.errors as unknown[]));
  }
  return found;
}

/**
 * The egress guard's refusal anywhere in the error's causes. Matched by name, not class, so that
 * this module needs nothing from the guard and works with any copy of it.
 */
export function findEndpointRefusal(error: unknown): { message: string; reason: string | null } | null {
  const refusal = errorTree(error).find((node) => node.name === 'EndpointRefusedError');
  if (!refusal) return null;
  const reason = (refusal as { reason?: unknown }).reason;
  return { message: String(refusal.message ?? ''), reason: typeof reason === 'string' ? reason : null };
}

/** The error's name, or its class name where the library leaves `name` as 'Error' (the openai SDK). */
function namesOf(node: ErrorLike): string[] {
  return [String(node.name), String((node as { constructor?: { name?: unknown } }).constructor?.name)];
}

export function isTimeoutError(error: unknown): boolean {
  return errorTree(error).some(
    (node) => namesOf(node).some((name) => TIMEOUT_NAMES.has(name)) || TIMEOUT_CODES.has(String(node.code)),
  );
}

/** 'dropped' when a connection was made and closed unanswered; 'unreachable' otherwise. */
export function connectionFailureKind(error: unknown): 'unreachable' | 'dropped' {
  const codes = errorTree(error).map((node) => String(node.code));
  if (codes.some((code) => UNREACHABLE_CODES.has(code))) return 'unreachable';
  return codes.some((code) => DROPPED_CODES.has(code)) ? 'dropped' : 'unreachable';
}

function isConnectionError(error: unknown): boolean {
  return errorTree(error).some(
    (node) =>
      namesOf(node).includes('APIConnectionError') ||
      (node.name === 'TypeError' && node.message === 'fetch failed') ||
      UNREACHABLE_CODES.has(String(node.code)) ||
      DROPPED_CODES.has(String(node.code)),
  );
}

/** The most specific text under a connection error ("connect ECONNREFUSED 127.0.0.1:9"). */
function connectionReason(error: unknown): string {
  const nodes = errorTree(error).filter((node) => typeof node.message === 'string' && node.message !== '');
  const withCode = nodes.filter((node) => typeof node.code === 'string');
  const best = withCode.at(-1) ?? nodes.at(-1);
  return best ? String(best.message) : 'connection failed';
}

/**
 * Seconds to wait from a Retry-After header (delta-seconds or an HTTP date) or OpenAI's
 * retry-after-ms; null without either.
 */
export function retryAfterSeconds(headers: { get(name: string): string | null } | null | undefined, now = Date.now()): number | null {
  const value = headers?.get('retry-after')?.trim();
  if (value) {
    if (/^\d+(\.\d+)?$/.test(value)) return Math.ceil(Number(value));
    const date = Date.parse(value);
    if (!Number.isNaN(date)) return Math.max(0, Math.ceil((date - now) / 1000));
  }
  const ms = headers?.get('retry-after-ms')?.trim();
  if (ms && /^\d+(\.\d+)?$/.test(ms)) return Math.ceil(Number(ms) / 1000);
  return null;
}

/** The text on one line, bounded far beyond what a message shows (see MAX_READ). */
function flatten(text: string): string {
  return text.slice(0, MAX_READ * 2).replace(/\s+/g, ' ').trim().slice(0, MAX_READ);
}

function clip(text: string): string {
  return text.length > MAX_MESSAGE ? `${text.slice(0, MAX_MESSAGE)}…` : text;
}

/** The provider's own words from an error answer, whichever of the known shapes it has. */
export function providerMessageOf(body: unknown, fallback: string): string {
  const record = (value: unknown): Record<string, unknown> | null =>
    typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  const root = record(body);
  const error = root?.error;
  const candidates = [
    root?.apiMessage, // Anthropic SDK APIError
    record(error)?.message, // { error: { message } } (OpenAI, Anthropic inner)
    record(record(error)?.error)?.message, // Anthropic SDK: error = the whole body
    typeof error === 'string' ? error : undefined, // { error: '…' }
    root?.message, // { message: '…' }, also plain Errors
    root?.detail, // RFC 9457 problem details
  ];
  const text = candidates.find((candidate): candidate is string => typeof candidate === 'string' && candidate.trim() !== '');
  return flatten(text ?? fallback);
}

function make(
  context: ProviderCallContext,
  status: number,
  code: string,
  message: string,
  options: ConstructorParameters<typeof ProviderError>[3],
): ProviderError {
  return new ProviderError(status, code, clip(redactSecret(message, context.secret)), options);
}

/** The ProviderError for an HTTP error answer from the provider. */
export function statusFailure(
  context: ProviderCallContext,
  phase: ProviderPhase,
  providerStatus: number,
  providerMessage: string,
  headers: { get(name: string): string | null } | null | undefined,
): ProviderError {
  const { provider } = context;
  const said = providerMessage === '' ? '' : `: ${providerMessage}`;
  if (providerStatus === 429) {
    const retryAfter = retryAfterSeconds(headers);
    const wait = retryAfter === null ? '' : `; retry after ${retryAfter} s`;
    return make(context, 429, 'provider_rate_limited', `${provider} is rate-limiting these requests${wait}${said}`, {
      errorClass: 'provider_error',
      retryAfterSeconds: retryAfter,
      providerStatus,
    });
  }
  if (phase === 'validate') {
    if (providerStatus === 401 || providerStatus === 403) {
      return make(context, 422, 'provider_key_rejected', `${provider} rejected the API key${said}`, {
        errorClass: 'provider_error',
        providerStatus,
        field: 'api_key',
      });
    }
    if (providerStatus === 404) {
      return make(
        context,
        422,
        'provider_model_not_found',
        `${provider} has no model "${context.model}" that this key may use${said}`,
        { errorClass: 'provider_error', providerStatus, field: 'provider_model' },
      );
    }
    if (providerStatus >= 500) {
      return make(context, 424, 'provider_unavailable', `${provider} is unavailable (HTTP ${providerStatus})${said}`, {
        errorClass: 'provider_error',
        providerStatus,
      });
    }
    return make(context, 424, 'provider_error', `${provider} refused the key check (HTTP ${providerStatus})${said}`, {
      errorClass: 'provider_error',
      providerStatus,
    });
  }
  if (providerStatus === 401 || providerStatus === 403) {
    return make(context, 424, 'provider_auth_failed', `${provider} rejected the stored API key (HTTP ${providerStatus})${said}`, {
      errorClass: 'provider_error',
      providerStatus,
    });
  }
  if ([400, 404, 409, 413, 422].includes(providerStatus)) {
    return make(
      context,
      422,
      'provider_rejected_request',
      `${provider} rejected the request (HTTP ${providerStatus})${said}`,
      { errorClass: 'invalid_input', providerStatus },
    );
  }
  if (providerStatus === 408) {
    return make(context, 504, 'provider_timeout', `${provider} timed out (HTTP 408)${said}`, {
      errorClass: 'timeout',
      providerStatus,
    });
  }
  return make(context, 502, 'provider_error', `${provider} failed (HTTP ${providerStatus})${said}`, {
    errorClass: 'provider_error',
    providerStatus,
  });
}

/** A 2xx answer that is not what the API promises. */
export function malformedAnswer(context: ProviderCallContext, what: string, providerStatus: number | null = null): ProviderError {
  return make(context, 502, 'provider_error', `${context.provider} sent an answer Modelyard cannot use: ${what}`, {
    errorClass: 'provider_error',
    providerStatus,
  });
}

/** Any failure of a call (thrown by an SDK, by fetch, or by the egress guard) as a ProviderError. */
export function toProviderError(
  context: ProviderCallContext,
  phase: ProviderPhase,
  error: unknown,
  timedOut: boolean,
): ProviderError {
  if (error instanceof ProviderError) return error;
  const { provider, origin } = context;

  const refusal = findEndpointRefusal(error);
  if (refusal && refusal.reason !== 'unresolvable') {
    return make(context, 422, 'endpoint_refused', refusal.message, { errorClass: 'invalid_input', field: 'endpoint' });
  }
  if (refusal) {
    return make(context, 424, 'provider_unreachable', `${provider} could not be reached at ${origin}: ${refusal.message}`, {
      errorClass: 'provider_error',
    });
  }

  // An answer that arrived is the answer, even if the deadline passed while it was read.
  const status = (error as { status?: unknown } | null)?.status;
  if (typeof status === 'number' && status >= 300) {
    const headers = (error as { headers?: { get(name: string): string | null } }).headers;
    return statusFailure(context, phase, status, providerMessageOf(error, ''), headers);
  }

  if (timedOut || isTimeoutError(error)) {
    const within = `no answer within ${context.timeoutMs} ms`;
    return phase === 'validate'
      ? make(context, 424, 'provider_unreachable', `${provider} could not be reached at ${origin}: ${within}`, {
          errorClass: 'timeout',
        })
      : make(context, 504, 'provider_timeout', `${provider} did not answer within ${context.timeoutMs} ms`, {
          errorClass: 'timeout',
        });
  }

  if (isConnectionError(error)) {
    const reason = flatten(connectionReason(error));
    if (phase === 'invoke' && connectionFailureKind(error) === 'dropped') {
      return make(context, 502, 'provider_error', `${provider} at ${origin} closed the connection without answering (${reason})`, {
        errorClass: 'provider_error',
      });
    }
    return make(context, 424, 'provider_unreachable', `${provider} could not be reached at ${origin}: ${reason}`, {
      errorClass: 'provider_error',
    });
  }

  const message = typeof error === 'object' && error !== null ? (error as ErrorLike).message : error;
  const reason = flatten(String(message));
  return phase === 'validate'
    ? make(context, 424, 'provider_error', `${provider} could not check the key: ${reason}`, { errorClass: 'provider_error' })
    : malformedAnswer(context, reason);
}

/**
 * Runs one provider request under `context.timeoutMs`. The deadline is our own signal rather than
 * only the SDK's timeout: under a second realm (Jest's VM) the SDKs cannot recognise Node's
 * AbortError, and a timeout would pass for a connection failure.
 */
export async function callWithDeadline<T>(
  context: ProviderCallContext,
  phase: ProviderPhase,
  call: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const signal = AbortSignal.timeout(context.timeoutMs);
  try {
    return await call(signal);
  } catch (error) {
    throw toProviderError(context, phase, error, signal.aborted);
  }
}
