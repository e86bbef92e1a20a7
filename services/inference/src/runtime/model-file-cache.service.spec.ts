import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { pino } from 'pino';
import { BlobNotFoundError, LocalDiskBlobStore, Metrics } from '@modelyard/platform';
import { addOnnxModel, linearOnnxModel } from '@modelyard/testing';
import { ModelFileCache, type ModelArtifactRef } from './model-file-cache.service.js';
import { ArtifactIntegrityError } from './runtime.exception.js';

let root: string;
let blobStore: LocalDiskBlobStore;
let metrics: Metrics;
let cache: ModelFileCache;
let cacheDir: string;

function newCache(): ModelFileCache {
  return new ModelFileCache(blobStore, { inference: inferenceConfig(cacheDir) }, pino({ level: 'silent' }), metrics);
}

beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'model-file-cache-'));
  blobStore = new LocalDiskBlobStore(path.join(root, 'blobs'));
  cacheDir = path.join(root, 'cache');
  metrics = new Metrics();
  cache = newCache();
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function store(key: string, bytes: Buffer): Promise<ModelArtifactRef> {
  const info = await blobStore.put(key, Readable.from([bytes]));
  return { key, sha256: info.sha256, size: info.size };
}

const cachedFiles = () => readdir(path.join(cacheDir, 'sha256'));

async function counter(metric: { get(): Promise<{ values: Array<{ value: number; labels: object }> }> }, labels: object = {}): Promise<number> {
  const { values } = await metric.get();
  return values.find((v) => JSON.stringify(v.labels) === JSON.stringify(labels))?.value ?? 0;
}

describe('ModelFileCache.ensureLocal', () => {
  it('downloads on a miss into a file named by sha256, and reuses it on a hit without downloading again', async () => {
    const bytes = linearOnnxModel({ weights: [[1, 2]], bias: [3, 4] });
    const artifact = await store('models/m1/model.onnx', bytes);
    const get = jest.spyOn(blobStore, 'get');

    const first = await cache.ensureLocal(artifact);
    const second = await cache.ensureLocal(artifact);

    expect(first).toBe(path.join(cacheDir, 'sha256', artifact.sha256));
    expect(second).toBe(first);
    expect(await readFile(first)).toEqual(bytes);
    expect(get).toHaveBeenCalledTimes(1);
    expect(await counter(metrics.modelCacheLookups, { outcome: 'miss' })).toBe(1);
    expect(await counter(metrics.modelCacheLookups, { outcome: 'hit' })).toBe(1);
    expect(await counter(metrics.modelCacheDownloadedBytes)).toBe(bytes.length);
  });

  it('shares one file between two keys with the same content', async () => {
    const bytes = addOnnxModel();
    const a = await store('models/a/model.onnx', bytes);
    const b = await store('models/b/model.onnx', bytes);
    const get = jest.spyOn(blobStore, 'get');

    expect(await cache.ensureLocal(b)).toBe(await cache.ensureLocal(a));
    expect(get).toHaveBeenCalledTimes(1);
  });

  it('runs one download for concurrent calls on the same file', async () => {
    const artifact = await store('models/m1/model.onnx', addOnnxModel());
    const get = jest.spyOn(blobStore, 'get');

    const paths = await Promise.all(Array.from({ length: 5 }, () => cache.ensureLocal(artifact)));

    expect(new Set(paths).size).toBe(1);
    expect(get).toHaveBeenCalledTimes(1);
    expect(await cachedFiles()).toEqual([artifact.sha256]);
  });

  it('rejects a stored body whose sha256 is not the recorded one, keeps nothing, and succeeds once storage is repaired', async () => {
    const bytes = addOnnxModel();
    const artifact = await store('models/m1/model.onnx', bytes);
    const corrupted = Buffer.from(bytes);
    corrupted[corrupted.length - 1]! ^= 0xff;
    await store(artifact.key, corrupted);

    const attempt = cache.ensureLocal(artifact);

    await expect(attempt).rejects.toBeInstanceOf(ArtifactIntegrityError);
    await expect(attempt).rejects.toThrow(`model file models/m1/model.onnx in storage has sha256 ${sha256(corrupted)}, not the recorded ${artifact.sha256}`);
    expect(await cachedFiles()).toEqual([]);
    // A failure is not remembered: the next call downloads again.
    await store(artifact.key, bytes);
    expect(await readFile(await cache.ensureLocal(artifact))).toEqual(bytes);
  });

  it('rejects a body longer than recorded, stopping at the first extra byte, and keeps nothing', async () => {
    const artifact = await store('models/m1/model.onnx', addOnnxModel());

    await expect(cache.ensureLocal({ ...artifact, size: artifact.size - 1 })).rejects.toThrow(
      `model file models/m1/model.onnx in storage is longer than the recorded ${artifact.size - 1} bytes`,
    );
    expect(await cachedFiles()).toEqual([]);
  });

  it('rejects a body shorter than recorded', async () => {
    const artifact = await store('models/m1/model.onnx', addOnnxModel());

    await expect(cache.ensureLocal({ ...artifact, size: artifact.size + 10 })).rejects.toThrow(
      `model file models/m1/model.onnx in storage is ${artifact.size} bytes, not the recorded ${artifact.size + 10} bytes`,
    );
    expect(await cachedFiles()).toEqual([]);
  });

  it('fetches again a cached file whose size is wrong', async () => {
    const bytes = addOnnxModel();
    const artifact = await store('models/m1/model.onnx', bytes);
    const file = await cache.ensureLocal(artifact);
    await truncate(file, 10);
    const get = jest.spyOn(blobStore, 'get');

    expect(await cache.ensureLocal(artifact)).toBe(file);

    expect(get).toHaveBeenCalledTimes(1);
    expect(await readFile(file)).toEqual(bytes);
    expect(await counter(metrics.modelCacheLookups, { outcome: 'stale' })).toBe(1);
  });

  it('passes a missing blob through as BlobNotFoundError and keeps nothing', async () => {
    const artifact = { key: 'models/gone/model.onnx', sha256: sha256(Buffer.from('x')), size: 1 };

    await expect(cache.ensureLocal(artifact)).rejects.toBeInstanceOf(BlobNotFoundError);
    expect(await cachedFiles()).toEqual([]);
  });

  it('never turns the sha256 into a path unless it is 64 hex digits', async () => {
    const get = jest.spyOn(blobStore, 'get');

    await expect(cache.ensureLocal({ key: 'models/m1/model.onnx', sha256: '../../etc/passwd', size: 1 })).rejects.toThrow(
      'artifact models/m1/model.onnx has an invalid sha256: "../../etc/passwd"',
    );
    expect(get).not.toHaveBeenCalled();
  });
});

describe('ModelFileCache start-up', () => {
  it('removes partial downloads left by a crash and keeps verified files', async () => {
    const artifact = await store('models/m1/model.onnx', addOnnxModel());
    await cache.ensureLocal(artifact);
    const leftover = `${artifact.sha256}.0b5c2a8e-7c59-4a3f-9d0e-6d2f1b9c4e11.partial`;
    await writeFile(path.join(cacheDir, 'sha256', leftover), 'half a model');
    expect((await cachedFiles()).sort()).toEqual([artifact.sha256, leftover].sort());

    await newCache().onModuleInit();

    expect(await cachedFiles()).toEqual([artifact.sha256]);
  });

  it('creates the cache folder', async () => {
    await cache.onModuleInit();
    expect(await cachedFiles()).toEqual([]);
  });
});

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function inferenceConfig(dir: string) {
  return {
    cacheDir: dir,
    sessionMemoryBudgetBytes: 64 * 1024 * 1024,
    device: 'cpu' as const,
    gpuMemoryLimitBytes: undefined,
    timeoutMs: 30_000,
    concurrency: 4,
  };
}
