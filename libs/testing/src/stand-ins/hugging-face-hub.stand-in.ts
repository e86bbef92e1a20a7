import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { Readable } from 'node:stream';

/**
 * A Hugging Face Hub stand-in that the real `@huggingface/hub` client talks to through its `hubUrl`
 * option. It speaks the subset of the Hub's HTTP API that model import needs: model info, the tree
 * listing, and `resolve`/`raw` downloads with byte ranges, plus the Hub's error headers.
 *
 * Deliberate differences from huggingface.co, so tests stay deterministic:
 * - Never advertises Xet storage (no `xetHash`, no `application/vnd.xet-fileinfo+json`), so the
 *   client always downloads over plain HTTP `resolve` URLs.
 * - LFS files are served directly, not redirected to a CDN.
 * - An unknown (or inaccessible private) repo answers 404 `RepoNotFound` by default. The real Hub
 *   answers 401 with the same `X-Error-Code` to anonymous callers; pass
 *   `repoNotFoundStatusWithoutToken: 401` to get that.
 * - Only `main`, `HEAD` and the repo's own 40-hex commit sha are known revisions.
 * - No `.gitattributes` is invented: a repo lists exactly the files it was given (plus README.md).
 */

/** A small file held in memory. */
export interface StandInContentFile {
  path: string;
  content: Buffer;
  /** Stored with Git LFS? Default: LFS-typical extension or larger than 10 MiB, as the Hub's defaults. */
  lfs?: boolean;
}

/**
 * A file produced on demand, so a benchmark can serve gigabytes without holding them. Always LFS.
 * `stream(start, end)` yields bytes `start..end` INCLUSIVE (the HTTP Range and `fs.createReadStream`
 * convention); it is never called for an empty range.
 */
export interface StandInStreamedFile {
  path: string;
  size: number;
  sha256: string;
  stream: (start: number, end: number) => Readable;
}

export type StandInFile = StandInContentFile | StandInStreamedFile;

export interface StandInRepo {
  /** `gpt2` or `org/name`. */
  id: string;
  /** 40-hex commit; derived from the id and the files when absent. */
  sha?: string;
  pipeline_tag?: string;
  library_name?: string;
  tags?: string[];
  /** The model card's YAML metadata (`license`, `base_model`, …) as the Hub parses it. */
  cardData?: Record<string, unknown>;
  gated?: false | 'auto' | 'manual';
  private?: boolean;
  /** Tokens allowed to read a gated or private repo. */
  tokens?: string[];
  files: StandInFile[];
  /** Served as `README.md` unless `files` already has one. */
  readme?: string;
  /** ISO date; default 2024-01-01. */
  lastModified?: string;
}

export interface StandInRequest {
  method: string;
  /** Path and query exactly as received. */
  url: string;
  range?: string;
  authorization?: string;
}

export interface HuggingFaceStandInOptions {
  host?: string;
  port?: number;
  /** Tree entries per page before a `Link: rel="next"` header (default 1000). */
  treePageSize?: number;
  /** Status for an unknown/private repo when the request carries no token (default 404; huggingface.co: 401). */
  repoNotFoundStatusWithoutToken?: 401 | 404;
}

export interface CutConnectionOptions {
  /** Body bytes sent before the socket is destroyed. */
  afterBytes: number;
  /** How many GET responses to cut (default 1). Only responses longer than `afterBytes` count. */
  times?: number;
}

export interface HuggingFaceStandIn {
  /** Base URL without trailing slash, for the client's `hubUrl`. */
  url: string;
  /** Adds or replaces (same id) a repo. */
  addRepo(repo: StandInRepo): void;
  removeRepo(id: string): void;
  /** Sends `afterBytes` of the body of the next `times` GETs of the file, then destroys the socket. */
  cutConnection(repoId: string, path: string, options: CutConnectionOptions): void;
  /**
   * Makes every advertised checksum of the file wrong (tree `lfs.oid`, or `oid` for a non-LFS file,
   * and the `ETag`/`X-Linked-Etag` of downloads) while the bytes stay the same: what an importer sees
   * when the bytes it received are not the bytes the Hub vouches for.
   */
  corruptChecksum(repoId: string, path: string): void;
  /** Delays every later response by `ms`. */
  setDelay(ms: number): void;
  /** Every request received, in order; clear with `requests.length = 0`. */
  readonly requests: StandInRequest[];
  close(): Promise<void>;
}

const LFS_EXTENSIONS = [
  '.safetensors', '.bin', '.onnx', '.onnx_data', '.pt', '.pth', '.ckpt', '.h5', '.msgpack', '.gguf', '.ggml',
  '.tflite', '.pb', '.ot', '.npy', '.npz', '.pkl', '.pickle', '.joblib', '.model', '.tar', '.gz', '.zip', '.zst',
  '.parquet', '.arrow', '.wasm', '.mlmodel',
];
const LFS_SIZE_THRESHOLD = 10 * 1024 * 1024;
const CHUNK = 64 * 1024;
const DEFAULT_DATE = '2024-01-01T00:00:00.000Z';

export function sha256Hex(buffer: Buffer | Uint8Array): string {
  return createHash('sha256').update(buffer).digest('hex');
}

/** The git object id of a blob, as `git hash-object` prints it. */
export function gitBlobOid(content: Buffer): string {
  return createHash('sha1').update(`blob ${content.length}\0`).update(content).digest('hex');
}

/**
 * A deterministic generated file of any size whose sha256 is computed by streaming it once.
 * Every 64 KiB block differs (it carries its index), so a misplaced range changes the hash.
 */
export async function generatedStandInFile(path: string, size: number, seed = 1): Promise<StandInStreamedFile> {
  const base = Buffer.alloc(CHUNK);
  for (let i = 0; i < CHUNK / 32; i++) {
    createHash('sha256').update(`${seed}:${i}`).digest().copy(base, i * 32);
  }
  const stream = (start: number, end: number): Readable =>
    Readable.from(
      (function* () {
        for (let block = Math.floor(start / CHUNK); block * CHUNK <= end; block++) {
          const data = Buffer.from(base);
          data.writeUInt32BE(block, 0);
          const from = Math.max(start - block * CHUNK, 0);
          const to = Math.min(end - block * CHUNK + 1, CHUNK);
          yield data.subarray(from, to);
        }
      })(),
      { objectMode: false },
    );
  const hash = createHash('sha256');
  if (size > 0) {
    for await (const chunk of stream(0, size - 1)) hash.update(chunk as Buffer);
  }
  return { path, size, sha256: hash.digest('hex'), stream };
}

interface PreparedFile {
  path: string;
  size: number;
  /** Oid of the git blob: the file itself, or its LFS pointer. */
  oid: string;
  lfs?: { sha256: string; pointer: Buffer };
  read(start: number, end: number): Readable;
}

interface PreparedRepo {
  source: StandInRepo;
  objectId: string;
  sha: string;
  files: Map<string, PreparedFile>;
}

interface TreeEntry {
  type: 'file' | 'directory';
  oid: string;
  size: number;
  path: string;
  lfs?: { oid: string; size: number; pointerSize: number };
  lastCommit?: { id: string; title: string; date: string };
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string | undefined,
    message: string,
  ) {
    super(message);
  }
}

export async function startHuggingFaceStandIn(
  repos: StandInRepo[] = [],
  options: HuggingFaceStandInOptions = {},
): Promise<HuggingFaceStandIn> {
  const treePageSize = options.treePageSize ?? 1000;
  const notFoundWithoutToken = options.repoNotFoundStatusWithoutToken ?? 404;
  const registry = new Map<string, PreparedRepo>();
  const cuts = new Map<string, { afterBytes: number; remaining: number }>();
  const corrupted = new Set<string>();
  const requests: StandInRequest[] = [];
  let delayMs = 0;
  let requestCounter = 0;

  for (const repo of repos) registry.set(repo.id, prepareRepo(repo));

  const fileKey = (repoId: string, path: string): string => `${repoId}\0${path}`;

  const advertisedSha256 = (repo: PreparedRepo, file: PreparedFile): string | undefined =>
    file.lfs && (corrupted.has(fileKey(repo.source.id, file.path)) ? wrongHash(file.lfs.sha256) : file.lfs.sha256);

  const advertisedOid = (repo: PreparedRepo, file: PreparedFile): string =>
    !file.lfs && corrupted.has(fileKey(repo.source.id, file.path)) ? wrongHash(file.oid).slice(0, 40) : file.oid;

  function lookupRepo(id: string, token: string | undefined): PreparedRepo {
    const repo = registry.get(id);
    const readable = repo && (!repo.source.private || isAllowed(repo, token));
    if (!repo || !readable) {
      // Like the Hub, a private repo the caller may not read is indistinguishable from a missing one.
      throw new HttpError(token === undefined ? notFoundWithoutToken : 404, 'RepoNotFound', 'Repository not found');
    }
    return repo;
  }

  function checkRevision(repo: PreparedRepo, revision: string): void {
    if (revision !== 'main' && revision !== 'HEAD' && revision !== repo.sha) {
      throw new HttpError(404, 'RevisionNotFound', `Invalid rev id: ${revision}`);
    }
  }

  function checkGate(repo: PreparedRepo, token: string | undefined): void {
    if (!repo.source.gated || isAllowed(repo, token)) return;
    const id = repo.source.id;
    if (token === undefined) {
      throw new HttpError(
        401,
        'GatedRepo',
        `Access to model ${id} is restricted. You must have access to it and be authenticated to access it. ` +
          'Please log in.',
      );
    }
    const message = `Access to model ${id} is restricted and you are not in the authorized list.`;
    throw new HttpError(403, 'GatedRepo', message);
  }

  function modelInfoBody(repo: PreparedRepo, expand: string[]): Record<string, unknown> {
    const source = repo.source;
    const full: Record<string, unknown> = {
      _id: repo.objectId,
      id: source.id,
      modelId: source.id,
      author: source.id.includes('/') ? source.id.split('/')[0] : undefined,
      sha: repo.sha,
      lastModified: source.lastModified ?? DEFAULT_DATE,
      createdAt: source.lastModified ?? DEFAULT_DATE,
      private: source.private ?? false,
      gated: source.gated ?? false,
      disabled: false,
      downloads: 0,
      likes: 0,
      library_name: source.library_name,
      tags: source.tags ?? [],
      pipeline_tag: source.pipeline_tag,
      cardData: source.cardData,
      siblings: [...repo.files.keys()].map((rfilename) => ({ rfilename })),
      spaces: [],
    };
    // With `expand`, the Hub answers only `_id`, `id` and the requested fields; `modelInfo` always expands.
    const wanted = expand.length > 0 ? new Set(['_id', 'id', ...expand]) : undefined;
    return Object.fromEntries(
      Object.entries(full).filter(([key, value]) => value !== undefined && (!wanted || wanted.has(key))),
    );
  }

  function treeEntries(repo: PreparedRepo, path: string, recursive: boolean, expand: boolean): TreeEntry[] {
    const lastCommit = expand
      ? { id: repo.sha, title: 'Upload model', date: repo.source.lastModified ?? DEFAULT_DATE }
      : undefined;
    const directories = new Set<string>();
    for (const filePath of repo.files.keys()) {
      for (let cut = filePath.lastIndexOf('/'); cut > 0; cut = filePath.lastIndexOf('/', cut - 1)) {
        directories.add(filePath.slice(0, cut));
      }
    }
    if (path !== '' && !directories.has(path)) {
      throw new HttpError(404, 'EntryNotFound', `Entry not found: ${path}`);
    }
    const inScope = (entryPath: string): boolean => {
      if (path !== '' && !entryPath.startsWith(`${path}/`)) return false;
      return recursive || !entryPath.slice(path === '' ? 0 : path.length + 1).includes('/');
    };
    const entries: TreeEntry[] = [];
    for (const dir of directories) {
      if (!inScope(dir)) continue;
      const oid = createHash('sha1').update(`tree ${repo.sha} ${dir}`).digest('hex');
      entries.push({ type: 'directory', oid, size: 0, path: dir, ...(lastCommit && { lastCommit }) });
    }
    for (const file of repo.files.values()) {
      if (!inScope(file.path)) continue;
      const sha256 = advertisedSha256(repo, file);
      entries.push({
        type: 'file',
        oid: advertisedOid(repo, file),
        size: file.size,
        path: file.path,
        ...(file.lfs && sha256 && { lfs: { oid: sha256, size: file.size, pointerSize: file.lfs.pointer.length } }),
        ...(lastCommit && { lastCommit }),
      });
    }
    // Segment-wise order puts each directory right before its contents.
    const key = (entry: TreeEntry): string => entry.path.split('/').join('\0');
    return entries.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const rawUrl = req.url ?? '/';
    requests.push({
      method: req.method ?? 'GET',
      url: rawUrl,
      ...(req.headers.range !== undefined && { range: req.headers.range }),
      ...(req.headers.authorization !== undefined && { authorization: req.headers.authorization }),
    });
    res.setHeader('X-Request-Id', `stand-in-${++requestCounter}`);
    if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));

    // Split by hand: WHATWG URL parsing would resolve `..` and `%2e%2e` segments away.
    const queryAt = rawUrl.indexOf('?');
    const rawPath = queryAt === -1 ? rawUrl : rawUrl.slice(0, queryAt);
    const query = new URLSearchParams(queryAt === -1 ? '' : rawUrl.slice(queryAt + 1));
    let segments: string[];
    try {
      segments = rawPath.slice(1).split('/').map((segment) => decodeURIComponent(segment));
    } catch {
      throw new HttpError(400, undefined, 'Malformed URL');
    }
    const token = /^Bearer (.+)$/i.exec(req.headers.authorization ?? '')?.[1];

    if (segments[0] === 'api' && segments[1] === 'models' && segments.length > 2) {
      if (req.method !== 'GET' && req.method !== 'HEAD') throw new HttpError(405, undefined, 'Method not allowed');
      const { id, rest } = splitRepoId(segments.slice(2), ['revision', 'tree']);
      const repo = lookupRepo(id, token);
      if (rest.length === 0 || (rest[0] === 'revision' && rest.length === 2)) {
        checkRevision(repo, rest[1] ?? 'main');
        const expand = [...query.getAll('expand'), ...query.getAll('expand[]')];
        return sendJson(req, res, 200, modelInfoBody(repo, expand));
      }
      if (rest[0] === 'tree' && rest.length >= 2) {
        checkRevision(repo, rest[1]);
        return sendTree(req, res, repo, rest[1], rest.slice(2).join('/'), query);
      }
      throw new HttpError(404, undefined, 'Not found');
    }

    const { id, rest } = splitRepoId(segments, ['resolve', 'raw']);
    if ((rest[0] === 'resolve' || rest[0] === 'raw') && rest.length >= 3) {
      if (req.method !== 'GET' && req.method !== 'HEAD') throw new HttpError(405, undefined, 'Method not allowed');
      const repo = lookupRepo(id, token);
      checkRevision(repo, rest[1]);
      const path = rest.slice(2).join('/');
      const file = repo.files.get(path);
      if (!file) throw new HttpError(404, 'EntryNotFound', `Entry not found: ${path}`);
      checkGate(repo, token);
      return sendFile(req, res, repo, file, rest[0] === 'raw');
    }
    throw new HttpError(404, undefined, 'Not found');
  }

  function splitRepoId(segments: string[], actions: string[]): { id: string; rest: string[] } {
    const twoPart = segments.length >= 2 ? `${segments[0]}/${segments[1]}` : undefined;
    if (twoPart && registry.has(twoPart)) return { id: twoPart, rest: segments.slice(2) };
    if (registry.has(segments[0]) || segments.length === 1 || actions.includes(segments[1])) {
      return { id: segments[0], rest: segments.slice(1) };
    }
    return { id: twoPart ?? segments[0], rest: segments.slice(2) };
  }

  function sendTree(
    req: IncomingMessage,
    res: ServerResponse,
    repo: PreparedRepo,
    revision: string,
    path: string,
    query: URLSearchParams,
  ): void {
    const recursive = query.get('recursive') === 'true' || query.get('recursive') === '1';
    const expand = query.get('expand') === 'true' || query.get('expand') === '1';
    const entries = treeEntries(repo, path, recursive, expand);
    const offset = Number(Buffer.from(query.get('cursor') ?? '', 'base64url').toString() || '0');
    const page = entries.slice(offset, offset + treePageSize);
    if (offset + treePageSize < entries.length) {
      const next = new URLSearchParams({
        recursive: String(recursive),
        expand: String(expand),
        cursor: Buffer.from(String(offset + treePageSize)).toString('base64url'),
      });
      const encodedPath = path === '' ? '' : `/${path.split('/').map(encodeURIComponent).join('/')}`;
      const base = `http://${req.headers.host}/api/models/${repo.source.id}/tree/${encodeURIComponent(revision)}`;
      res.setHeader('Link', `<${base}${encodedPath}?${next}>; rel="next"`);
    }
    sendJson(req, res, 200, page);
  }

  async function sendFile(
    req: IncomingMessage,
    res: ServerResponse,
    repo: PreparedRepo,
    file: PreparedFile,
    raw: boolean,
  ): Promise<void> {
    const pointer = raw ? file.lfs?.pointer : undefined;
    const size = pointer ? pointer.length : file.size;
    const read = pointer ? (start: number, end: number) => chunked(pointer.subarray(start, end + 1)) : file.read;
    const sha256 = advertisedSha256(repo, file);
    const etag = `"${!raw && sha256 ? sha256 : advertisedOid(repo, file)}"`;

    res.setHeader('Content-Type', 'application/octet-stream');
    res.setHeader('Accept-Ranges', 'bytes');
    res.setHeader('ETag', etag);
    res.setHeader('X-Repo-Commit', repo.sha);
    if (!raw && file.lfs) {
      res.setHeader('X-Linked-Etag', etag);
      res.setHeader('X-Linked-Size', String(file.size));
    }

    let start = 0;
    let end = size - 1;
    if (req.headers.range !== undefined) {
      const range = parseRange(req.headers.range, size);
      if (!range) {
        res.setHeader('Content-Range', `bytes */${size}`);
        throw new HttpError(416, undefined, `Range not satisfiable: ${req.headers.range}`);
      }
      ({ start, end } = range);
      res.statusCode = 206;
      res.setHeader('Content-Range', `bytes ${start}-${end}/${size}`);
    }
    const length = end - start + 1;
    res.setHeader('Content-Length', String(length));
    if (req.method === 'HEAD' || length === 0) {
      res.end();
      return;
    }

    const cut = cuts.get(fileKey(repo.source.id, file.path));
    let cutAfter: number | undefined;
    if (cut && cut.remaining > 0 && length > cut.afterBytes) {
      cut.remaining--;
      cutAfter = cut.afterBytes;
    }
    await pump(read(start, end), res, length, cutAfter);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (error instanceof HttpError) {
        sendError(req, res, error);
      } else if (!res.headersSent) {
        sendError(req, res, new HttpError(500, undefined, error instanceof Error ? error.message : String(error)));
      } else {
        res.destroy();
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  const urlHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  return {
    url: `http://${urlHost}:${address.port}`,
    requests,
    addRepo: (repo) => {
      registry.set(repo.id, prepareRepo(repo));
    },
    removeRepo: (id) => {
      registry.delete(id);
    },
    cutConnection: (repoId, path, { afterBytes, times = 1 }) => {
      cuts.set(fileKey(repoId, path), { afterBytes, remaining: times });
    },
    corruptChecksum: (repoId, path) => {
      corrupted.add(fileKey(repoId, path));
    },
    setDelay: (ms) => {
      delayMs = ms;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

function prepareRepo(source: StandInRepo): PreparedRepo {
  if (source.sha !== undefined && !/^[0-9a-f]{40}$/.test(source.sha)) {
    throw new Error(`stand-in repo ${source.id}: sha must be 40 lowercase hex digits`);
  }
  const files = new Map<string, PreparedFile>();
  for (const file of source.files) files.set(file.path, prepareFile(file));
  if (source.readme !== undefined && !files.has('README.md')) {
    files.set('README.md', prepareFile({ path: 'README.md', content: Buffer.from(source.readme) }));
  }
  const commit = createHash('sha1').update(source.id);
  for (const file of files.values()) commit.update(`\0${file.path}\0${file.oid}`);
  return {
    source,
    objectId: createHash('sha1').update(`_id ${source.id}`).digest('hex').slice(0, 24),
    sha: source.sha ?? commit.digest('hex'),
    files,
  };
}

function prepareFile(file: StandInFile): PreparedFile {
  if ('content' in file) {
    const content = file.content;
    const lfs =
      file.lfs ??
      (content.length > LFS_SIZE_THRESHOLD || LFS_EXTENSIONS.some((extension) => file.path.endsWith(extension)));
    const read = (start: number, end: number): Readable => chunked(content.subarray(start, end + 1));
    if (!lfs) return { path: file.path, size: content.length, oid: gitBlobOid(content), read };
    return withLfs(file.path, content.length, sha256Hex(content), read);
  }
  return withLfs(file.path, file.size, file.sha256, file.stream);
}

function withLfs(path: string, size: number, sha256: string, read: PreparedFile['read']): PreparedFile {
  const pointer = Buffer.from(`version https://git-lfs.github.com/spec/v1\noid sha256:${sha256}\nsize ${size}\n`);
  return { path, size, oid: gitBlobOid(pointer), lfs: { sha256, pointer }, read };
}

/** Fixed-size chunks, so a cut lands at the same byte whichever way the file is stored. */
function chunked(buffer: Buffer): Readable {
  return Readable.from(
    (function* () {
      for (let offset = 0; offset < buffer.length; offset += CHUNK) yield buffer.subarray(offset, offset + CHUNK);
    })(),
    { objectMode: false },
  );
}

function isAllowed(repo: PreparedRepo, token: string | undefined): boolean {
  return token !== undefined && (repo.source.tokens ?? []).includes(token);
}

function wrongHash(hash: string): string {
  return createHash('sha256').update(`corrupted:${hash}`).digest('hex');
}

/** One `bytes=` range; anything else, or a range outside the file, is unsatisfiable (undefined). */
function parseRange(header: string, size: number): { start: number; end: number } | undefined {
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match || (match[1] === '' && match[2] === '') || size === 0) return undefined;
  if (match[1] === '') {
    const suffix = Number(match[2]);
    return suffix === 0 ? undefined : { start: Math.max(size - suffix, 0), end: size - 1 };
  }
  const start = Number(match[1]);
  const end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
  return start >= size || Number(match[2] || size) < start ? undefined : { start, end };
}

async function pump(source: Readable, res: ServerResponse, length: number, cutAfter?: number): Promise<void> {
  let sent = 0;
  try {
    for await (const chunk of source as AsyncIterable<Buffer>) {
      if (res.destroyed) return;
      if (cutAfter !== undefined && sent + chunk.length > cutAfter) {
        const socket = res.socket as Socket;
        // Destroy only once the partial body has reached the kernel, so the client gets exactly `cutAfter` bytes.
        res.write(chunk.subarray(0, cutAfter - sent), () => socket.destroy());
        return;
      }
      sent += chunk.length;
      if (!res.write(chunk)) await drainOrClose(res);
    }
    // A `stream()` that yields the wrong byte count would otherwise leave the client waiting forever.
    if (sent === length) res.end();
    else res.destroy();
  } catch {
    res.destroy();
  } finally {
    source.destroy();
  }
}

function drainOrClose(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

function sendJson(req: IncomingMessage, res: ServerResponse, status: number, body: unknown): void {
  const payload = Buffer.from(JSON.stringify(body));
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', String(payload.length));
  res.end(req.method === 'HEAD' ? undefined : payload);
}

function sendError(req: IncomingMessage, res: ServerResponse, error: HttpError): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  for (const header of ['ETag', 'X-Linked-Etag', 'X-Linked-Size', 'Accept-Ranges', 'X-Repo-Commit']) {
    res.removeHeader(header);
  }
  if (error.code) {
    res.setHeader('X-Error-Code', error.code);
    // Header values may not carry the control characters a hostile file name can hold.
    res.setHeader('X-Error-Message', error.message.replace(/[^\x20-\x7e]/g, '?'));
  }
  sendJson(req, res, error.status, { error: error.message });
}
