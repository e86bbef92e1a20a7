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
 * A generic HTTP model endpoint, the kind a team registers by URL: any POST, PUT or PATCH answers
 * `{ data: { output }, usage: { input_tokens, output_tokens } }`, where `output` is the upper-cased
 * `text` of the request body when it has one, else the body itself. Fault markers (see
 * stand-in-faults.util.ts) are looked for anywhere in the body.
 *
 * Extra routes:
 * - `GET|POST /redirect?to=<url>` answers 302 to `to` (for SSRF redirect tests; no secret needed);
 * - `/text` answers `text/plain` 'plain answer';
 * - `/echo-headers` answers `{ data: { output: { headers } } }` with the request's headers, secret
 *   included, as a careless endpoint might (for proving that successful answers are redacted too).
 */

export interface HttpEndpointStandInOptions {
  /** Header carrying the secret (default 'authorization'). */
  secretHeader?: string;
  /** The header's whole expected value (e.g. 'Bearer abc'); without it, no secret is checked. */
  secretValue?: string;
}

export interface HttpEndpointStandIn extends StandInServer {
  /** The same as `url`. */
  baseUrl: string;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const countWords = (value: unknown): number => wordCount(typeof value === 'string' ? value : JSON.stringify(value) ?? '');

export async function startHttpEndpointStandIn(options: HttpEndpointStandInOptions = {}): Promise<HttpEndpointStandIn> {
  const secretHeader = (options.secretHeader ?? 'authorization').toLowerCase();
  const secretValue = options.secretValue;

  async function handle({ req, res, recorded, faults }: StandInExchange): Promise<void> {
    const method = req.method ?? 'GET';
    if (faults.echoKey) {
      return sendJson(res, faults.status ?? 400, {
        error: { message: `Header ${secretHeader} "${echoedCredential(faults.echoKey, recorded.headers[secretHeader] ?? '')}" is not accepted here` },
      });
    }
    if (faults.status !== null) {
      const retryAfter = retryAfterFor(faults, faults.status);
      return sendJson(
        res,
        faults.status,
        { error: { message: `Endpoint failed with HTTP ${faults.status}`, status: faults.status } },
        retryAfter !== null ? { 'retry-after': retryAfter } : {},
      );
    }
    if (recorded.path === '/redirect' && (method === 'GET' || method === 'POST')) {
      const to = new URLSearchParams(recorded.url.split('?')[1] ?? '').get('to');
      if (to === null) return sendJson(res, 400, { error: { message: 'redirect needs ?to=<url>' } });
      res.writeHead(302, { location: to, 'content-length': 0 });
      res.end();
      return;
    }
    const writes = method === 'POST' || method === 'PUT' || method === 'PATCH';
    if (!writes && !(recorded.path === '/text' && method === 'GET')) {
      return sendJson(res, 405, { error: { message: `${method} is not allowed` } }, { allow: 'POST, PUT, PATCH' });
    }
    if (writes && secretValue !== undefined && recorded.headers[secretHeader] !== secretValue) {
      return sendJson(res, 401, { error: { message: 'Missing or invalid credentials', code: 'unauthorized' } });
    }
    if (recorded.path === '/echo-headers') {
      return sendJson(res, 200, { data: { output: { headers: recorded.headers } } });
    }
    if (recorded.path === '/text') {
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('plain answer');
      return;
    }
    const body = recorded.body;
    const output = isRecord(body) && typeof body.text === 'string' ? body.text.toUpperCase() : body;
    const inputTokens = countWords(isRecord(body) && typeof body.text === 'string' ? body.text : body);
    sendJson(res, 200, { data: { output }, usage: { input_tokens: inputTokens, output_tokens: countWords(output) } });
  }

  const server = await startStandInServer(handle, () => ({ error: { message: 'Internal server error' } }));
  return { ...server, baseUrl: server.url };
}
