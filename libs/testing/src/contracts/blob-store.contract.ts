import { createHash, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { BlobIntegrityError, BlobNotFoundError, type BlobStore } from '@modelyard/platform';

export interface BlobStoreContractContext {
  store: BlobStore;
  /** Closes the store and removes whatever the factory created. */
  cleanup(): Promise<void>;
}

export interface BlobStoreContractOptions {
  /**
   * Memory the store holds by design while a body streams through, whatever the body's size: one
   * upload part for an S3 store, whose parts must be sent with their length. Added to the bounds of
   * the streaming test; 0 (the default) for a store that passes chunks straight on.
   */
  bufferedBytes?: number;
}

const MiB = 1024 * 1024;
const CHUNK = 64 * 1024;
const TEST_TIMEOUT_MS = 30_000;

/**
 * Deterministic bytes, produced chunk by chunk so a test never holds a whole body: a fixed 64 KiB
 * pattern with the chunk index and seed stamped at its start, so chunks and bodies differ.
 */
function* patternChunks(totalBytes: number, seed: number): Generator<Buffer> {
  const base = Buffer.alloc(CHUNK);
  for (let i = 0; i < CHUNK; i += 1) base[i] = (i * 31 + seed * 7) & 0xff;
  for (let offset = 0, index = 0; offset < totalBytes; offset += CHUNK, index += 1) {
    const chunk = Buffer.from(base.subarray(0, Math.min(CHUNK, totalBytes - offset)));
    if (chunk.length >= 8) {
      chunk.writeUInt32BE(index, 0);
      chunk.writeUInt32BE(seed, 4);
    }
    yield chunk;
  }
}

function patternStream(totalBytes: number, seed: number): Readable {
  return Readable.from(patternChunks(totalBytes, seed));
}

/** sha256 of the pattern computed apart from any store, as the reference to compare with. */
function patternSha256(totalBytes: number, seed: number): string {
  const hash = createHash('sha256');
  for (const chunk of patternChunks(totalBytes, seed)) hash.update(chunk);
  return hash.digest('hex');
}

const sha256Of = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

async function digestStream(stream: Readable): Promise<{ size: number; sha256: string }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of stream) {
    const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += bytes.length;
    hash.update(bytes);
  }
  return { size, sha256: hash.digest('hex') };
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return Buffer.concat(chunks);
}

const bodyOf = (text: string): Readable => Readable.from([Buffer.from(text)]);

/** Sends `firstBytes`, then fails the way a dropped upload connection does. */
function failingStream(firstBytes: number): Readable {
  return Readable.from(
    (function* () {
      yield* patternChunks(firstBytes, 99);
      throw new Error('upload connection dropped');
    })(),
  );
}

/**
 * The behaviour every BlobStore adapter must show. Keys live under a prefix unique to the run and
 * test, so the suite passes against a bucket holding other runs' leftovers.
 */
export function describeBlobStoreContract(
  name: string,
  factory: () => Promise<BlobStoreContractContext>,
  { bufferedBytes = 0 }: BlobStoreContractOptions = {},
): void {
  describe(`BlobStore contract: ${name}`, () => {
    // Broker-backed adapters need seconds where the in-process ones need milliseconds (a Kafka
    // group join, a BullMQ delayed-job sweep): more than Jest's default 5 s per test.
    const contractTest = (title: string, fn: () => Promise<void>): void => it(title, fn, TEST_TIMEOUT_MS);
    let context: BlobStoreContractContext;
    let store: BlobStore;
    let prefix: string;

    beforeEach(async () => {
      context = await factory();
      store = context.store;
      prefix = `contract/${randomUUID()}`;
    }, TEST_TIMEOUT_MS);

    afterEach(async () => {
      await context.cleanup();
    }, TEST_TIMEOUT_MS);

    contractTest('answers ping while open', async () => {
      await expect(store.ping()).resolves.toBeUndefined();
    });

    contractTest('streams a multi-MB body in and out unchanged, with its size and sha256', async () => {
      const key = `${prefix}/weights.bin`;
      const size = 5 * MiB + 123;
      const expectedSha = patternSha256(size, 1);

      const info = await store.put(key, patternStream(size, 1), { contentType: 'application/x-safetensors' });

      expect(info).toEqual({ key, size, sha256: expectedSha, contentType: 'application/x-safetensors' });
      await expect(store.head(key)).resolves.toEqual(info);
      await expect(digestStream(await store.get(key))).resolves.toEqual({ size, sha256: expectedSha });
    });

    contractTest('accepts a body whose expected size and sha256 match', async () => {
      const key = `${prefix}/checked.bin`;
      const size = MiB;
      const sha = patternSha256(size, 2);

      const info = await store.put(key, patternStream(size, 2), { expectedSize: size, expectedSha256: sha });

      expect(info).toMatchObject({ size, sha256: sha, contentType: 'application/octet-stream' });
    });

    contractTest('answers head with null for a missing key', async () => {
      await expect(store.head(`${prefix}/missing`)).resolves.toBeNull();
    });

    contractTest('rejects get of a missing key with BlobNotFoundError', async () => {
      const key = `${prefix}/missing`;
      const attempt = store.get(key);
      await expect(attempt).rejects.toBeInstanceOf(BlobNotFoundError);
      await expect(attempt).rejects.toMatchObject({ key });
    });

    contractTest('serves byte ranges with an inclusive end, or to the end of the blob', async () => {
      const key = `${prefix}/range.bin`;
      const bytes = Buffer.from(Array.from({ length: 1000 }, (_, index) => index % 251));
      await store.put(key, Readable.from([bytes]));

      await expect(readAll(await store.get(key, { start: 10, end: 19 }))).resolves.toEqual(bytes.subarray(10, 20));
      await expect(readAll(await store.get(key, { start: 990 }))).resolves.toEqual(bytes.subarray(990));
      await expect(readAll(await store.get(key, { start: 0, end: 0 }))).resolves.toEqual(bytes.subarray(0, 1));
    });

    contractTest('deletes a blob, and deleting a missing key is not an error', async () => {
      const key = `${prefix}/doomed.txt`;
      await store.put(key, bodyOf('bye'));

      await store.delete(key);

      await expect(store.head(key)).resolves.toBeNull();
      await expect(store.get(key)).rejects.toBeInstanceOf(BlobNotFoundError);
      await expect(store.delete(key)).resolves.toBeUndefined();
      await expect(store.delete(`${prefix}/never-was`)).resolves.toBeUndefined();
    });

    contractTest('replaces a blob on a second put to the same key', async () => {
      const key = `${prefix}/model.txt`;
      await store.put(key, bodyOf('first version'), { contentType: 'text/plain' });

      const info = await store.put(key, bodyOf('second'), { contentType: 'text/markdown' });

      expect(info).toEqual({ key, size: 6, sha256: sha256Of(Buffer.from('second')), contentType: 'text/markdown' });
      await expect(store.head(key)).resolves.toEqual(info);
      await expect(readAll(await store.get(key))).resolves.toEqual(Buffer.from('second'));
    });

    contractTest('stores a key and keys below it side by side, as object stores do', async () => {
      await store.put(`${prefix}/a`, bodyOf('parent'));
      await store.put(`${prefix}/a/b`, bodyOf('child'));

      await expect(readAll(await store.get(`${prefix}/a`))).resolves.toEqual(Buffer.from('parent'));
      await expect(readAll(await store.get(`${prefix}/a/b`))).resolves.toEqual(Buffer.from('child'));
    });

    contractTest('rejects a body that does not match expectedSha256 or expectedSize and keeps the previous blob', async () => {
      const key = `${prefix}/guarded.txt`;
      const original = await store.put(key, bodyOf('good content'));

      await expect(
        store.put(key, bodyOf('tampered content'), { expectedSha256: sha256Of(Buffer.from('something else')) }),
      ).rejects.toBeInstanceOf(BlobIntegrityError);
      await expect(store.put(key, bodyOf('too short'), { expectedSize: 1_000 })).rejects.toBeInstanceOf(BlobIntegrityError);
      await expect(store.put(key, patternStream(2 * MiB, 3), { expectedSize: 10 })).rejects.toBeInstanceOf(
        BlobIntegrityError,
      );

      await expect(store.head(key)).resolves.toEqual(original);
      await expect(readAll(await store.get(key))).resolves.toEqual(Buffer.from('good content'));
    });

    contractTest('stores nothing for a new key when the integrity check fails', async () => {
      const key = `${prefix}/never-stored.txt`;

      await expect(store.put(key, bodyOf('abc'), { expectedSize: 4 })).rejects.toBeInstanceOf(BlobIntegrityError);

      await expect(store.head(key)).resolves.toBeNull();
      await expect(store.get(key)).rejects.toBeInstanceOf(BlobNotFoundError);
    });

    contractTest('stores nothing when the body stream fails midway, and keeps the previous blob', async () => {
      const fresh = `${prefix}/interrupted.bin`;
      const existing = `${prefix}/kept.txt`;
      const original = await store.put(existing, bodyOf('still here'));

      await expect(store.put(fresh, failingStream(2 * MiB))).rejects.toThrow();
      await expect(store.put(existing, failingStream(2 * MiB))).rejects.toThrow();

      await expect(store.head(fresh)).resolves.toBeNull();
      await expect(store.get(fresh)).rejects.toBeInstanceOf(BlobNotFoundError);
      await expect(store.head(existing)).resolves.toEqual(original);
      await expect(readAll(await store.get(existing))).resolves.toEqual(Buffer.from('still here'));
    });

    it.each([
      ['a parent segment', '../x'],
      ['an absolute path', '/abs'],
      ['a parent segment inside', 'a/../b'],
      ['a NUL byte', 'a\u0000b'],
      ['an empty key', ''],
      ['an empty segment', 'a//b'],
      ['a trailing slash', 'a/'],
      ['a backslash', 'a\\b'],
    ])('rejects a key with %s in every operation', async (_label, key) => {
      await expect(store.put(key, bodyOf('x'))).rejects.toThrow(/invalid blob key/);
      await expect(store.get(key)).rejects.toThrow(/invalid blob key/);
      await expect(store.head(key)).rejects.toThrow(/invalid blob key/);
      await expect(store.delete(key)).rejects.toThrow(/invalid blob key/);
    }, TEST_TIMEOUT_MS);

    contractTest('streams a 64 MiB body through without holding it in memory', async () => {
      const key = `${prefix}/large.bin`;
      const size = 64 * MiB;
      // Computed before the baseline, which also lets the allocator settle: a first burst of
      // buffers in a fresh process grows RSS by tens of MiB whoever allocates them.
      const expectedSha = patternSha256(size, 4);
      const baseline = process.memoryUsage();
      let peakRss = baseline.rss;
      let peakArrayBuffers = baseline.arrayBuffers;
      const sampled = Readable.from(
        (function* () {
          for (const chunk of patternChunks(size, 4)) {
            const usage = process.memoryUsage();
            peakRss = Math.max(peakRss, usage.rss);
            peakArrayBuffers = Math.max(peakArrayBuffers, usage.arrayBuffers);
            yield chunk;
          }
        })(),
      );

      const info = await store.put(key, sampled);

      expect(info).toMatchObject({ size, sha256: expectedSha });
      // A store that holds the body needs 64 MiB more of both. A streaming one keeps only what the
      // stream buffers hold, but dead chunks linger until V8 collects them, which it does once about
      // 32 MiB of external memory has piled up: hence the looser bound on arrayBuffers.
      expect(peakArrayBuffers - baseline.arrayBuffers).toBeLessThan(48 * MiB + bufferedBytes);
      expect(peakRss - baseline.rss).toBeLessThan(32 * MiB + bufferedBytes);
      await store.delete(key);
    });

    contractTest('refuses ping once closed', async () => {
      await store.close();
      await expect(store.ping()).rejects.toThrow();
    });
  });
}
