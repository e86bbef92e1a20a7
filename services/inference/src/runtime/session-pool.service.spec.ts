import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import type { InferenceSession } from 'onnxruntime-node';
import { pino } from 'pino';
import { LocalDiskBlobStore, Metrics, type AppConfig } from '@modelyard/platform';
import { addOnnxModel, linearOnnxModel } from '@modelyard/testing';
import type { CudaProbe } from './execution-provider.util.js';
import { ModelFileCache, type ModelArtifactRef } from './model-file-cache.service.js';
import { ArtifactIntegrityError, ExecutionProviderUnavailableError, ModelLoadError } from './runtime.exception.js';
import { SessionPool, estimateSessionBytes, type SessionLease } from './session-pool.service.js';

const noCuda: CudaProbe = () => Promise.resolve({ available: false, reason: 'no NVIDIA GPU is visible' });

let root: string;
let blobStore: LocalDiskBlobStore;
let pools: SessionPool[];

beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'session-pool-'));
  blobStore = new LocalDiskBlobStore(path.join(root, 'blobs'));
  pools = [];
});

afterEach(async () => {
  await Promise.all(pools.map((pool) => pool.close()));
  await rm(root, { recursive: true, force: true });
});

interface Setup {
  inference?: Partial<AppConfig['inference']>;
  probe?: CudaProbe;
}

/** A pool over a real file cache and blob store, with its metrics and log lines. */
function newPool({ inference = {}, probe = noCuda }: Setup = {}) {
  const config = {
    inference: {
      cacheDir: path.join(root, 'cache'),
      sessionMemoryBudgetBytes: 1024 * 1024 * 1024,
      device: 'auto' as const,
      gpuMemoryLimitBytes: undefined,
      timeoutMs: 30_000,
      concurrency: 4,
      ...inference,
    },
  };
  const lines: Array<{ level: number; msg: string; [field: string]: unknown }> = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line)) });
  const metrics = new Metrics();
  const files = new ModelFileCache(blobStore, config, logger, metrics);
  const sut = new SessionPool(config, files, probe, logger, metrics);
  pools.push(sut);
  return { sut, files, metrics, lines };
}

async function store(key: string, bytes: Buffer): Promise<ModelArtifactRef> {
  const info = await blobStore.put(key, Readable.from([bytes]));
  return { key, sha256: info.sha256, size: info.size };
}

/** Three different small models. */
async function storeModels(): Promise<[ModelArtifactRef, ModelArtifactRef, ModelArtifactRef]> {
  return [
    await store('models/a/model.onnx', linearOnnxModel({ weights: [[1]], bias: [1] })),
    await store('models/b/model.onnx', linearOnnxModel({ weights: [[1, 2]], bias: [1, 2] })),
    await store('models/c/model.onnx', addOnnxModel()),
  ];
}

async function metricValue(metric: { get(): Promise<{ values: Array<{ value: number; labels: object }> }> }, labels: object): Promise<number> {
  const { values } = await metric.get();
  return values.find((v) => JSON.stringify(v.labels) === JSON.stringify(labels))?.value ?? 0;
}

/** Lets session releases, which onnxruntime completes asynchronously, finish. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

/** Acquires and immediately ends the lease, as a finished call would. */
async function use(pool: SessionPool, artifact: ModelArtifactRef): Promise<InferenceSession> {
  const lease = await pool.acquire(artifact);
  lease.release();
  return lease.session;
}

describe('SessionPool', () => {
  it('loads a session from the cached file on the chosen provider and reuses it', async () => {
    const { sut, files, metrics } = newPool();
    const [a] = await storeModels();
    const ensureLocal = jest.spyOn(files, 'ensureLocal');

    const first = await sut.acquire(a);
    const second = await sut.acquire(a);

    expect(first.provider).toBe('cpu');
    expect(first.session.inputNames).toEqual(['x']);
    expect(second.session).toBe(first.session);
    expect(ensureLocal).toHaveBeenCalledTimes(1);
    expect(await metricValue(metrics.inferenceSessionLoads, { provider: 'cpu', outcome: 'loaded' })).toBe(1);
    expect(await metricValue(metrics.inferenceSessionsOpen, { provider: 'cpu' })).toBe(1);
    expect(await metricValue(metrics.inferenceExecutionProvider, { provider: 'cpu' })).toBe(1);
    first.release();
    second.release();
  });

  it('loads a model once for concurrent callers', async () => {
    const { sut, metrics } = newPool();
    const [a] = await storeModels();

    const leases = await Promise.all(Array.from({ length: 6 }, () => sut.acquire(a)));

    expect(new Set(leases.map((l) => l.session)).size).toBe(1);
    expect(await metricValue(metrics.inferenceSessionLoads, { provider: 'cpu', outcome: 'loaded' })).toBe(1);
    leases.forEach((l) => l.release());
  });

  it('evicts the least recently used session beyond the budget and releases it', async () => {
    const [a, b, c] = await storeModels();
    // Room for any two of the three models, not for all three.
    const budget = estimateSessionBytes(a.size) + estimateSessionBytes(b.size) + estimateSessionBytes(c.size) - 1;
    const { sut, metrics } = newPool({ inference: { sessionMemoryBudgetBytes: budget } });
    const sessionA = await use(sut, a);
    const sessionB = await use(sut, b);
    await use(sut, a); // a is now more recent than b
    const releaseA = jest.spyOn(sessionA, 'release');
    const releaseB = jest.spyOn(sessionB, 'release');

    await use(sut, c);

    expect(releaseB).toHaveBeenCalledTimes(1);
    expect(releaseA).not.toHaveBeenCalled();
    expect(await use(sut, a)).toBe(sessionA);
    expect(await use(sut, b)).not.toBe(sessionB);
    await settle();
    expect(await metricValue(metrics.inferenceSessionEvictions, { provider: 'cpu' })).toBe(2);
    expect(await metricValue(metrics.inferenceSessionsOpen, { provider: 'cpu' })).toBe(2);
  });

  it('releases an evicted session only when the call using it ends', async () => {
    const [a, b] = await storeModels();
    const { sut } = newPool({ inference: { sessionMemoryBudgetBytes: Math.max(estimateSessionBytes(a.size), estimateSessionBytes(b.size)) } });
    const leaseA = await sut.acquire(a);
    const otherLeaseA = await sut.acquire(a);
    const release = jest.spyOn(leaseA.session, 'release');

    await use(sut, b); // evicts a while two calls hold it

    expect(release).not.toHaveBeenCalled();
    leaseA.release();
    leaseA.release(); // a second release() of one lease must not count as the other call's
    expect(release).not.toHaveBeenCalled();
    otherLeaseA.release();
    expect(release).toHaveBeenCalledTimes(1);
  });

  it('ends the lease when the work passed to withSession fails', async () => {
    const [a, b] = await storeModels();
    const { sut } = newPool({ inference: { sessionMemoryBudgetBytes: estimateSessionBytes(Math.max(a.size, b.size)) } });
    let session: InferenceSession | undefined;

    await expect(
      sut.withSession(a, async (s, provider) => {
        session = s;
        expect(provider).toBe('cpu');
        throw new Error('bad input');
      }),
    ).rejects.toThrow('bad input');
    const release = jest.spyOn(session!, 'release');
    await use(sut, b);

    expect(release).toHaveBeenCalledTimes(1);
  });

  it('keeps a model larger than the whole budget, alone, until the next model is loaded', async () => {
    const [a, b] = await storeModels();
    const { sut, lines } = newPool({ inference: { sessionMemoryBudgetBytes: 1024 } });

    const sessionA = await use(sut, a);
    expect(await use(sut, a)).toBe(sessionA);
    const release = jest.spyOn(sessionA, 'release');
    await use(sut, b);

    expect(release).toHaveBeenCalledTimes(1);
    expect(lines.filter((l) => l.msg === 'model exceeds the session memory budget; it is kept alone')).toHaveLength(2);
  });

  it("fails with ModelLoadError carrying onnxruntime's message, naming the key rather than the cache path, and retries later", async () => {
    const artifact = await store('models/broken/model.onnx', Buffer.from('not a protobuf model at all'));
    const { sut, metrics } = newPool();

    const attempt = sut.acquire(artifact);

    await expect(attempt).rejects.toBeInstanceOf(ModelLoadError);
    const error = (await attempt.catch((e: unknown) => e)) as ModelLoadError;
    expect(error.ortMessage).toMatch(/^Load model from models\/broken\/model\.onnx failed:.*protobuf parsing failed/i);
    expect(error.message).toBe(`onnxruntime could not load models/broken/model.onnx: ${error.ortMessage}`);
    expect(error.message).not.toContain(root);
    expect(error.provider).toBe('cpu');
    await expect(sut.acquire(artifact)).rejects.toBeInstanceOf(ModelLoadError);
    expect(await metricValue(metrics.inferenceSessionLoads, { provider: 'cpu', outcome: 'failed' })).toBe(2);
  });

  it('passes a file that fails verification through as ArtifactIntegrityError', async () => {
    const [a] = await storeModels();
    const { sut } = newPool();

    await expect(sut.acquire({ ...a, sha256: 'f'.repeat(64) })).rejects.toBeInstanceOf(ArtifactIntegrityError);
  });

  it('on close, releases idle sessions at once and busy ones when their call ends, and refuses new calls', async () => {
    const [a, b] = await storeModels();
    const { sut } = newPool();
    const idle = await use(sut, a);
    const busy: SessionLease = await sut.acquire(b);
    const releaseIdle = jest.spyOn(idle, 'release');
    const releaseBusy = jest.spyOn(busy.session, 'release');

    await sut.close();

    expect(releaseIdle).toHaveBeenCalledTimes(1);
    expect(releaseBusy).not.toHaveBeenCalled();
    busy.release();
    expect(releaseBusy).toHaveBeenCalledTimes(1);
    await expect(sut.acquire(a)).rejects.toThrow('the session pool is closed');
  });
});

describe('SessionPool execution provider', () => {
  it('device auto without CUDA: CPU sessions, and one warning saying why', async () => {
    const [a] = await storeModels();
    const { sut, lines } = newPool({ inference: { device: 'auto' } });

    await sut.onModuleInit();
    const lease = await sut.acquire(a);
    lease.release();

    expect(lease.provider).toBe('cpu');
    const warnings = lines.filter((l) => l.msg === 'inference runs on the CPU: CUDA is not usable');
    expect(warnings).toEqual([expect.objectContaining({ level: 40, provider: 'cpu', reason: 'no NVIDIA GPU is visible' })]);
  });

  it('device cuda without CUDA: start-up fails', async () => {
    const { sut } = newPool({ inference: { device: 'cuda' } });

    await expect(sut.onModuleInit()).rejects.toBeInstanceOf(ExecutionProviderUnavailableError);
    await expect(sut.close()).resolves.toBeUndefined();
  });

  it('device cpu: never probes for CUDA', async () => {
    const probe = jest.fn(noCuda);
    const { sut, lines } = newPool({ inference: { device: 'cpu' }, probe });

    await sut.onModuleInit();

    expect(await sut.provider()).toBe('cpu');
    expect(probe).not.toHaveBeenCalled();
    expect(lines.filter((l) => l.msg === 'inference runs on the CPU')).toHaveLength(1);
  });
});
