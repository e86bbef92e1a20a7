import { DEFAULT_HTTP_ENDPOINT_CONFIG } from '@modelyard/contracts';
import {
  callWithDeadline,
  malformedAnswer,
  providerMessageOf,
  statusFailure,
  type ProviderCallContext,
} from './provider-failure.util.js';
import { ProviderError } from './provider.exception.js';
import type { ProviderDeps, ProviderResult, ProviderTarget } from './provider.port.js';
import { parseProviderUrl } from './provider-url.util.js';
import { renderTemplate, valueAtPath } from './request-template.util.js';

function count(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

/** Token counts when the answer reports them the Anthropic way or the OpenAI way. */
function usageOf(answer: unknown): ProviderResult['usage'] {
  const usage = (answer as { usage?: unknown } | null)?.usage;
  if (typeof usage !== 'object' || usage === null) return null;
  const record = usage as Record<string, unknown>;
  const input = count(record.input_tokens) ?? count(record.prompt_tokens);
  const output = count(record.output_tokens) ?? count(record.completion_tokens);
  return input === null && output === null ? null : { input_tokens: input, output_tokens: output };
}

async function readAnswer(response: Response): Promise<{ json: true; value: unknown } | { json: false; value: string }> {
  const text = await response.text();
  const type = response.headers.get('content-type') ?? '';
  if (/\bjson\b/i.test(type) || type === '') {
    try {
      return { json: true, value: JSON.parse(text) as unknown };
    } catch {
      if (type !== '') return { json: false, value: text };
    }
  }
  return { json: false, value: text };
}

/**
 * One call of a registered HTTP endpoint. The body is the rendered request template (or the
 * input); the output is the value at response_path in the JSON answer (or the whole answer).
 */
export async function invokeHttpEndpoint(
  target: ProviderTarget,
  input: Record<string, unknown>,
  deps: ProviderDeps,
): Promise<ProviderResult> {
  if (target.endpoint === null || target.endpoint.trim() === '') {
    throw new ProviderError(422, 'invalid_endpoint', 'The model has no endpoint URL.', { errorClass: 'invalid_input', field: 'endpoint' });
  }
  const url = parseProviderUrl(target.endpoint.trim());
  const config = target.http ?? DEFAULT_HTTP_ENDPOINT_CONFIG;
  const timeoutMs = Math.min(config.timeout_ms, deps.timeoutMs);
  const ctx: ProviderCallContext = { provider: 'The endpoint', origin: url.origin, secret: target.apiKey, timeoutMs, model: null };

  const source = { ...target.parameters, ...input };
  const body = config.request_template === null ? source : renderTemplate(config.request_template, source);
  const headers = new Headers({ 'content-type': 'application/json', accept: 'application/json' });
  for (const [name, value] of Object.entries(config.headers)) headers.set(name, value);
  const carriesSecret = config.secret_header !== null && target.apiKey !== null && target.apiKey !== '';
  if (carriesSecret) headers.set(config.secret_header as string, `${config.secret_prefix}${target.apiKey}`);

  const { response, answer } = await callWithDeadline(ctx, 'invoke', async (signal) => {
    const response = await deps.fetch(url, {
      method: config.method,
      headers,
      body: JSON.stringify(body),
      signal,
      // A redirect would carry the secret to wherever it points; the egress guard strips only the
      // well-known credential headers, and this header may have any name.
      redirect: carriesSecret ? 'manual' : 'follow',
    });
    return { response, answer: await readAnswer(response) };
  });

  if (response.status >= 300 && response.status < 400) {
    throw malformedAnswer(
      ctx,
      `it redirected (HTTP ${response.status}), and calls that carry a secret do not follow redirects; register the final URL`,
      response.status,
    );
  }
  if (!response.ok) {
    throw statusFailure(ctx, 'invoke', response.status, providerMessageOf(answer.value, answer.json ? '' : answer.value), response.headers);
  }
  if (config.response_path === null || config.response_path === '') {
    return { output: answer.value, usage: answer.json ? usageOf(answer.value) : null, finish_reason: null };
  }
  const output = answer.json ? valueAtPath(answer.value, config.response_path) : undefined;
  if (output === undefined) {
    throw malformedAnswer(ctx, `response_path "${config.response_path}" is not in the answer`, response.status);
  }
  return { output, usage: usageOf(answer.value), finish_reason: null };
}
