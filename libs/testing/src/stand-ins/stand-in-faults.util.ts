import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * What the provider stand-ins share: fault markers, request recording and the server lifecycle.
 *
 * Faults are asked for by markers in the request itself (the prompt, the input, or a model id in the
 * URL) rather than by calling the stand-in, so they reach it from another process and never leak
 * from one concurrent request into the next:
 * - `[[status:NNN]]`: answer HTTP NNN with the provider's own error body;
 * - `[[retry-after:V]]`: send `Retry-After: V` (seconds or an HTTP date; 429 sends 7 by default);
 * - `[[slow:MS]]`: wait MS milliseconds before answering;
 * - `[[drop]]`: destroy the socket without answering;
 * - `[[echo-key]]`: answer 400 (or the `[[status:NNN]]` given) with a message quoting the caller's
 *   credential header in full, as a hostile or careless provider might, so that tests can prove the
 *   platform redacts it. Options after a colon, comma-separated: `pad=N` puts N characters before
 *   the quote (to place the key where long messages are cut), `base64` and `upper` quote it
 *   base64-encoded or upper-cased: `[[echo-key:pad=495,base64]]`.
 */

export interface EchoKeyFault {
  pad: number;
  form: 'plain' | 'base64' | 'upper';
}

export interface StandInFaults {
  status: number | null;
  retryAfter: string | null;
  slowMs: number | null;
  drop: boolean;
  echoKey: EchoKeyFault | null;
}

/** A request as a stand-in received it. */
export interface StandInRecordedRequest {
  method: string;
  /** Path without the query, as sent (not decoded). */
  path: string;
  /** Path and query exactly as received. */
  url: string;
  /** Header names in lower case; repeated headers joined with ', '. */
  headers: Record<string, string>;
  /** Parsed JSON when the body is JSON, else its text; null without a body. */
  body: unknown;
}

export interface StandInServer {
  /** `http://127.0.0.1:<port>`, no trailing slash. */
  url: string;
  /** Every request received, in order; clear with `requests.length = 0`. */
  requests: StandInRecordedRequest[];
  close(): Promise<void>;
}

export interface StandInExchange {
  req: IncomingMessage;
  res: ServerResponse;
  recorded: StandInRecordedRequest;
  /** The raw body text ('' without one). */
  text: string;
  faults: StandInFaults;
}

const STATUS_MARKER = /\[\[status:(\d{3})\]\]/;
const RETRY_AFTER_MARKER = /\[\[retry-after:([^\]]+)\]\]/;
const SLOW_MARKER = /\[\[slow:(\d+)\]\]/;
const ECHO_KEY_MARKER = /\[\[echo-key(?::([^\]]*))?\]\]/;
export const DEFAULT_RETRY_AFTER_SECONDS = 7;

/** The markers found in `text`; the first of each kind wins. */
export function parseFaults(text: string): StandInFaults {
  const slow = SLOW_MARKER.exec(text)?.[1];
  return {
    status: Number(STATUS_MARKER.exec(text)?.[1] ?? '') || null,
    retryAfter: RETRY_AFTER_MARKER.exec(text)?.[1].trim() ?? null,
    slowMs: slow === undefined ? null : Number(slow),
    drop: text.includes('[[drop]]'),
    echoKey: parseEchoKey(text),
  };
}

function parseEchoKey(text: string): EchoKeyFault | null {
  const match = ECHO_KEY_MARKER.exec(text);
  if (!match) return null;
  const options = (match[1] ?? '').split(',').map((option) => option.trim());
  const pad = options.map((option) => /^pad=(\d+)$/.exec(option)?.[1]).find((value) => value !== undefined);
  const form = options.includes('base64') ? 'base64' : options.includes('upper') ? 'upper' : 'plain';
  return { pad: Math.min(Number(pad ?? 0), 100_000), form };
}

/** The credential as an echoing provider quotes it (see `[[echo-key]]`): padded, in the form asked for. */
export function echoedCredential(fault: EchoKeyFault, credential: string): string {
  const quoted =
    fault.form === 'base64' ? Buffer.from(credential, 'utf8').toString('base64') : fault.form === 'upper' ? credential.toUpperCase() : credential;
  return `${'x'.repeat(fault.pad)}${quoted}`;
}

/** The Retry-After value to send with `status`, if any. */
export function retryAfterFor(faults: StandInFaults, status: number): string | null {
  return faults.retryAfter ?? (status === 429 ? String(DEFAULT_RETRY_AFTER_SECONDS) : null);
}

export function wordCount(text: string): number {
  return text.split(/\s+/).filter((word) => word !== '').length;
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    ...headers,
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(payload),
  });
  res.end(payload);
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function parseBody(text: string): unknown {
  if (text === '') return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/**
 * Starts a node:http server on 127.0.0.1 (port 0) that records every request, applies the
 * `[[slow]]` and `[[drop]]` markers, and hands the rest to `handle`. Markers are looked for in the
 * body text and in the decoded URL, so a GET (models.retrieve) can ask for a fault through its id.
 * An exception in `handle` answers 500 with `onCrash`'s body.
 */
export async function startStandInServer(
  handle: (exchange: StandInExchange) => Promise<void> | void,
  onCrash: (error: unknown) => unknown = (error) => ({ error: String(error) }),
): Promise<StandInServer> {
  const requests: StandInRecordedRequest[] = [];
  const sockets = new Set<Socket>();

  const server = createServer((req, res) => {
    void (async () => {
      const url = req.url ?? '/';
      const text = await readBody(req);
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(req.headers)) {
        if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
      }
      const recorded: StandInRecordedRequest = {
        method: req.method ?? 'GET',
        path: url.split('?')[0],
        url,
        headers,
        body: parseBody(text),
      };
      requests.push(recorded);
      const faults = parseFaults(`${safeDecode(url)}\n${text}`);
      if (faults.slowMs !== null) await new Promise((resolve) => setTimeout(resolve, faults.slowMs ?? 0));
      if (faults.drop) {
        req.socket.destroy();
        return;
      }
      await handle({ req, res, recorded, text, faults });
    })().catch((error: unknown) => {
      if (!res.headersSent) sendJson(res, 500, onCrash(error));
      else res.destroy();
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: async () => {
      // A client with keep-alive (every SDK) would otherwise hold close() open until its idle timeout.
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
}
