import type { LookupFunction } from 'node:net';
import {
  Agent,
  type BodyInit as UndiciBodyInit,
  FormData as UndiciFormData,
  Headers as UndiciHeaders,
  type RequestInit as UndiciRequestInit,
  type Response as UndiciResponse,
  fetch as undiciFetch,
} from 'undici';
import { type EgressPolicy, checkEndpoint, isAllowedHost, lookupUnchecked, normalizeHost, parseEndpointUrl, resolveChecked } from './egress-guard.util.js';
import { EndpointRefusedError } from './egress.exception.js';

const DEFAULT_MAX_REDIRECTS = 5;
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
/** Credentials a redirect must not carry to another origin (OpenAI, Anthropic, Azure OpenAI, cookies, proxies). */
const CREDENTIAL_HEADERS = ['authorization', 'x-api-key', 'api-key', 'cookie', 'proxy-authorization'];
/** Headers that describe a body, dropped with the body when a redirect turns the request into a GET. */
const BODY_HEADERS = ['content-type', 'content-length', 'content-encoding', 'content-language', 'content-location'];

/**
 * Resolves through the policy and refuses at connect time, so a name that answered a public address
 * to checkEndpoint cannot answer a private one to the socket (DNS rebinding). IP-literal hosts never
 * reach a lookup: checkEndpoint has judged them before the request.
 */
function guardedLookup(policy: EgressPolicy): LookupFunction {
  return (hostname, options, callback) => {
    const host = normalizeHost(hostname);
    const resolving = isAllowedHost(host, policy) ? lookupUnchecked(host, policy) : resolveChecked(host, policy);
    resolving.then(
      (addresses) => {
        const family = options.family === 'IPv4' ? 4 : options.family === 'IPv6' ? 6 : options.family;
        const usable = family === 4 || family === 6 ? addresses.filter((a) => a.family === family) : addresses;
        const first = usable[0];
        if (first === undefined) {
          callback(Object.assign(new Error(`endpoint host "${host}" has no IPv${family} address`), { code: 'ENOTFOUND' }), '');
        } else if (options.all) {
          callback(null, usable);
        } else {
          callback(null, first.address, first.family);
        }
      },
      (error: NodeJS.ErrnoException) => callback(error, ''),
    );
  };
}

/**
 * undici's fetch knows only its own FormData class and would send the global one (the SDKs' file
 * uploads) as the text "[object FormData]".
 */
function toUndiciBody(body: RequestInit['body'] | UndiciBodyInit | undefined): UndiciBodyInit | null {
  if (body === null || body === undefined) return null;
  if (Object.prototype.toString.call(body) !== '[object FormData]') return body as UndiciBodyInit;
  const form = new UndiciFormData();
  for (const [name, value] of body as FormData) {
    if (typeof value === 'string') form.append(name, value);
    else form.append(name, value, value.name);
  }
  return form;
}

/** A stream is spent by the first request; everything else fetch serialises anew on each send. */
function isReplayable(body: UndiciBodyInit | null): boolean {
  if (body === null || typeof body !== 'object') return true;
  return !('getReader' in body) && !(Symbol.asyncIterator in body);
}

function refusalIn(error: unknown): EndpointRefusedError | null {
  for (let cause = error, depth = 0; cause !== null && typeof cause === 'object' && depth < 8; depth++) {
    if (cause instanceof EndpointRefusedError) return cause;
    cause = (cause as { cause?: unknown }).cause;
  }
  return null;
}

async function discard(response: UndiciResponse): Promise<void> {
  await response.body?.cancel().catch(() => undefined);
}

/** fetch() that refuses such addresses at connect time and on every redirect hop. */
export function createGuardedFetch(policy: EgressPolicy, options: { maxRedirects?: number } = {}): typeof fetch {
  const maxRedirects = options.maxRedirects ?? DEFAULT_MAX_REDIRECTS;
  if (!Number.isInteger(maxRedirects) || maxRedirects < 0) throw new RangeError(`maxRedirects must be a whole number ≥ 0, not ${maxRedirects}`);
  // One pool per guarded fetch: its keep-alive connections were all opened through guardedLookup.
  const dispatcher = new Agent({ connect: { lookup: guardedLookup(policy) } });

  async function send(url: URL, init: UndiciRequestInit): Promise<UndiciResponse> {
    try {
      return await undiciFetch(url, { ...init, redirect: 'manual', dispatcher });
    } catch (error) {
      // undici reports a connect failure as TypeError('fetch failed') with the lookup's error as cause.
      throw refusalIn(error) ?? error;
    }
  }

  async function guardedFetch(input: string | URL | Request, init: RequestInit = {}): Promise<UndiciResponse> {
    const request = typeof input === 'string' || 'href' in input ? null : input;
    let url = parseEndpointUrl(request ? request.url : (input as string | URL));
    let method = init.method ?? request?.method ?? 'GET';
    const headers = new UndiciHeaders((init.headers ?? request?.headers) as ConstructorParameters<typeof UndiciHeaders>[0]);
    let body = toUndiciBody(init.body !== undefined ? init.body : request?.body);
    const mode = init.redirect ?? request?.redirect ?? 'follow';
    const rest: UndiciRequestInit = {
      ...(init as UndiciRequestInit),
      signal: init.signal ?? request?.signal ?? null,
      ...(request?.body ? { duplex: 'half' as const } : {}),
    };

    for (let redirects = 0; ; redirects++) {
      await checkEndpoint(url, policy);
      const response = await send(url, { ...rest, method, headers, body });
      const location = response.headers.get('location');
      if (!REDIRECT_STATUSES.has(response.status) || location === null || mode === 'manual') return response;
      await discard(response);
      if (mode === 'error') throw new TypeError(`endpoint answered ${response.status} with a redirect, and redirect is "error"`);
      if (redirects === maxRedirects) throw new TypeError(`endpoint redirected more than ${maxRedirects} times`);

      let next: URL;
      try {
        next = new URL(location, url);
      } catch {
        throw new TypeError(`endpoint answered ${response.status} with a Location that is not a URL`);
      }
      const upper = method.toUpperCase();
      if (response.status <= 303 && upper !== 'GET' && upper !== 'HEAD') {
        method = 'GET';
        body = null;
        for (const name of BODY_HEADERS) headers.delete(name);
      } else if (!isReplayable(body)) {
        throw new TypeError(`endpoint answered ${response.status}, which needs the request body again, but it was a stream`);
      }
      if (next.origin !== url.origin) for (const name of CREDENTIAL_HEADERS) headers.delete(name);
      url = next;
    }
  }

  return guardedFetch as unknown as typeof fetch;
}
