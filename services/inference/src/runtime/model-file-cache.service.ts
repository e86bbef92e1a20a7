import { createHash, randomUUID } from 'node:crypto';
import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, BLOB_STORE, LOGGER, METRICS, syncDirectory, type AppConfig, type BlobStore, type Logger, type Metrics } from '@modelyard/platform';
import { ArtifactIntegrityError } from './runtime.exception.js';

/** A model file as the registry records it: where it is stored and what it must hash to. */
export interface ModelArtifactRef {
  key: string;
  /** Lower-case hex. */
  sha256: string;
  size: number;
}

const SHA256_HEX = /^[0-9a-f]{64}$/;
const PARTIAL_SUFFIX = '.partial';

/**
 * Model files from object storage, kept on local disk for onnxruntime to load by path:
 *
 *   <cacheDir>/sha256/<sha256>                   verified files, named by content
 *   <cacheDir>/sha256/<sha256>.<uuid>.partial    downloads in progress (same folder, so rename is atomic)
 *
 * A storage key never becomes a path, and two models with the same file share one copy. A download
 * is hashed while it is written and renamed into place only once its size and sha256 match, so a
 * file under its final name is always complete and verified. On reuse only the size is checked
 * (hashing gigabytes per call would cost more than the call); a file of the wrong size is fetched
 * again. There is no size cap: files stay until an operator clears the folder.
 *
 * Start-up deletes every partial download in the folder, as a crash leaves them: one worker process
 * per cache folder. (A second process sharing it would only see its in-flight download fail and be
 * retried, since finished files are written by atomic rename.)
 */
@Injectable()
export class ModelFileCache implements OnModuleInit {
  private readonly dir: string;
  private readonly downloads = new Map<string, Promise<string>>();
  private prepared: Promise<void> | undefined;

  constructor(
    @Inject(BLOB_STORE) private readonly blobStore: BlobStore,
    @Inject(APP_CONFIG) config: Pick<AppConfig, 'inference'>,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(METRICS) private readonly metrics: Metrics,
  ) {
    this.dir = path.resolve(config.inference.cacheDir, 'sha256');
  }

  async onModuleInit(): Promise<void> {
    await this.prepare();
  }

  /** Creates the cache folder and removes partial downloads; runs once, however often it is called. */
  prepare(): Promise<void> {
    this.prepared ??= this.sweep();
    return this.prepared;
  }

  /**
   * The absolute path of a verified local copy of the artifact, downloading it first if needed.
   * Concurrent calls for one sha256 share one download. Rejects with ArtifactIntegrityError when the
   * stored bytes do not match, leaving nothing in the cache; storage errors (BlobNotFoundError …) pass through.
   */
  async ensureLocal(artifact: ModelArtifactRef): Promise<string> {
    const sha256 = artifact.sha256;
    if (!SHA256_HEX.test(sha256)) throw new Error(`artifact ${artifact.key} has an invalid sha256: ${JSON.stringify(sha256)}`);
    if (!Number.isSafeInteger(artifact.size) || artifact.size < 0) {
      throw new Error(`artifact ${artifact.key} has an invalid size: ${artifact.size}`);
    }
    await this.prepare();

    const running = this.downloads.get(sha256);
    if (running) {
      this.metrics.modelCacheLookups.inc({ outcome: 'miss' });
      return running;
    }
    const file = path.join(this.dir, sha256);
    const size = await sizeOf(file);
    if (size === artifact.size) {
      this.metrics.modelCacheLookups.inc({ outcome: 'hit' });
      return file;
    }
    // Re-checked after the stat: another call may have started the download meanwhile.
    const started = this.downloads.get(sha256);
    if (started) {
      this.metrics.modelCacheLookups.inc({ outcome: 'miss' });
      return started;
    }
    if (size !== undefined) {
      this.logger.warn({ key: artifact.key, sha256, size, expected_size: artifact.size }, 'cached model file has the wrong size; fetching it again');
    }
    this.metrics.modelCacheLookups.inc({ outcome: size === undefined ? 'miss' : 'stale' });
    const download = this.download(artifact, file).finally(() => this.downloads.delete(sha256));
    this.downloads.set(sha256, download);
    return download;
  }

  private async download(artifact: ModelArtifactRef, file: string): Promise<string> {
    const partial = path.join(this.dir, `${artifact.sha256}.${randomUUID()}${PARTIAL_SUFFIX}`);
    const started = performance.now();
    try {
      // Opened before the body is requested, and not by fs.createWriteStream, whose lazy open could
      // create the file after a failed pipeline has returned and the cleanup below has run.
      const handle = await open(partial, 'wx');
      let body: Readable;
      try {
        body = await this.blobStore.get(artifact.key);
      } catch (error: unknown) {
        await handle.close();
        throw error;
      }
      const digest = new DigestStream(artifact, (bytes) => this.metrics.modelCacheDownloadedBytes.inc(bytes));
      // `flush` fsyncs before close: the rename below must not publish a file only in page cache.
      await pipeline(body, digest, handle.createWriteStream({ flush: true }));
      if (digest.size !== artifact.size) throw ArtifactIntegrityError.size(artifact.key, artifact.size, digest.size);
      const sha256 = digest.sha256();
      if (sha256 !== artifact.sha256) throw ArtifactIntegrityError.sha256(artifact.key, artifact.sha256, sha256);
      await rename(partial, file);
      await syncDirectory(this.dir);
      this.logger.info(
        { key: artifact.key, sha256, size: artifact.size, duration_ms: Math.round(performance.now() - started) },
        'model file cached',
      );
      return file;
    } catch (error: unknown) {
      if (error instanceof ArtifactIntegrityError) {
        this.logger.error({ key: artifact.key, sha256: artifact.sha256, err: error }, 'model file in storage failed verification');
      }
      throw error;
    } finally {
      // A no-op after the rename; after any failure it leaves nothing behind.
      await rm(partial, { force: true });
    }
  }

  private async sweep(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const leftovers = (await readdir(this.dir)).filter((name) => name.endsWith(PARTIAL_SUFFIX));
    await Promise.all(leftovers.map((name) => rm(path.join(this.dir, name), { force: true })));
    if (leftovers.length > 0) this.logger.info({ dir: this.dir, count: leftovers.length }, 'removed partial model downloads left by an earlier run');
  }
}

/** Counts and hashes the bytes on their way to disk, and stops at the first byte past the expected size. */
class DigestStream extends Transform {
  private readonly hash = createHash('sha256');
  size = 0;

  constructor(
    private readonly artifact: ModelArtifactRef,
    private readonly onBytes: (count: number) => void,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.size += chunk.length;
    this.onBytes(chunk.length);
    if (this.size > this.artifact.size) {
      callback(ArtifactIntegrityError.size(this.artifact.key, this.artifact.size, undefined));
      return;
    }
    this.hash.update(chunk);
    callback(null, chunk);
  }

  sha256(): string {
    return this.hash.digest('hex');
  }
}

async function sizeOf(file: string): Promise<number | undefined> {
  try {
    const info = await stat(file);
    return info.isFile() ? info.size : undefined;
  } catch (error: unknown) {
    // Duck-typed: errors from Node's fs do not pass `instanceof Error` inside a Jest VM context.
    const code = typeof error === 'object' && error !== null && 'code' in error ? error.code : undefined;
    if (code === 'ENOENT') return undefined;
    throw error;
  }
}
