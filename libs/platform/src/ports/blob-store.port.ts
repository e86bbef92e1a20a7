import type { Readable } from 'node:stream';

export interface BlobInfo {
  key: string;
  size: number;
  /** Lower-case hex sha256 of the content, computed while it streamed in. */
  sha256: string;
  contentType: string;
}

export interface PutBlobOptions {
  contentType?: string;
  /** When given, a body whose size or sha256 differs is rejected and nothing is stored. */
  expectedSize?: number;
  expectedSha256?: string;
}

export class BlobNotFoundError extends Error {
  override readonly name = 'BlobNotFoundError';
  constructor(readonly key: string) {
    super(`no blob at ${key}`);
  }
}

export class BlobIntegrityError extends Error {
  override readonly name = 'BlobIntegrityError';
}

/**
 * How often, at least, a put in progress shows that it is alive on the partial data it leaves
 * while it runs. `removeAbandonedPuts(before)` takes partial data untouched since `before` for the
 * leftovers of a process that died mid-put, so `before` must lie several of these intervals back.
 */
export const PUT_ALIVE_INTERVAL_MS = 5_000;

/** Port: object storage for model artifacts. Bodies stream through; none is held in memory. */
export interface BlobStore {
  /** Stores the stream under `key`, replacing any blob there only once the whole body arrived. */
  put(key: string, body: Readable, options?: PutBlobOptions): Promise<BlobInfo>;
  /** Streams the blob, or a byte range of it (inclusive `end`, as in HTTP Range). */
  get(key: string, range?: { start: number; end?: number }): Promise<Readable>;
  head(key: string): Promise<BlobInfo | null>;
  /** Deleting a missing key is not an error. */
  delete(key: string): Promise<void>;
  /**
   * Removes what puts that never finished left behind — their process was killed or crashed
   * mid-put — untouched since `before` (see PUT_ALIVE_INTERVAL_MS). Returns one line per thing
   * removed, for the log. A live put's partial data is never removed: it is touched as it goes.
   */
  removeAbandonedPuts(before: Date): Promise<string[]>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export const BLOB_STORE = Symbol('BlobStore');

/** Keys are relative paths of safe segments: no `..`, no leading slash, no control characters. */
export function assertValidBlobKey(key: string): void {
  const bad =
    key.length === 0 ||
    key.length > 1024 ||
    key.startsWith('/') ||
    key.endsWith('/') ||
    /[\u0000-\u001f\u007f\\]/.test(key) ||
    key.split('/').some((segment) => segment === '' || segment === '.' || segment === '..');
  if (bad) throw new Error(`invalid blob key: ${JSON.stringify(key)}`);
}
