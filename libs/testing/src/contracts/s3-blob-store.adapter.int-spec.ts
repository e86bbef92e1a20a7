import { createHash, randomUUID } from 'node:crypto';
import { PassThrough, Readable } from 'node:stream';
import { afterAll, afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { Client } from 'minio';
import { BlobIntegrityError, BlobNotFoundError, S3BlobStore, type S3BlobStoreOptions } from '@modelyard/platform';
import { freePort } from '../process.util.js';
import { describeBlobStoreContract, sleep, waitFor } from './index.js';

const REQUIRED = ['MODELYARD_S3_ENDPOINT', 'MODELYARD_S3_ACCESS_KEY', 'MODELYARD_S3_SECRET_KEY', 'MODELYARD_S3_BUCKET'] as const;
const missing = REQUIRED.filter((name) => !process.env[name]);
if (missing.length > 0) {
  throw new Error(
    `${missing.join(', ')} not set. Run the integration tests through \`npm test\`, or first ` +
      '`eval "$(bash deploy/local/infra.sh env)"` with S3 up (`bash deploy/local/infra.sh up s3`).',
  );
}
const S3 = {
  endpoint: process.env.MODELYARD_S3_ENDPOINT ?? '',
  accessKey: process.env.MODELYARD_S3_ACCESS_KEY ?? '',
  secretKey: process.env.MODELYARD_S3_SECRET_KEY ?? '',
  bucket: process.env.MODELYARD_S3_BUCKET ?? '',
  region: process.env.MODELYARD_S3_REGION ?? 'us-east-1',
};
const MiB = 1024 * 1024;
/** Every key of this run lives below this prefix of the shared bucket, and is deleted at the end. */
const RUN_PREFIX = `modelyard-test/${randomUUID().slice(0, 8)}`;

/** A plain client, to look at the bucket past the store (metadata, leftovers) and to clean up. */
const endpointUrl = new URL(S3.endpoint);
const admin = new Client({
  endPoint: endpointUrl.hostname,
  port: Number(endpointUrl.port) || (endpointUrl.protocol === 'https:' ? 443 : 80),
  useSSL: endpointUrl.protocol === 'https:',
  accessKey: S3.accessKey,
  secretKey: S3.secretKey,
  region: S3.region,
  pathStyle: true,
});

async function objectsUnder(bucket: string, prefix: string): Promise<string[]> {
  const names: string[] = [];
  for await (const item of admin.listObjectsV2(bucket, `${prefix}/`, true)) {
    if (typeof item === 'object' && item !== null && 'name' in item && typeof item.name === 'string') names.push(item.name);
  }
  return names.sort();
}

async function incompleteUploadsUnder(bucket: string, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const upload of admin.listIncompleteUploads(bucket, `${prefix}/`, true)) {
    if (typeof upload === 'object' && upload !== null && 'key' in upload && typeof upload.key === 'string') keys.push(upload.key);
  }
  return keys;
}

async function removeAllUnder(bucket: string, prefix: string): Promise<void> {
  const names = await objectsUnder(bucket, prefix);
  if (names.length > 0) await admin.removeObjects(bucket, names);
}

const PART_SIZE = 16 * MiB;
describeBlobStoreContract(
  'S3BlobStore',
  async () => {
    const keyPrefix = `${RUN_PREFIX}/contract-${randomUUID().slice(0, 8)}`;
    const store = new S3BlobStore({ ...S3, keyPrefix, partSizeBytes: PART_SIZE });
    return {
      store,
      cleanup: async () => {
        await store.close();
        await removeAllUnder(S3.bucket, keyPrefix);
      },
    };
  },
  // One part buffer, and the 1 MiB one a put of unknown size starts with.
  { bufferedBytes: PART_SIZE + MiB },
);

/** Deterministic bytes chunk by chunk, never a whole body in memory. */
function* pattern(totalBytes: number, seed: number): Generator<Buffer> {
  const chunkSize = 64 * 1024;
  for (let offset = 0, index = 0; offset < totalBytes; offset += chunkSize, index += 1) {
    const chunk = Buffer.alloc(Math.min(chunkSize, totalBytes - offset), (seed * 31 + index) & 0xff);
    if (chunk.length >= 8) chunk.writeUInt32BE(index, 0);
    yield chunk;
  }
}
const patternStream = (totalBytes: number, seed: number): Readable => Readable.from(pattern(totalBytes, seed));
function patternSha256(totalBytes: number, seed: number): string {
  const hash = createHash('sha256');
  for (const chunk of pattern(totalBytes, seed)) hash.update(chunk);
  return hash.digest('hex');
}

async function digest(stream: AsyncIterable<unknown>): Promise<{ size: number; sha256: string }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of stream) {
    const bytes = chunk instanceof Uint8Array ? chunk : Buffer.from(String(chunk));
    size += bytes.length;
    hash.update(bytes);
  }
  return { size, sha256: hash.digest('hex') };
}

async function readText(stream: Readable): Promise<string> {
  let text = '';
  for await (const chunk of stream) text += String(chunk);
  return text;
}

/** Yields `firstBytes`, then fails like a dropped upload connection. */
function failingAfter(firstBytes: number): Readable {
  return Readable.from(
    (function* () {
      yield* pattern(firstBytes, 7);
      throw new Error('upload connection dropped');
    })(),
  );
}

describe('S3BlobStore', () => {
  const stores: S3BlobStore[] = [];
  let prefix: string;

  beforeEach(() => {
    prefix = `${RUN_PREFIX}/adapter-${randomUUID().slice(0, 8)}`;
  });

  function open(options: Partial<S3BlobStoreOptions> = {}): S3BlobStore {
    const store = new S3BlobStore({ ...S3, keyPrefix: prefix, ...options });
    stores.push(store);
    return store;
  }

  afterEach(async () => {
    await Promise.all(stores.splice(0).map((store) => store.close()));
    await removeAllUnder(S3.bucket, prefix);
  });

  afterAll(async () => {
    await removeAllUnder(S3.bucket, RUN_PREFIX);
  });

  it('uploads a 64 MiB stream in parts with bounded memory, to its key directly when the sha256 is known', async () => {
    const store = open();
    const size = 64 * MiB;
    const sha256 = patternSha256(size, 1);
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    const body = Readable.from(
      (function* () {
        for (const chunk of pattern(size, 1)) {
          peak = Math.max(peak, process.memoryUsage().rss);
          yield chunk;
        }
      })(),
    );

    const info = await store.put('big/weights.bin', body, { expectedSha256: sha256, expectedSize: size });

    expect(info).toEqual({ key: 'big/weights.bin', size, sha256, contentType: 'application/octet-stream' });
    // One 16 MiB part buffer plus the stream's and the HTTP client's own buffers.
    expect(peak - baseline).toBeLessThan(40 * MiB);
    // Uploaded to its key directly: no temporary object was ever written.
    await expect(objectsUnder(S3.bucket, prefix)).resolves.toEqual([`${prefix}/big/weights.bin`]);
    await expect(digest(await store.get('big/weights.bin'))).resolves.toEqual({ size, sha256 });
  }, 60_000);

  it('records the sha256 and content type as object metadata', async () => {
    const store = open();
    const info = await store.put('card.md', Readable.from([Buffer.from('# model card')]), { contentType: 'text/markdown' });

    const stat = await admin.statObject(S3.bucket, `${prefix}/card.md`);

    expect(stat.metaData).toMatchObject({ sha256: info.sha256, 'content-type': 'text/markdown' });
    expect(info.sha256).toBe(createHash('sha256').update('# model card').digest('hex'));
  });

  it('copies a multipart body to its key part by part when it exceeds maxSingleCopyBytes', async () => {
    const store = open({ partSizeBytes: 5 * MiB, maxSingleCopyBytes: 5 * MiB });
    const size = 12 * MiB + 17;
    const sha256 = patternSha256(size, 2);

    // No expected sha256: uploaded to a temporary key, then copied (here in three ranges).
    const info = await store.put('models/a b+c?d#e%f ü/weights.bin', patternStream(size, 2), { contentType: 'application/x-safetensors' });

    expect(info).toMatchObject({ size, sha256 });
    await expect(store.head('models/a b+c?d#e%f ü/weights.bin')).resolves.toEqual(info);
    await expect(digest(await store.get('models/a b+c?d#e%f ü/weights.bin'))).resolves.toEqual({ size, sha256 });
    await expect(objectsUnder(S3.bucket, prefix)).resolves.toEqual([`${prefix}/models/a b+c?d#e%f ü/weights.bin`]);
  }, 60_000);

  it('keeps the previous content when a multipart body fails its check or its source, and leaves no upload behind', async () => {
    const store = open({ partSizeBytes: 5 * MiB });
    const key = 'guarded.bin';
    const size = 11 * MiB;
    const original = await store.put(key, patternStream(size, 3));

    // Uploaded to the key itself (sha256 given), checked before the upload is completed.
    await expect(store.put(key, patternStream(size, 4), { expectedSha256: '0'.repeat(64) })).rejects.toBeInstanceOf(
      BlobIntegrityError,
    );
    // Stopped at the first byte past the promised size.
    await expect(store.put(key, patternStream(size, 5), { expectedSize: 7 * MiB })).rejects.toBeInstanceOf(BlobIntegrityError);
    // Via a temporary key: the source fails after two parts went up.
    await expect(store.put(key, failingAfter(size))).rejects.toThrow('upload connection dropped');

    await expect(store.head(key)).resolves.toEqual(original);
    await expect(digest(await store.get(key))).resolves.toEqual({ size, sha256: patternSha256(size, 3) });
    await expect(objectsUnder(S3.bucket, prefix)).resolves.toEqual([`${prefix}/${key}`]);
    await expect(incompleteUploadsUnder(S3.bucket, prefix)).resolves.toEqual([]);
  }, 60_000);

  it('removes what a put that died left (a multipart upload, a temporary object), never a live put\'s upload', async () => {
    // What a process killed mid-put leaves: an upload with a part and no end, and a verified
    // temporary object it never copied to its key.
    const deadName = `${prefix}/.tmp/${randomUUID()}`;
    const deadUpload = await admin.initiateNewMultipartUpload(S3.bucket, deadName, {});
    await admin.uploadPart({ bucketName: S3.bucket, objectName: deadName, uploadID: deadUpload, partNumber: 1, headers: {} }, Buffer.alloc(5 * MiB, 1));
    await admin.putObject(S3.bucket, `${prefix}/.tmp/orphan`, Buffer.from('verified, never copied'));
    // S3 times have one-second resolution: the live put's parts must land in a later second.
    await sleep(1_100);
    const cutoff = new Date();
    await sleep(1_100);
    const store = open({ partSizeBytes: 5 * MiB, abandonedUploadMinIdleMs: 1 });
    const body = new PassThrough();
    const live = store.put('live.bin', body);
    for (const chunk of pattern(6 * MiB, 9)) body.write(chunk);
    await waitFor(async () => (await incompleteUploadsUnder(S3.bucket, prefix)).length === 2, { timeoutMs: 30_000, description: 'the live put to upload its first part' });

    const removed = await store.removeAbandonedPuts(cutoff);

    expect(removed.sort()).toEqual([
      expect.stringMatching(new RegExp(`^multipart upload of ${deadName} \\(no part since `)),
      expect.stringMatching(new RegExp(`^temporary object ${prefix}/\\.tmp/orphan \\(written `)),
    ]);
    await expect(incompleteUploadsUnder(S3.bucket, prefix)).resolves.toEqual([expect.stringMatching(new RegExp(`^${prefix}/\\.tmp/`))]);
    body.end();
    await expect(live).resolves.toMatchObject({ size: 6 * MiB });
    await expect(objectsUnder(S3.bucket, prefix)).resolves.toEqual([`${prefix}/live.bin`]);
  }, 60_000);

  it('leaves a multipart upload alone until it has been idle for the minimum, whatever the cutoff', async () => {
    const name = `${prefix}/.tmp/${randomUUID()}`;
    await admin.initiateNewMultipartUpload(S3.bucket, name, {});
    await sleep(1_100);

    // A cutoff in the future, as a standalone restart uses: the upload is still too recent.
    await expect(open().removeAbandonedPuts(new Date(Date.now() + 60_000))).resolves.toEqual([]);
    await expect(incompleteUploadsUnder(S3.bucket, prefix)).resolves.toEqual([name]);
    await expect(open({ abandonedUploadMinIdleMs: 1 }).removeAbandonedPuts(new Date(Date.now() + 60_000))).resolves.toHaveLength(1);
    await expect(incompleteUploadsUnder(S3.bucket, prefix)).resolves.toEqual([]);
  }, 60_000);

  it('hands out a presigned URL that plain fetch downloads, byte ranges included, until it expires', async () => {
    const store = open();
    await store.put('share/readme.txt', Readable.from([Buffer.from('download me please')]), { contentType: 'text/plain' });

    const url = await store.presignedGetUrl('share/readme.txt', 60);
    expect(url).not.toContain(S3.secretKey);
    const response = await fetch(url);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/plain');
    await expect(response.text()).resolves.toBe('download me please');
    const ranged = await fetch(url, { headers: { Range: 'bytes=9-10' } });
    expect(ranged.status).toBe(206);
    await expect(ranged.text()).resolves.toBe('me');

    const shortLived = await store.presignedGetUrl('share/readme.txt', 1);
    await sleep(2_100);
    const expired = await fetch(shortLived);
    await expired.arrayBuffer();
    expect(expired.status).toBe(403);
    await expect(store.presignedGetUrl('share/readme.txt', 0)).rejects.toThrow(RangeError);
  }, 30_000);

  it('creates its bucket on first use, once, when several stores race to', async () => {
    const bucket = `modelyard-test-${randomUUID().slice(0, 8)}`;
    const racers = Array.from({ length: 3 }, () => open({ bucket }));
    try {
      await expect(admin.bucketExists(bucket)).resolves.toBe(false);
      await expect(racers[0].ping()).resolves.toBeUndefined();

      await Promise.all(racers.map((store, index) => store.put(`racer-${index}`, Readable.from([Buffer.from(`${index}`)]))));

      await expect(admin.bucketExists(bucket)).resolves.toBe(true);
      // Set by whichever store created the bucket: uploads abandoned by a crash do not pile up.
      expect(JSON.stringify(await admin.getBucketLifecycle(bucket))).toContain('"DaysAfterInitiation":1');
      for (const [index, store] of racers.entries()) await expect(readText(await store.get(`racer-${index}`))).resolves.toBe(`${index}`);
    } finally {
      await removeAllUnder(bucket, prefix).catch(() => undefined);
      await admin.removeBucket(bucket).catch(() => undefined);
    }
  }, 30_000);

  it('maps a range past the end to RangeError and a missing key to BlobNotFoundError', async () => {
    const store = open();
    await store.put('small', Readable.from([Buffer.from('0123456789')]));

    await expect(store.get('small', { start: 10 })).rejects.toThrow(RangeError);
    await expect(store.get('small', { start: 5, end: 4 })).rejects.toThrow(RangeError);
    await expect(readText(await store.get('small', { start: 8, end: 100 }))).resolves.toBe('89');
    await expect(store.get('nothing', { start: 0, end: 1 })).rejects.toBeInstanceOf(BlobNotFoundError);
  });

  it('fails ping quickly when S3 is unreachable, without the secret in the error', async () => {
    const secretKey = `secret-${randomUUID()}`;
    const store = new S3BlobStore({ ...S3, secretKey, endpoint: `http://127.0.0.1:${await freePort()}` });
    stores.push(store);

    const startedAt = Date.now();
    const failure = await store.ping().then(
      () => new Error('ping succeeded'),
      (error: unknown) => error,
    );

    expect(String(failure)).toMatch(/S3 is unreachable/);
    expect(Date.now() - startedAt).toBeLessThan(3_000);
    expect(JSON.stringify(failure, Object.getOwnPropertyNames(failure))).not.toContain(secretKey);
    expect(() => new S3BlobStore({ ...S3, endpoint: `http://user:${secretKey}@127.0.0.1:1` })).toThrow(/no path, no credentials/);
  });

  it('refuses every operation once closed', async () => {
    const store = open();
    await store.close();
    const body = Readable.from([Buffer.from('x')]);
    await expect(store.put('k', body)).rejects.toThrow('blob store is closed');
    await expect(store.get('k')).rejects.toThrow('blob store is closed');
    await expect(store.head('k')).rejects.toThrow('blob store is closed');
    await expect(store.delete('k')).rejects.toThrow('blob store is closed');
    await expect(store.presignedGetUrl('k', 60)).rejects.toThrow('blob store is closed');
  });
});
