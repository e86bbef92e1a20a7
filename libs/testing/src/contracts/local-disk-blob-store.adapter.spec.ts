import { mkdir, mkdtemp, readdir, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { describeBlobStoreContract } from './index.js';
import { BlobIntegrityError, LocalDiskBlobStore, PUT_ALIVE_INTERVAL_MS } from '@modelyard/platform';

describeBlobStoreContract('LocalDiskBlobStore', async () => {
  const root = await mkdtemp(path.join(tmpdir(), 'modelyard-blobs-'));
  const store = new LocalDiskBlobStore(root);
  return {
    store,
    cleanup: async () => {
      await store.close();
      await rm(root, { recursive: true, force: true });
    },
  };
});

const bodyOf = (text: string): Readable => Readable.from([Buffer.from(text)]);

async function readText(stream: Readable): Promise<string> {
  let text = '';
  for await (const chunk of stream) text += String(chunk);
  return text;
}

/** Polls `condition` on real I/O turns (not timers, which a test may have faked). */
async function waitUntil(condition: () => Promise<boolean>): Promise<void> {
  for (let turn = 0; turn < 10_000; turn++) {
    if (await condition()) return;
    await new Promise((resolve) => setImmediate(resolve));
  }
  throw new Error('condition never held');
}

/** Every file under `dir`, relative to it. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)))
    .sort();
}

describe('LocalDiskBlobStore', () => {
  let root: string;
  let store: LocalDiskBlobStore;

  beforeEach(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'modelyard-blobs-'));
    store = new LocalDiskBlobStore(root);
  });

  afterEach(async () => {
    await store.close();
    await rm(root, { recursive: true, force: true });
  });

  it('lays bodies and metadata out in separate trees', async () => {
    await store.put('models/1/weights.bin', bodyOf('w'), { contentType: 'application/octet-stream' });
    await store.put('models/1', bodyOf('parent'));

    await expect(filesUnder(root)).resolves.toEqual([
      path.join('meta', 'models.d', '1.d', 'weights.bin.json'),
      path.join('meta', 'models.d', '1.json'),
      path.join('objects', 'models.d', '1.blob'),
      path.join('objects', 'models.d', '1.d', 'weights.bin.blob'),
    ]);
  });

  it('keeps keys that look like sidecar or directory names apart', async () => {
    const keys = ['x', 'x.json', 'x.blob', 'x.d', 'x.meta.json', 'x/y', 'x.d/y'];
    for (const key of keys) await store.put(key, bodyOf(`body of ${key}`));

    for (const key of keys) {
      await expect(readText(await store.get(key))).resolves.toBe(`body of ${key}`);
      await expect(store.head(key)).resolves.toMatchObject({ key, size: `body of ${key}`.length });
    }
  });

  it('leaves no temporary file behind after a success or a failure', async () => {
    await store.put('ok', bodyOf('fine'));
    await expect(store.put('bad', bodyOf('abc'), { expectedSize: 2 })).rejects.toBeInstanceOf(BlobIntegrityError);
    await expect(store.put('bad', bodyOf('abc'), { expectedSha256: '0'.repeat(64) })).rejects.toBeInstanceOf(
      BlobIntegrityError,
    );
    const broken = Readable.from(
      (function* () {
        yield Buffer.from('partial');
        throw new Error('source failed');
      })(),
    );
    await expect(store.put('broken', broken)).rejects.toThrow('source failed');

    await expect(readdir(path.join(root, '.tmp'))).resolves.toEqual([]);
  });

  it('removes the temporary files of puts that died (untouched since the cutoff), never those of a live put', async () => {
    // A put in progress, its body still coming.
    const body = new PassThrough();
    const live = store.put('live', body);
    body.write('first half ');
    await waitForTmpFiles(1);
    // What a process killed mid-put left: its body and a metadata file, last written ten minutes ago.
    const tmp = path.join(root, '.tmp');
    const longAgo = new Date(Date.now() - 600_000);
    for (const name of ['dead-put', 'dead-put.json']) {
      await writeFile(path.join(tmp, name), 'partial');
      await utimes(path.join(tmp, name), longAgo, longAgo);
    }

    const removed = await store.removeAbandonedPuts(new Date(Date.now() - 60_000));

    expect(removed.sort()).toEqual([
      expect.stringMatching(/^\.tmp\/dead-put \(7 bytes, untouched since /),
      expect.stringMatching(/^\.tmp\/dead-put\.json \(7 bytes, untouched since /),
    ]);
    await expect(readdir(tmp)).resolves.toHaveLength(1);
    body.end('second half');
    await expect(live).resolves.toMatchObject({ size: 'first half second half'.length });
    await expect(readText(await store.get('live'))).resolves.toBe('first half second half');
    // Nothing is left, and a store that never wrote has nothing to remove.
    await expect(store.removeAbandonedPuts(new Date())).resolves.toEqual([]);
    await expect(new LocalDiskBlobStore(path.join(root, 'never-used')).removeAbandonedPuts(new Date())).resolves.toEqual([]);
  });

  it('keeps a put that receives nothing for a while marked alive', async () => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    try {
      const body = new PassThrough();
      const live = store.put('slow', body);
      body.write('x');
      await waitForTmpFiles(1);
      const [name] = await readdir(path.join(root, '.tmp'));
      const file = path.join(root, '.tmp', name!);
      // The clock jumps an hour without a byte: the put touches its file on each interval.
      jest.setSystemTime(Date.now() + 3_600_000);
      await jest.advanceTimersByTimeAsync(PUT_ALIVE_INTERVAL_MS);
      await waitUntil(async () => (await stat(file)).mtimeMs >= Date.now() - PUT_ALIVE_INTERVAL_MS);

      await expect(store.removeAbandonedPuts(new Date(Date.now() - 6 * PUT_ALIVE_INTERVAL_MS))).resolves.toEqual([]);
      body.end();
      await expect(live).resolves.toMatchObject({ size: 1 });
    } finally {
      jest.useRealTimers();
    }
  });

  async function waitForTmpFiles(count: number): Promise<void> {
    await mkdir(path.join(root, '.tmp'), { recursive: true });
    await waitUntil(async () => (await readdir(path.join(root, '.tmp'))).length >= count);
  }

  it('accepts an expected sha256 in upper case', async () => {
    const sha = 'BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD';
    await expect(store.put('abc', bodyOf('abc'), { expectedSha256: sha })).resolves.toMatchObject({
      sha256: sha.toLowerCase(),
    });
  });

  it('keeps body and metadata of one put together when puts of a key race', async () => {
    const bodies = Array.from({ length: 8 }, (_, index) => `body number ${index}`.repeat(index + 1));
    await Promise.all(bodies.map((body) => store.put('raced', bodyOf(body))));

    const info = await store.head('raced');
    const text = await readText(await store.get('raced'));
    expect(bodies).toContain(text);
    expect(info?.size).toBe(Buffer.byteLength(text));
  });

  it('rejects an unsatisfiable range', async () => {
    await store.put('small', bodyOf('0123456789'));
    await expect(store.get('small', { start: 10 })).rejects.toThrow(RangeError);
    await expect(store.get('small', { start: 5, end: 4 })).rejects.toThrow(RangeError);
    await expect(readText(await store.get('small', { start: 8, end: 100 }))).resolves.toBe('89');
  });

  it('fails ping when the root cannot be written', async () => {
    const notADirectory = path.join(root, 'file');
    await writeFile(notADirectory, '');
    await expect(new LocalDiskBlobStore(notADirectory).ping()).rejects.toThrow();
  });

  it('refuses every operation once closed', async () => {
    await store.close();
    await expect(store.put('k', bodyOf('x'))).rejects.toThrow('blob store is closed');
    await expect(store.get('k')).rejects.toThrow('blob store is closed');
    await expect(store.head('k')).rejects.toThrow('blob store is closed');
    await expect(store.delete('k')).rejects.toThrow('blob store is closed');
  });
});
