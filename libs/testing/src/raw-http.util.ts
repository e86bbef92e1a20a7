import { connect, type Socket } from 'node:net';

export interface RawHttpResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** A request written byte by byte over its own TCP connection, for bodies no HTTP client would send. */
export interface RawHttpRequest {
  socket: Socket;
  /** Writes more of the request (resolves once the bytes are handed to the kernel). */
  write(bytes: Buffer | string): Promise<void>;
  /** The server's answer, parsed once the server closes the connection or the body is complete. */
  response: Promise<RawHttpResponse>;
  /** Resolves when the connection is closed, by either side. */
  closed: Promise<void>;
  /** Closes the connection abruptly, as a client that goes away mid-upload. */
  destroy(): void;
}

/**
 * Opens a connection to `baseUrl` and writes the request line and headers (and `body`, if given);
 * the test writes the rest, or stops, as the case needs. fetch() cannot do this: it always sends a
 * whole body, and its timeouts hide how the server ends the request.
 */
export async function openRawHttpRequest(
  baseUrl: string,
  request: { method: string; path: string; headers: Record<string, string>; body?: Buffer | string },
): Promise<RawHttpRequest> {
  const url = new URL(baseUrl);
  const socket = connect({ host: url.hostname, port: Number(url.port) });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const chunks: Buffer[] = [];
  let answered: (response: RawHttpResponse) => void = () => undefined;
  let failed: (error: Error) => void = () => undefined;
  const response = new Promise<RawHttpResponse>((resolve, reject) => {
    answered = resolve;
    failed = reject;
  });
  // Unobserved until the test awaits it: a test of the server closing a connection without answer must not fail on it.
  response.catch(() => undefined);
  socket.on('data', (chunk: Buffer) => {
    chunks.push(chunk);
    const parsed = parseResponse(Buffer.concat(chunks), false);
    if (parsed) answered(parsed);
  });
  // A reset after the server answered (it closes a connection whose body it will not read) is an end, not a failure.
  socket.on('error', () => undefined);
  const closed = new Promise<void>((resolve) =>
    socket.once('close', () => {
      const parsed = parseResponse(Buffer.concat(chunks), true);
      if (parsed) answered(parsed);
      else failed(new Error(`the connection closed without a complete response (${Buffer.concat(chunks).length} bytes received)`));
      resolve();
    }),
  );
  const write = (bytes: Buffer | string) =>
    new Promise<void>((resolve, reject) => socket.write(bytes, (error) => (error ? reject(error) : resolve())));
  const head = [
    `${request.method} ${request.path} HTTP/1.1`,
    `Host: ${url.host}`,
    ...Object.entries(request.headers).map(([name, value]) => `${name}: ${value}`),
    '',
    '',
  ].join('\r\n');
  await write(head);
  if (request.body !== undefined) await write(request.body);
  return { socket, write, response, closed, destroy: () => socket.destroy() };
}

/** The response in `bytes`, or null while it is incomplete (`ended`: no more bytes will come). */
function parseResponse(bytes: Buffer, ended: boolean): RawHttpResponse | null {
  const end = bytes.indexOf('\r\n\r\n');
  if (end < 0) return null;
  const [statusLine, ...lines] = bytes.subarray(0, end).toString('latin1').split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine ?? '')?.[1]);
  if (!status) return null;
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  let body = bytes.subarray(end + 4);
  if (headers['transfer-encoding'] === 'chunked') {
    const decoded = dechunk(body);
    if (!decoded && !ended) return null;
    body = decoded ?? body;
  } else if (headers['content-length'] !== undefined) {
    const length = Number(headers['content-length']);
    if (body.length < length && !ended) return null;
    body = body.subarray(0, length);
  } else if (!ended) {
    return null;
  }
  return { status, headers, body: body.toString('utf8') };
}

/** The body of a chunked message, or null until its last chunk has arrived. */
function dechunk(bytes: Buffer): Buffer | null {
  const parts: Buffer[] = [];
  let offset = 0;
  for (;;) {
    const lineEnd = bytes.indexOf('\r\n', offset);
    if (lineEnd < 0) return null;
    const size = parseInt(bytes.subarray(offset, lineEnd).toString('latin1'), 16);
    if (size === 0) return Buffer.concat(parts);
    if (!size || bytes.length < lineEnd + 2 + size) return null;
    parts.push(bytes.subarray(lineEnd + 2, lineEnd + 2 + size));
    offset = lineEnd + 2 + size + 2;
  }
}

/** A multipart/form-data body with one file part, split where a test needs to cut it. */
export function multipartFileBody(options: { boundary: string; filename: string; content: Buffer; field?: string }): {
  /** Everything up to the file's first byte. */
  head: Buffer;
  content: Buffer;
  /** The closing boundary. */
  tail: Buffer;
  whole: Buffer;
} {
  const head = Buffer.from(
    `--${options.boundary}\r\nContent-Disposition: form-data; name="${options.field ?? 'file'}"; filename="${options.filename}"\r\n` +
      'Content-Type: application/octet-stream\r\n\r\n',
  );
  const tail = Buffer.from(`\r\n--${options.boundary}--\r\n`);
  return { head, content: options.content, tail, whole: Buffer.concat([head, options.content, tail]) };
}
