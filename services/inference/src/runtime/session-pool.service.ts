import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { InferenceSession } from 'onnxruntime-node';
import { APP_CONFIG, LOGGER, messageOf, METRICS, type AppConfig, type Logger, type Metrics } from '@modelyard/platform';
import {
  CUDA_PROBE,
  chooseExecutionProviders,
  type CudaProbe,
  type ExecutionProvider,
  type ExecutionProviderChoice,
} from './execution-provider.util.js';
import { ModelFileCache, type ModelArtifactRef } from './model-file-cache.service.js';
import { ModelLoadError } from './runtime.exception.js';

/** One use of a pooled session. */
export interface SessionLease {
  readonly session: InferenceSession;
  readonly provider: ExecutionProvider;
  /** Ends this use; a session evicted meanwhile is released after its last use ends. Calling it twice is harmless. */
  release(): void;
}

const MIB = 1024 * 1024;
/** Thread pools and bookkeeping of one session, measured at about 5 MiB with onnxruntime-node 1.30 on CPU. */
const SESSION_OVERHEAD_BYTES = 8 * MIB;
const WEIGHTS_FACTOR = 1.5;

/**
 * Memory a loaded session is charged against the budget: 1.5 × its file plus 8 MiB. Measured with
 * onnxruntime-node 1.30 on CPU, a 15 MiB model held about 1.3 × its file (weights, plus pre-packed
 * copies for some kernels) and ~5 MiB fixed. Activation memory taken during a run depends on the
 * inputs, not the file, and is not counted.
 */
export function estimateSessionBytes(fileSize: number): number {
  return Math.ceil(fileSize * WEIGHTS_FACTOR) + SESSION_OVERHEAD_BYTES;
}

interface PooledSession {
  readonly sha256: string;
  readonly key: string;
  readonly session: InferenceSession;
  readonly provider: ExecutionProvider;
  readonly cost: number;
  /** Leases not yet ended. */
  users: number;
  /** Out of the LRU: released as soon as `users` reaches 0. */
  evicted: boolean;
}

interface PendingLoad {
  promise: Promise<PooledSession>;
  /** Callers waiting for it; they become the session's first users in the same tick it enters the LRU. */
  waiters: number;
}

interface Pool {
  choice: ExecutionProviderChoice;
  budget: number;
  sessions: LRUCache<string, PooledSession>;
}

/**
 * onnxruntime sessions of the models this worker ran lately, one per file content (sha256), within
 * a memory budget (MODELYARD_SESSION_MEMORY_BUDGET; on CUDA, also MODELYARD_GPU_MEMORY_LIMIT, since
 * onnxruntime-node cannot cap the CUDA arena itself). Beyond it the least recently used sessions
 * leave the pool, and each is released once no call is using it — so memory can briefly exceed the
 * budget by the sessions still running a call, and by loads in progress.
 *
 * A model whose estimate exceeds the whole budget still loads: it is charged the whole budget, so
 * it pushes every other session out and is itself pushed out by the next model loaded.
 *
 * The execution provider is chosen once, at start-up (see chooseExecutionProviders); with device
 * `cuda` and no usable CUDA, start-up fails.
 */
@Injectable()
export class SessionPool implements OnModuleInit, OnApplicationShutdown {
  private pool: Promise<Pool> | undefined;
  private readonly loads = new Map<string, PendingLoad>();
  private readonly releasing = new Set<Promise<void>>();
  private closed = false;

  constructor(
    @Inject(APP_CONFIG) private readonly config: Pick<AppConfig, 'inference'>,
    private readonly files: ModelFileCache,
    @Inject(CUDA_PROBE) private readonly probe: CudaProbe,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(METRICS) private readonly metrics: Metrics,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.ready();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.close();
  }

  /** The execution provider sessions are created with, chosen on first use (or at module init). */
  async provider(): Promise<ExecutionProvider> {
    return (await this.ready()).choice.provider;
  }

  /**
   * Runs `use` with the artifact's session, loading it first if needed, and ends the lease after.
   * Rejects with ModelLoadError when onnxruntime cannot load the file, and with the file cache's
   * errors (ArtifactIntegrityError, BlobNotFoundError …) when the file cannot be fetched.
   */
  async withSession<T>(artifact: ModelArtifactRef, use: (session: InferenceSession, provider: ExecutionProvider) => Promise<T>): Promise<T> {
    const lease = await this.acquire(artifact);
    try {
      return await use(lease.session, lease.provider);
    } finally {
      lease.release();
    }
  }

  /** The artifact's session, loaded at most once however many callers ask at the same time. The caller must release() the lease. */
  async acquire(artifact: ModelArtifactRef): Promise<SessionLease> {
    const pool = await this.ready();
    if (this.closed) throw new Error('the session pool is closed');
    const cached = pool.sessions.get(artifact.sha256);
    if (cached) {
      cached.users += 1;
      return this.lease(cached);
    }
    const load = this.loads.get(artifact.sha256) ?? this.startLoad(artifact, pool);
    load.waiters += 1;
    return this.lease(await load.promise);
  }

  /** Releases every idle session now and every busy one when its call ends; later acquires fail. */
  async close(): Promise<void> {
    this.closed = true;
    // A pool that failed to start (no CUDA) holds nothing.
    const pool = await this.pool?.catch(() => undefined);
    pool?.sessions.clear();
    await Promise.all(this.releasing);
  }

  private ready(): Promise<Pool> {
    this.pool ??= this.createPool();
    return this.pool;
  }

  private async createPool(): Promise<Pool> {
    const { device, sessionMemoryBudgetBytes, gpuMemoryLimitBytes } = this.config.inference;
    const choice = await chooseExecutionProviders({ device }, this.probe);
    const budget =
      choice.provider === 'cuda' && gpuMemoryLimitBytes !== undefined
        ? Math.min(sessionMemoryBudgetBytes, gpuMemoryLimitBytes)
        : sessionMemoryBudgetBytes;
    const line = { device, provider: choice.provider, session_memory_budget_bytes: budget };
    if (choice.fallbackReason) this.logger.warn({ ...line, reason: choice.fallbackReason }, 'inference runs on the CPU: CUDA is not usable');
    else this.logger.info(line, `inference runs on the ${choice.provider === 'cuda' ? 'GPU (CUDA)' : 'CPU'}`);
    this.metrics.inferenceExecutionProvider.set({ provider: choice.provider }, 1);

    const sessions = new LRUCache<string, PooledSession>({
      maxSize: budget,
      // Capped at the budget so an oversized model is kept alone instead of refused by the cache.
      sizeCalculation: (entry) => Math.max(1, Math.min(entry.cost, budget)),
      dispose: (entry, _sha256, reason) => {
        entry.evicted = true;
        if (reason === 'evict') this.metrics.inferenceSessionEvictions.inc({ provider: entry.provider });
        if (entry.users === 0) this.releaseSession(entry);
      },
    });
    return { choice, budget, sessions };
  }

  private startLoad(artifact: ModelArtifactRef, pool: Pool): PendingLoad {
    const pending: PendingLoad = {
      waiters: 0,
      promise: this.load(artifact, pool).then(
        (entry) => {
          // One synchronous step: every waiter counts as a user before anything can evict the session.
          this.loads.delete(artifact.sha256);
          entry.users = pending.waiters;
          if (this.closed) entry.evicted = true;
          else pool.sessions.set(artifact.sha256, entry);
          return entry;
        },
        (error: unknown) => {
          this.loads.delete(artifact.sha256);
          throw error;
        },
      ),
    };
    this.loads.set(artifact.sha256, pending);
    return pending;
  }

  private async load(artifact: ModelArtifactRef, { choice, budget }: Pool): Promise<PooledSession> {
    const { provider, executionProviders } = choice;
    const started = performance.now();
    const file = await this.files.ensureLocal(artifact);
    let session: InferenceSession;
    try {
      session = await InferenceSession.create(file, { executionProviders });
    } catch (error: unknown) {
      this.metrics.inferenceSessionLoads.inc({ provider, outcome: 'failed' });
      // onnxruntime names the file it read; the caller knows it by its storage key, not our cache path.
      const message = messageOf(error).replaceAll(file, artifact.key);
      this.logger.warn({ key: artifact.key, sha256: artifact.sha256, provider, err: message }, 'onnxruntime could not load model');
      throw new ModelLoadError(artifact.key, provider, message, { cause: error });
    }
    const seconds = (performance.now() - started) / 1000;
    this.metrics.inferenceSessionLoads.inc({ provider, outcome: 'loaded' });
    this.metrics.inferenceSessionLoadDuration.observe({ provider }, seconds);
    this.metrics.inferenceSessionsOpen.inc({ provider });
    const cost = estimateSessionBytes(artifact.size);
    const line = { key: artifact.key, sha256: artifact.sha256, provider, estimated_bytes: cost, duration_ms: Math.round(seconds * 1000) };
    if (cost > budget) this.logger.warn({ ...line, budget_bytes: budget }, 'model exceeds the session memory budget; it is kept alone');
    else this.logger.info(line, 'model session loaded');
    return { sha256: artifact.sha256, key: artifact.key, session, provider, cost, users: 0, evicted: false };
  }

  private lease(entry: PooledSession): SessionLease {
    let ended = false;
    return {
      session: entry.session,
      provider: entry.provider,
      release: () => {
        if (ended) return;
        ended = true;
        entry.users -= 1;
        if (entry.users === 0 && entry.evicted) this.releaseSession(entry);
      },
    };
  }

  private releaseSession(entry: PooledSession): void {
    const done = entry.session
      .release()
      .catch((error: unknown) => this.logger.warn({ key: entry.key, err: messageOf(error) }, 'releasing an onnxruntime session failed'))
      .finally(() => {
        this.metrics.inferenceSessionsOpen.dec({ provider: entry.provider });
        this.releasing.delete(done);
      });
    this.releasing.add(done);
  }
}
