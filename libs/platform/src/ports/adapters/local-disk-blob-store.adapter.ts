import { createHash, randomUUID } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm, stat, utimes, writeFile, type FileHandle } from 'node:fs/promises';
import { syncDirectory } from '../../fs/sync-directory.util.js';
import path from 'node:path';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  BlobIntegrityError,
  BlobNotFoundError,
  PUT_ALIVE_INTERVAL_MS,
  assertValidBlobKey,
  type BlobInfo,
  type BlobStore,
  type PutBlobOptions,
} from '../blob-store.port.js';

const DEFAULT_CONTENT_TYPE = 'application/octet-stream';

/*
 * On-disk names. A key's last segment becomes `<segment>.blob` (body) and `<segment>.json`
 * (metadata); every other segment becomes a directory `<segment>.d`. No file name can equal a
 * directory name, so keys `a` and `a/b` can both exist, as they can in S3, and no key can land on
 * another key's metadata. Bodies and metadata live in separate trees for the same reason.
 */
const BODY_SUFFIX = '.blob';
const META_SUFFIX = '.json';
const DIR_SUFFIX = '.d';

interface StoredMeta {
  size: number;
  sha256: string;
  contentType: string;
}

/** Counts and hashes the bytes on their way to disk, so the body is read exactly once. */
class DigestStream extends Transform {
  private readonly hash = createHash('sha256');
  size = 0;

  constructor(private readonly maxSize: number | undefined) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.size += chunk.length;
    // Stop at the first byte past the promised size instead of writing a body we will reject.
    if (this.maxSize !== undefined && this.size > this.maxSize) {
      callback(new BlobIntegrityError(`body is longer than the expected ${this.maxSize} bytes`));
      return;
    }
    this.hash.update(chunk);
    callback(null, chunk);
  }

  sha256(): string {
    return this.hash.digest('hex');
  }
}

/**
 * Blob store on a local directory, for the standalone build and tests:
 *
 *   <root>/objects/…/<key>.blob   bodies
 *   <root>/meta/…/<key>.json      content type, size, sha256
 *   <root>/.tmp/                  uploads in progress (same file system, so rename is atomic)
 *
 * A put streams into `.tmp`, fsyncs, then renames the body and then the metadata into place, so a
 * reader never sees a half-written body. Puts and deletes of one key are serialised within this
 * process so body and metadata always come from the same put; another process writing the same
 * root, or a crash between the two renames, can still pair a body with the other put's metadata.
 * A put in progress touches its `.tmp` file every PUT_ALIVE_INTERVAL_MS, even while no byte comes,
 * so `removeAbandonedPuts` can tell the files of a process that died mid-put from live ones.
 */
export class LocalDiskBlobStore implements BlobStore {
  private readonly root: string;
  private readonly objectsDir: string;
  private readonly metaDir: string;
  private readonly tmpDir: string;
  private readonly keyLocks = new Map<string, Promise<void>>();
  private closed = false;

  constructor(rootDir: string) {
    this.root = path.resolve(rootDir);
    this.objectsDir = path.join(this.root, 'objects');
    this.metaDir = path.join(this.root, 'meta');
    this.tmpDir = path.join(this.root, '.tmp');
  }

  async put(key: string, body: Readable, options: PutBlobOptions = {}): Promise<BlobInfo> {
    this.assertOpen();
    const target = this.pathsOf(key);
    await mkdir(this.tmpDir, { recursive: true });
    const tmpBody = path.join(this.tmpDir, randomUUID());
    const tmpMeta = `${tmpBody}${META_SUFFIX}`;
    try {
      const digest = new DigestStream(options.expectedSize);
      // Opened here rather than by fs.createWriteStream, whose lazy open can create the file after
      // a failed pipeline has returned and the cleanup below has run. The stream closes the handle;
      // `flush` fsyncs first, since the rename below must not publish a body only in page cache.
      const file = await open(tmpBody, 'wx');
      // A slow body may go a while without a write; the file still says this put is alive.
      const alive = setInterval(() => {
        const now = new Date();
        utimes(tmpBody, now, now).catch(() => undefined);
      }, PUT_ALIVE_INTERVAL_MS);
      try {
        await pipeline(body, digest, file.createWriteStream({ flush: true }));
      } finally {
        clearInterval(alive);
      }
      const meta: StoredMeta = {
        size: digest.size,
        sha256: digest.sha256(),
        contentType: options.contentType ?? DEFAULT_CONTENT_TYPE,
      };
      if (options.expectedSize !== undefined && meta.size !== options.expectedSize) {
        throw new BlobIntegrityError(`body of ${key} is ${meta.size} bytes, expected ${options.expectedSize}`);
      }
      if (options.expectedSha256 !== undefined && meta.sha256 !== options.expectedSha256.toLowerCase()) {
        throw new BlobIntegrityError(`body of ${key} has sha256 ${meta.sha256}, expected ${options.expectedSha256}`);
      }
      await writeFile(tmpMeta, JSON.stringify(meta), { flag: 'wx', flush: true });
      await this.withKeyLock(key, async () => {
        await mkdir(path.dirname(target.body), { recursive: true });
        await mkdir(path.dirname(target.meta), { recursive: true });
        // Body first: until the metadata lands, head() still describes the previous put.
        await rename(tmpBody, target.body);
        await rename(tmpMeta, target.meta);
        await syncDirectory(path.dirname(target.body));
        await syncDirectory(path.dirname(target.meta));
      });
      return { key, ...meta };
    } finally {
      // No-ops after a successful rename; after a failure they leave nothing behind.
      await rm(tmpBody, { force: true });
      await rm(tmpMeta, { force: true });
    }
  }

  async get(key: string, range?: { start: number; end?: number }): Promise<Readable> {
    this.assertOpen();
    const { body } = this.pathsOf(key);
    let file: FileHandle;
    try {
      // Open before reading the size: a concurrent overwrite then cannot mix two bodies.
      file = await open(body, 'r');
    } catch (error: unknown) {
      if (isMissing(error)) throw new BlobNotFoundError(key);
      throw error;
    }
    try {
      if (!range) return file.createReadStream();
      const { size } = await file.stat();
      const { start, end = size - 1 } = range;
      if (!Number.isInteger(start) || start < 0 || !Number.isInteger(end) || end < start || start >= size) {
        throw new RangeError(`range ${start}-${range.end ?? ''} is not satisfiable for ${key} (${size} bytes)`);
      }
      return file.createReadStream({ start, end: Math.min(end, size - 1) });
    } catch (error: unknown) {
      await file.close();
      throw error;
    }
  }

  async head(key: string): Promise<BlobInfo | null> {
    this.assertOpen();
    const { meta } = this.pathsOf(key);
    let text: string;
    try {
      text = await readFile(meta, 'utf8');
    } catch (error: unknown) {
      if (isMissing(error)) return null;
      throw error;
    }
    return { key, ...parseMeta(text, meta) };
  }

  async delete(key: string): Promise<void> {
    this.assertOpen();
    const target = this.pathsOf(key);
    await this.withKeyLock(key, async () => {
      // Metadata first, mirroring put: a crash in between leaves an orphan body, not a head() that lies.
      await rm(target.meta, { force: true });
      await rm(target.body, { force: true });
    });
  }

  async removeAbandonedPuts(before: Date): Promise<string[]> {
    this.assertOpen();
    let names: string[];
    try {
      names = await readdir(this.tmpDir);
    } catch (error: unknown) {
      if (isMissing(error)) return [];
      throw error;
    }
    const removed: string[] = [];
    for (const name of names) {
      const file = path.join(this.tmpDir, name);
      try {
        const { mtime, size } = await stat(file);
        if (mtime >= before) continue;
        await rm(file, { force: true });
        removed.push(`${path.relative(this.root, file)} (${size} bytes, untouched since ${mtime.toISOString()})`);
      } catch (error: unknown) {
        // Its put finished (renamed it away) or failed (removed it) meanwhile.
        if (!isMissing(error)) throw error;
      }
    }
    return removed;
  }

  async ping(): Promise<void> {
    this.assertOpen();
    await mkdir(this.tmpDir, { recursive: true });
    const probe = path.join(this.tmpDir, `ping-${randomUUID()}`);
    await writeFile(probe, '');
    await rm(probe, { force: true });
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private pathsOf(key: string): { body: string; meta: string } {
    assertValidBlobKey(key);
    const segments = key.split('/');
    const name = segments.pop() ?? '';
    const dirs = segments.map((segment) => `${segment}${DIR_SUFFIX}`);
    const body = path.resolve(this.objectsDir, ...dirs, `${name}${BODY_SUFFIX}`);
    const meta = path.resolve(this.metaDir, ...dirs, `${name}${META_SUFFIX}`);
    // Defence in depth: assertValidBlobKey already forbids `..` and absolute keys.
    if (!isInside(this.objectsDir, body) || !isInside(this.metaDir, meta)) {
      throw new Error(`blob key ${JSON.stringify(key)} resolves outside the store`);
    }
    return { body, meta };
  }

  private async withKeyLock<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.keyLocks.get(key) ?? Promise.resolve();
    let release: () => void = () => undefined;
    const mine = new Promise<void>((resolve) => (release = resolve));
    const tail = previous.then(() => mine);
    this.keyLocks.set(key, tail);
    await previous;
    try {
      return await work();
    } finally {
      release();
      if (this.keyLocks.get(key) === tail) this.keyLocks.delete(key);
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('blob store is closed');
  }
}

function isInside(parent: string, child: string): boolean {
  const relative = path.relative(parent, child);
  return relative !== '' && !path.isAbsolute(relative) && relative.split(path.sep)[0] !== '..';
}

function isMissing(error: unknown): boolean {
  // Duck-typed: errors from Node's fs do not pass `instanceof Error` inside a Jest VM context.
  const code = typeof error === 'object' && error !== null && 'code' in error ? error.code : undefined;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

function parseMeta(text: string, file: string): StoredMeta {
  const value: unknown = JSON.parse(text);
  if (
    typeof value === 'object' &&
    value !== null &&
    'size' in value &&
    typeof value.size === 'number' &&
    'sha256' in value &&
    typeof value.sha256 === 'string' &&
    'contentType' in value &&
    typeof value.contentType === 'string'
  ) {
    return { size: value.size, sha256: value.sha256, contentType: value.contentType };
  }
  throw new Error(`corrupt blob metadata in ${file}`);
}
