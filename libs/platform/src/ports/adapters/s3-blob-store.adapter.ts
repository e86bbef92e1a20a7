import { createHash, randomUUID } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';
import { Client, CopyDestinationOptions, CopySourceOptions } from 'minio';
import type { Logger } from '../../logging/logger.js';
import {
  BlobIntegrityError,
  BlobNotFoundError,
  assertValidBlobKey,
  type BlobInfo,
  type BlobStore,
  type PutBlobOptions,
} from '../blob-store.port.js';
import { messageOf } from '../../errors/error-message.util.js';
import { removeAbandonedS3Puts } from './s3-abandoned-puts.util.js';

export interface S3BlobStoreOptions {
  /** `http://host:port` or `https://host:port`. */
  endpoint: string;
  region: string;
  bucket: string;
  accessKey: string;
  /** Never logged nor put in an error. */
  secretKey: string;
  logger?: Logger;
  /**
   * Stores every key under `<keyPrefix>/` (default: at the bucket's root), so that several stores,
   * or test runs, can share a bucket.
   */
  keyPrefix?: string;
  /**
   * Bytes per uploaded part (default 16 MiB, at least 5 MiB as S3 requires). A put holds one part in
   * memory, and S3 allows 10,000 parts: a put of unknown size can store up to 10,000 × this
   * (156 GiB by default); with `expectedSize` the part grows as needed.
   */
  partSizeBytes?: number;
  /**
   * The largest object copied by one CopyObject request (default 5 GiB, the S3 limit); bigger ones
   * are copied part by part. Lower only to exercise that path in tests.
   */
  maxSingleCopyBytes?: number;
  /**
   * How long a multipart upload must have shown no life before `removeAbandonedPuts` aborts it
   * (default one hour; see removeAbandonedS3Puts). Lower only in tests.
   */
  abandonedUploadMinIdleMs?: number;
}

const DEFAULT_CONTENT_TYPE = 'application/octet-stream';
const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const DEFAULT_PART_SIZE = 16 * MiB;
const MIN_PART_SIZE = 5 * MiB;
/** Part buffers kept for reuse between puts (one per put that runs at the same time, up to this). */
const MAX_SPARE_PARTS = 2;
const MAX_PART_SIZE = 5 * GiB;
const MAX_PARTS = 10_000;
/** Parts copied at once in a multipart copy: server-side work, so a few in parallel are cheap. */
const COPY_CONCURRENCY = 4;
const PING_TIMEOUT_MS = 2_000;
/** First part buffer of a put of unknown size; most files that are not weights fit. */
const SMALL_BUFFER = 1024 * 1024;
/** SigV4 presigned URLs live at most 7 days. */
const MAX_PRESIGN_SECONDS = 7 * 24 * 3600;
/** Metadata keys (sent as `x-amz-meta-<key>`; minio hands them back without the prefix). */
const SHA256_META = 'sha256';
/**
 * The content type as given to put, kept apart from the Content-Type header because some servers
 * rewrite that one: SeaweedFS sniffs the body when told application/octet-stream.
 */
const MEDIA_TYPE_META = 'media-type';
/** Uploads in progress that are not yet verified live here, under the store's prefix. */
const TMP_SEGMENT = '.tmp';
const DEFAULT_ABANDONED_UPLOAD_MIN_IDLE_MS = 3_600_000;

interface MultipartUpload {
  readonly objectName: string;
  readonly uploadId: string;
  readonly parts: Array<{ part: number; etag: string }>;
}

/**
 * Blob store on an S3 API (MinIO, SeaweedFS, AWS S3) through the `minio` client.
 *
 * A put reads the body once, hashing and counting it as it goes, into one part-sized buffer that is
 * reused for every part, so memory stays at one part whatever the body's size:
 *
 * - a body that fits in one part is verified, then stored with one PUT;
 * - a bigger body goes up as a multipart upload and is verified before the upload is completed: a
 *   mismatch or a failing source aborts the upload, and S3 then holds none of it. Its metadata must
 *   be set when the upload starts, before the sha256 is known; so with `expectedSha256` it is
 *   uploaded to its key directly, and without, to `<prefix>/.tmp/<uuid>` and then copied server-side
 *   to its key with the metadata (the temporary object is deleted after).
 *
 * Either way the key changes only when a complete, verified object lands, and an object's body and
 * metadata change together (S3 replaces whole objects). Not done here: parallel part uploads (one
 * part in flight; the local disk or network is the bound for a single stream). What a process that
 * died mid-put leaves (a multipart upload, a temporary object) is removed by `removeAbandonedPuts`,
 * and multipart uploads also by the bucket's lifecycle rule when the store created the bucket.
 *
 * The `minio` client's own putObject is not used for streams: it buffers parts through an extra
 * copy, and a source stream that fails leaves its upload promise pending forever (minio 8.0).
 */
export class S3BlobStore implements BlobStore {
  private readonly client: Client;
  private readonly agent: http.Agent;
  private readonly bucket: string;
  private readonly region: string;
  private readonly prefix: string;
  private readonly partSize: number;
  /**
   * Full-size part buffers kept between puts. A fresh 16 MiB buffer per put is freed after it, but
   * the allocator keeps such memory: an ingest worker's RSS grew by ~95 MiB over its imports and
   * stayed there (bench/RESULTS.md). Reuse caps that at the buffers of the puts that run at once.
   */
  private readonly spareParts: Buffer[] = [];
  private readonly maxSingleCopy: number;
  private readonly abandonedUploadMinIdleMs: number;
  private readonly logger: Logger | undefined;
  private bucketReady: Promise<void> | undefined;
  private closed = false;

  constructor(options: S3BlobStoreOptions) {
    let endpoint: URL;
    try {
      endpoint = new URL(options.endpoint);
    } catch {
      throw new Error('the S3 endpoint must be a URL such as http://127.0.0.1:9000');
    }
    if (endpoint.protocol !== 'http:' && endpoint.protocol !== 'https:') {
      throw new Error('the S3 endpoint must start with http:// or https://');
    }
    if (endpoint.pathname !== '/' || endpoint.username || endpoint.password) {
      throw new Error('the S3 endpoint must be scheme://host[:port] only: no path, no credentials');
    }
    if (options.keyPrefix !== undefined) assertValidBlobKey(options.keyPrefix);
    this.prefix = options.keyPrefix === undefined ? '' : `${options.keyPrefix}/`;
    this.partSize = options.partSizeBytes ?? DEFAULT_PART_SIZE;
    if (!Number.isInteger(this.partSize) || this.partSize < MIN_PART_SIZE || this.partSize > MAX_PART_SIZE) {
      throw new RangeError(`partSizeBytes must be an integer from 5 MiB to 5 GiB, got ${this.partSize}`);
    }
    this.maxSingleCopy = options.maxSingleCopyBytes ?? MAX_PART_SIZE;
    if (!Number.isInteger(this.maxSingleCopy) || this.maxSingleCopy < MIN_PART_SIZE || this.maxSingleCopy > MAX_PART_SIZE) {
      throw new RangeError(`maxSingleCopyBytes must be an integer from 5 MiB to 5 GiB, got ${this.maxSingleCopy}`);
    }
    this.abandonedUploadMinIdleMs = options.abandonedUploadMinIdleMs ?? DEFAULT_ABANDONED_UPLOAD_MIN_IDLE_MS;
    this.bucket = options.bucket;
    this.region = options.region;
    this.logger = options.logger?.child({ component: 'S3BlobStore', bucket: options.bucket });
    const useSSL = endpoint.protocol === 'https:';
    // Our own agent, so close() can end its kept-alive sockets.
    this.agent = useSSL ? new https.Agent({ keepAlive: true }) : new http.Agent({ keepAlive: true });
    this.client = new Client({
      endPoint: endpoint.hostname.replace(/^\[(.*)\]$/, '$1'),
      port: endpoint.port ? Number(endpoint.port) : useSSL ? 443 : 80,
      useSSL,
      region: options.region,
      accessKey: options.accessKey,
      secretKey: options.secretKey,
      // Bucket in the path: works with every S3 server and any bucket name, no wildcard DNS needed.
      pathStyle: true,
      transportAgent: this.agent,
    });
  }

  async put(key: string, body: Readable, options: PutBlobOptions = {}): Promise<BlobInfo> {
    this.assertOpen();
    const objectName = this.objectName(key);
    const contentType = options.contentType ?? DEFAULT_CONTENT_TYPE;
    const { expectedSize } = options;
    const expectedSha256 = options.expectedSha256?.toLowerCase();
    if (expectedSize !== undefined && !(Number.isInteger(expectedSize) && expectedSize >= 0)) {
      throw new RangeError(`expectedSize must be a non-negative integer, got ${expectedSize}`);
    }
    await this.ensureBucket();
    // A part must hold at least a 10,000th of the body: S3 counts at most 10,000 parts.
    const partSize = Math.max(this.partSize, Math.ceil((expectedSize ?? 0) / MAX_PARTS / MiB) * MiB);
    const direct = expectedSha256 !== undefined;
    const uploadName = direct ? objectName : `${this.prefix}${TMP_SEGMENT}/${randomUUID()}`;
    const headers: Record<string, string> = { 'Content-Type': contentType, [`X-Amz-Meta-${MEDIA_TYPE_META}`]: contentType };
    if (direct) headers[`X-Amz-Meta-${SHA256_META}`] = expectedSha256;

    const hash = createHash('sha256');
    let size = 0;
    let buffer: Buffer | undefined;
    let filled = 0;
    let upload: MultipartUpload | undefined;
    try {
      for await (const value of body) {
        const chunk = toBuffer(value);
        size += chunk.length;
        // Stop at the first byte past the promised size instead of uploading a body we will reject.
        if (expectedSize !== undefined && size > expectedSize) {
          throw new BlobIntegrityError(`body of ${key} is longer than the expected ${expectedSize} bytes`);
        }
        hash.update(chunk);
        for (let offset = 0; offset < chunk.length; ) {
          buffer = withRoom(buffer, filled, chunk.length - offset, partSize, expectedSize, (size) => this.takePartBuffer(size));
          const taken = chunk.copy(buffer, filled, offset);
          filled += taken;
          offset += taken;
          if (filled === partSize) {
            upload ??= await this.startMultipart(uploadName, headers);
            await this.uploadPart(upload, buffer);
            filled = 0;
          }
        }
      }
      const sha256 = hash.digest('hex');
      if (expectedSize !== undefined && size !== expectedSize) {
        throw new BlobIntegrityError(`body of ${key} is ${size} bytes, expected ${expectedSize}`);
      }
      if (expectedSha256 !== undefined && sha256 !== expectedSha256) {
        throw new BlobIntegrityError(`body of ${key} has sha256 ${sha256}, expected ${expectedSha256}`);
      }
      const info: BlobInfo = { key, size, sha256, contentType };
      const last = (buffer ?? Buffer.alloc(0)).subarray(0, filled);
      if (!upload) {
        // The whole body is in hand and verified: one PUT, metadata included.
        await this.client.putObject(this.bucket, objectName, last, last.length, {
          'Content-Type': contentType,
          [MEDIA_TYPE_META]: contentType,
          [SHA256_META]: sha256,
        });
        this.returnPartBuffer(buffer);
        return info;
      }
      if (filled > 0) await this.uploadPart(upload, last);
      // Only on success: after a failure a request may still be reading it.
      this.returnPartBuffer(buffer);
      buffer = undefined;
      await this.client.completeMultipartUpload(this.bucket, upload.objectName, upload.uploadId, upload.parts);
      upload = undefined;
      if (!direct) await this.publishTemporary(uploadName, objectName, contentType, sha256, size);
      return info;
    } catch (error: unknown) {
      if (upload) await this.abortMultipart(upload);
      // Stop the source whatever failed (for-await already did if the throw came from its loop).
      if (!body.destroyed) body.destroy();
      throw error;
    }
  }

  private takePartBuffer(size: number): Buffer {
    return (size === this.partSize && this.spareParts.pop()) || Buffer.allocUnsafe(size);
  }

  private returnPartBuffer(buffer: Buffer | undefined): void {
    if (buffer?.length === this.partSize && this.spareParts.length < MAX_SPARE_PARTS) this.spareParts.push(buffer);
  }

  async get(key: string, range?: { start: number; end?: number }): Promise<Readable> {
    this.assertOpen();
    const objectName = this.objectName(key);
    if (range) {
      const { start, end } = range;
      if (!Number.isInteger(start) || start < 0 || (end !== undefined && (!Number.isInteger(end) || end < start))) {
        throw new RangeError(`range ${start}-${end ?? ''} is not satisfiable for ${key}`);
      }
    }
    await this.ensureBucket();
    try {
      if (!range) return await this.client.getObject(this.bucket, objectName);
      // Length 0 means "to the end" to minio; an open-ended range from 0 is the whole object.
      const length = range.end === undefined ? 0 : range.end - range.start + 1;
      return await this.client.getPartialObject(this.bucket, objectName, range.start, length);
    } catch (error: unknown) {
      if (isMissing(error)) throw new BlobNotFoundError(key);
      if (errorCode(error) === 'InvalidRange') {
        throw new RangeError(`range ${range?.start}-${range?.end ?? ''} is not satisfiable for ${key}`);
      }
      throw error;
    }
  }

  async head(key: string): Promise<BlobInfo | null> {
    this.assertOpen();
    const objectName = this.objectName(key);
    await this.ensureBucket();
    let stat: Awaited<ReturnType<Client['statObject']>>;
    try {
      stat = await this.client.statObject(this.bucket, objectName);
    } catch (error: unknown) {
      if (isMissing(error)) return null;
      throw error;
    }
    const sha256 = metaValue(stat.metaData, SHA256_META);
    if (!sha256) throw new Error(`blob ${key} has no sha256 metadata: it was not stored through this store`);
    const contentType =
      metaValue(stat.metaData, MEDIA_TYPE_META) ?? metaValue(stat.metaData, 'content-type') ?? DEFAULT_CONTENT_TYPE;
    return { key, size: stat.size, sha256, contentType };
  }

  async delete(key: string): Promise<void> {
    this.assertOpen();
    const objectName = this.objectName(key);
    await this.ensureBucket();
    try {
      await this.client.removeObject(this.bucket, objectName);
    } catch (error: unknown) {
      // S3 answers a delete of a missing key with success; some servers say NoSuchKey instead.
      if (!isMissing(error)) throw error;
    }
  }

  async removeAbandonedPuts(before: Date): Promise<string[]> {
    this.assertOpen();
    await this.ensureBucket();
    return removeAbandonedS3Puts(this.client, {
      bucket: this.bucket,
      prefix: this.prefix,
      tmpPrefix: `${this.prefix}${TMP_SEGMENT}/`,
      before,
      minIdleMs: this.abandonedUploadMinIdleMs,
      ...(this.logger && { logger: this.logger }),
    });
  }

  /**
   * A URL that downloads the blob without credentials until it expires, for handing large
   * downloads to a client instead of streaming them through a service. Anyone holding the URL can
   * use it: log it as a secret. Not checked: whether the blob exists (the URL answers 404 then).
   */
  async presignedGetUrl(key: string, expirySeconds: number): Promise<string> {
    this.assertOpen();
    const objectName = this.objectName(key);
    if (!Number.isInteger(expirySeconds) || expirySeconds < 1 || expirySeconds > MAX_PRESIGN_SECONDS) {
      throw new RangeError(`expirySeconds must be an integer from 1 to ${MAX_PRESIGN_SECONDS}, got ${expirySeconds}`);
    }
    return this.client.presignedGetObject(this.bucket, objectName, expirySeconds);
  }

  async ping(): Promise<void> {
    this.assertOpen();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${PING_TIMEOUT_MS} ms`)), PING_TIMEOUT_MS);
    });
    try {
      // A missing bucket is fine (the first write creates it); unreachable or refused credentials are not.
      await Promise.race([this.client.bucketExists(this.bucket), timeout]);
    } catch (error: unknown) {
      throw new Error(`S3 is unreachable: ${messageOf(error)}`);
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.agent.destroy();
  }

  private objectName(key: string): string {
    assertValidBlobKey(key);
    return `${this.prefix}${key}`;
  }

  /** Creates the bucket on first use, once per store; safe when other processes race to do the same. */
  private ensureBucket(): Promise<void> {
    this.bucketReady ??= this.createBucketIfMissing().catch((error: unknown) => {
      this.bucketReady = undefined; // try again next time (S3 may have been down)
      throw error;
    });
    return this.bucketReady;
  }

  private async createBucketIfMissing(): Promise<void> {
    if (await this.client.bucketExists(this.bucket)) return;
    try {
      await this.client.makeBucket(this.bucket, this.region);
    } catch (error: unknown) {
      // Another process created it between our check and our request.
      if (errorCode(error) === 'BucketAlreadyOwnedByYou' || errorCode(error) === 'BucketAlreadyExists') return;
      throw error;
    }
    this.logger?.info('created bucket');
    try {
      // An upload whose process died before completing or aborting it keeps its parts, invisible
      // to listings, until removed; let S3 remove them. Best effort: not every server supports it.
      await this.client.setBucketLifecycle(this.bucket, {
        Rule: [{ ID: 'abort-incomplete-uploads', Status: 'Enabled', Prefix: '', AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 } }],
      });
    } catch (error: unknown) {
      this.logger?.warn({ err: messageOf(error) }, 'could not set the lifecycle rule that removes abandoned uploads');
    }
  }

  private async startMultipart(objectName: string, headers: Record<string, string>): Promise<MultipartUpload> {
    const uploadId = await this.client.initiateNewMultipartUpload(this.bucket, objectName, { ...headers });
    return { objectName, uploadId, parts: [] };
  }

  private async uploadPart(upload: MultipartUpload, bytes: Buffer): Promise<void> {
    const part = upload.parts.length + 1;
    if (part > MAX_PARTS) {
      throw new Error(`body exceeds ${MAX_PARTS} parts of ${bytes.length} bytes; pass expectedSize or raise partSizeBytes`);
    }
    const { etag } = await this.client.uploadPart(
      {
        bucketName: this.bucket,
        objectName: upload.objectName,
        uploadID: upload.uploadId,
        partNumber: part,
        // The server checks the part against this; over https no payload hash is signed otherwise.
        headers: { 'Content-MD5': createHash('md5').update(bytes).digest('base64') },
      },
      bytes,
    );
    upload.parts.push({ part, etag });
  }

  private async abortMultipart(upload: MultipartUpload): Promise<void> {
    try {
      await this.client.abortMultipartUpload(this.bucket, upload.objectName, upload.uploadId);
    } catch (error: unknown) {
      this.logger?.warn({ object: upload.objectName, err: messageOf(error) }, 'could not abort a multipart upload');
    }
  }

  /** Copies a verified temporary object to its key with the metadata, then deletes it. */
  private async publishTemporary(tmpName: string, objectName: string, contentType: string, sha256: string, size: number): Promise<void> {
    try {
      if (size <= this.maxSingleCopy) {
        await this.client.copyObject(
          new CopySourceOptions({ Bucket: this.bucket, Object: tmpName }),
          new CopyDestinationOptions({
            Bucket: this.bucket,
            Object: objectName,
            MetadataDirective: 'REPLACE',
            UserMetadata: { [SHA256_META]: sha256, [MEDIA_TYPE_META]: contentType },
            Headers: { 'Content-Type': contentType },
          }),
        );
      } else {
        await this.copyInParts(tmpName, objectName, size, {
          'Content-Type': contentType,
          [`X-Amz-Meta-${SHA256_META}`]: sha256,
          [`X-Amz-Meta-${MEDIA_TYPE_META}`]: contentType,
        });
      }
    } finally {
      await this.client.removeObject(this.bucket, tmpName).catch((error: unknown) => {
        this.logger?.warn({ object: tmpName, err: messageOf(error) }, 'could not delete a temporary upload');
      });
    }
  }

  /**
   * CopyObject stops at 5 GiB; beyond, the copy is a multipart upload of UploadPartCopy ranges.
   * (minio's composeObject would do this, but in 8.0 gives every range of one source the same
   * part number and headers object, and swallows errors.)
   */
  private async copyInParts(sourceName: string, objectName: string, size: number, headers: Record<string, string>): Promise<void> {
    const partSize = Math.max(this.partSize, Math.ceil(size / MAX_PARTS));
    const source = `/${this.bucket}/${sourceName.split('/').map(encodeURIComponent).join('/')}`;
    const ranges: Array<{ part: number; start: number; end: number }> = [];
    for (let start = 0, part = 1; start < size; start += partSize, part += 1) {
      ranges.push({ part, start, end: Math.min(start + partSize, size) - 1 });
    }
    const upload = await this.startMultipart(objectName, headers);
    try {
      const etags: Array<{ part: number; etag: string }> = [];
      for (let index = 0; index < ranges.length; index += COPY_CONCURRENCY) {
        const batch = ranges.slice(index, index + COPY_CONCURRENCY);
        etags.push(
          ...(await Promise.all(
            batch.map(async ({ part, start, end }) => {
              const { etag } = await this.client.uploadPart({
                bucketName: this.bucket,
                objectName,
                uploadID: upload.uploadId,
                partNumber: part,
                headers: { 'x-amz-copy-source': source, 'x-amz-copy-source-range': `bytes=${start}-${end}` },
              });
              return { part, etag };
            }),
          )),
        );
      }
      await this.client.completeMultipartUpload(this.bucket, objectName, upload.uploadId, etags);
    } catch (error: unknown) {
      await this.abortMultipart(upload);
      throw error;
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('blob store is closed');
  }
}

/**
 * The part buffer, with room for `wanted` more bytes as far as the part size allows. Without an
 * expected size it starts at 1 MiB, so a small file does not claim a whole part, and then jumps to
 * the part size, where it stays, reused for every part. (Growing by doubling would leave about a
 * part's worth of discarded buffers for the garbage collector on every large put.)
 */
function withRoom(
  buffer: Buffer | undefined,
  filled: number,
  wanted: number,
  partSize: number,
  expectedSize: number | undefined,
  allocate: (size: number) => Buffer,
): Buffer {
  if (buffer && (buffer.length === partSize || buffer.length - filled >= wanted)) return buffer;
  const first = expectedSize === undefined ? Math.max(SMALL_BUFFER, wanted) : Math.max(1, expectedSize);
  const grown = allocate(buffer ? partSize : Math.min(partSize, first));
  buffer?.copy(grown, 0, 0, filled);
  return grown;
}

function toBuffer(value: unknown): Buffer {
  if (Buffer.isBuffer(value)) return value;
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  if (typeof value === 'string') return Buffer.from(value);
  throw new TypeError('a blob body must stream bytes or strings');
}

function errorCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string' ? error.code : undefined;
}

function isMissing(error: unknown): boolean {
  // NotFound: a HEAD answer has no body to carry a more precise code.
  const code = errorCode(error);
  return code === 'NoSuchKey' || code === 'NotFound' || code === 'NoSuchObject';
}

function metaValue(metaData: Record<string, unknown>, name: string): string | undefined {
  // Header names come back in whatever case the server used.
  for (const [key, value] of Object.entries(metaData)) {
    if (key.toLowerCase() === name && typeof value === 'string') return value;
  }
  return undefined;
}

