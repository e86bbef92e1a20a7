import { checkJobOptions, JobFailedError,
  JobTimeoutError,
  type ActiveJob,
  type JobOptions,
  type JobQueue,
  type JobState,
  type JobStatus,
  type JobWorker,
  type JobWorkerOptions, } from '../job-queue.port.js';

export interface InProcessJobQueueOptions {
  /**
   * Completed and failed jobs kept per queue, newest kept (default 10,000). Without a bound a
   * long-running process would keep every job it ever ran; BullMQ's `removeOnComplete` /
   * `removeOnFail` counts play the same role. A forgotten id can be enqueued again, so this is
   * also how far back de-duplication reaches.
   */
  keepFinishedJobs?: number;
}

const DEFAULT_ATTEMPTS = 3;
const DEFAULT_BACKOFF_MS = 1_000;
const DEFAULT_KEEP_FINISHED_JOBS = 10_000;

type Handler = (job: ActiveJob<unknown>) => Promise<unknown>;

interface JobRecord {
  readonly id: string;
  readonly queue: string;
  readonly data: unknown;
  readonly attempts: number;
  readonly backoffMs: number;
  state: JobState;
  attemptsMade: number;
  progress: unknown;
  result?: unknown;
  failedReason?: string;
}

interface Worker {
  readonly handler: Handler;
  readonly concurrency: number;
  active: number;
  open: boolean;
  readonly inFlight: Set<Promise<void>>;
}

interface Waiter {
  resolve(result: unknown): void;
  reject(error: Error): void;
}

interface QueueState {
  readonly name: string;
  /** Every job not yet forgotten, by id: this map is what de-duplicates enqueues. */
  readonly jobs: Map<string, JobRecord>;
  /** Ids of waiting jobs whose retry delay (if any) has passed, in FIFO order. */
  readonly ready: string[];
  /** Finished ids, oldest first (a Set keeps insertion order), for the history bound. */
  readonly finished: Set<string>;
  workers: Worker[];
  readonly waiters: Map<string, Set<Waiter>>;
}

/**
 * The job queue within one process, for the standalone build and tests; it keeps the guarantees of
 * the BullMQ adapter except durability (jobs live in memory and die with the process).
 *
 * Data, progress and results are copied with `structuredClone` on the way in and out, as a real
 * queue serialises them: a caller mutating its object after `enqueue` changes nothing.
 */
export class InProcessJobQueue implements JobQueue {
  private readonly queues = new Map<string, QueueState>();
  private readonly retryTimers = new Set<NodeJS.Timeout>();
  private readonly keepFinishedJobs: number;
  private closed = false;

  constructor(options: InProcessJobQueueOptions = {}) {
    this.keepFinishedJobs = options.keepFinishedJobs ?? DEFAULT_KEEP_FINISHED_JOBS;
    if (!Number.isInteger(this.keepFinishedJobs) || this.keepFinishedJobs < 0) {
      throw new RangeError(`keepFinishedJobs must be a non-negative integer, got ${this.keepFinishedJobs}`);
    }
  }

  async enqueue<Data>(queue: string, data: Data, options: JobOptions): Promise<{ id: string; deduplicated: boolean }> {
    this.assertOpen();
    const { id, attempts, backoffMs } = checkJobOptions(options, { attempts: DEFAULT_ATTEMPTS, backoffMs: DEFAULT_BACKOFF_MS });
    const state = this.queueState(queue);
    if (state.jobs.has(id)) return { id, deduplicated: true };
    state.jobs.set(id, {
      id,
      queue,
      data: structuredClone(data),
      attempts,
      backoffMs,
      state: 'waiting',
      attemptsMade: 0,
      progress: 0,
    });
    state.ready.push(id);
    this.dispatch(state);
    return { id, deduplicated: false };
  }

  async process<Data, Result>(
    queue: string,
    handler: (job: ActiveJob<Data>) => Promise<Result>,
    options: JobWorkerOptions = {},
  ): Promise<JobWorker> {
    this.assertOpen();
    const concurrency = options.concurrency ?? 1;
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      throw new RangeError(`concurrency must be a positive integer, got ${concurrency}`);
    }
    const state = this.queueState(queue);
    const worker: Worker = {
      handler: (job) => handler(job as ActiveJob<Data>),
      concurrency,
      active: 0,
      open: true,
      inFlight: new Set(),
    };
    state.workers.push(worker);
    this.dispatch(state);
    return { close: () => this.closeWorker(state, worker) };
  }

  async getJob<Data = unknown, Result = unknown>(queue: string, id: string): Promise<JobStatus<Data, Result> | null> {
    const job = this.queues.get(queue)?.jobs.get(id);
    if (!job) return null;
    const status: JobStatus = {
      id: job.id,
      queue: job.queue,
      state: job.state,
      data: job.data,
      attemptsMade: job.attemptsMade,
      progress: job.progress,
    };
    if (job.state === 'completed') status.result = job.result;
    if (job.failedReason !== undefined) status.failedReason = job.failedReason;
    return structuredClone(status) as JobStatus<Data, Result>;
  }

  async waitForResult<Result>(queue: string, id: string, timeoutMs: number): Promise<Result> {
    const state = this.queues.get(queue);
    const job = state?.jobs.get(id);
    if (!state || !job) throw new Error(`no job ${id} in queue ${queue} (never enqueued, or forgotten)`);
    if (job.state === 'completed') return structuredClone(job.result) as Result;
    if (job.state === 'failed') throw new JobFailedError(id, job.failedReason ?? 'unknown reason');
    this.assertOpen();
    let waiters = state.waiters.get(id);
    if (!waiters) {
      waiters = new Set();
      state.waiters.set(id, waiters);
    }
    const jobWaiters = waiters;
    return new Promise<Result>((resolve, reject) => {
      const timer = setTimeout(() => {
        jobWaiters.delete(waiter);
        reject(new JobTimeoutError(id, timeoutMs));
      }, timeoutMs);
      const waiter: Waiter = {
        resolve: (result) => {
          clearTimeout(timer);
          resolve(result as Result);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      jobWaiters.add(waiter);
    });
  }

  async ping(): Promise<void> {
    this.assertOpen();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const timer of this.retryTimers) clearTimeout(timer);
    this.retryTimers.clear();
    const states = [...this.queues.values()];
    await Promise.all(states.flatMap((state) => state.workers.map((worker) => this.closeWorker(state, worker))));
    // Jobs still waiting will never finish here: tell whoever waits instead of leaving them hanging.
    for (const state of states) {
      for (const [id, waiters] of state.waiters) {
        for (const waiter of waiters) {
          waiter.reject(new Error(`job queue closed before job ${id} in ${state.name} finished`));
        }
      }
      state.waiters.clear();
    }
  }

  private queueState(name: string): QueueState {
    if (!name) throw new Error('a queue needs a name');
    let state = this.queues.get(name);
    if (!state) {
      state = { name, jobs: new Map(), ready: [], finished: new Set(), workers: [], waiters: new Map() };
      this.queues.set(name, state);
    }
    return state;
  }

  /** Hands ready jobs to workers with a free slot, least busy first. */
  private dispatch(state: QueueState): void {
    while (!this.closed && state.ready.length > 0) {
      let worker: Worker | undefined;
      for (const candidate of state.workers) {
        if (!candidate.open || candidate.active >= candidate.concurrency) continue;
        if (!worker || candidate.active < worker.active) worker = candidate;
      }
      if (!worker) return;
      const id = state.ready.shift();
      const job = id === undefined ? undefined : state.jobs.get(id);
      if (!job || job.state !== 'waiting') continue;
      this.start(state, worker, job);
    }
  }

  private start(state: QueueState, worker: Worker, job: JobRecord): void {
    job.state = 'active';
    worker.active += 1;
    const run = this.runAttempt(state, worker, job);
    worker.inFlight.add(run);
    void run.finally(() => {
      worker.inFlight.delete(run);
      worker.active -= 1;
      this.dispatch(state);
    });
  }

  private async runAttempt(state: QueueState, worker: Worker, job: JobRecord): Promise<void> {
    const attempt = job.attemptsMade + 1;
    const active: ActiveJob<unknown> = {
      id: job.id,
      queue: job.queue,
      data: structuredClone(job.data),
      attempt,
      reportProgress: async (progress) => {
        // A late report from an attempt that already ended must not overwrite the job's record.
        if (job.state === 'active' && job.attemptsMade === attempt - 1) job.progress = structuredClone(progress);
      },
    };
    let result: unknown;
    try {
      result = structuredClone(await worker.handler(active));
    } catch (error: unknown) {
      this.failAttempt(state, job, error);
      return;
    }
    job.attemptsMade = attempt;
    job.state = 'completed';
    job.result = result;
    this.finish(state, job);
  }

  private failAttempt(state: QueueState, job: JobRecord, error: unknown): void {
    job.attemptsMade += 1;
    if (job.attemptsMade < job.attempts) {
      job.state = 'waiting';
      // Closing: the retry would never run here; the job stays waiting and close() rejects its waiters.
      if (this.closed) return;
      const delay = job.backoffMs * 2 ** (job.attemptsMade - 1);
      const timer = setTimeout(() => {
        this.retryTimers.delete(timer);
        state.ready.push(job.id);
        this.dispatch(state);
      }, delay);
      this.retryTimers.add(timer);
      return;
    }
    job.state = 'failed';
    job.failedReason = error instanceof Error ? error.message : String(error);
    this.finish(state, job);
  }

  private finish(state: QueueState, job: JobRecord): void {
    state.finished.add(job.id);
    while (state.finished.size > this.keepFinishedJobs) {
      const oldest = state.finished.values().next().value;
      if (oldest === undefined) break;
      state.finished.delete(oldest);
      state.jobs.delete(oldest);
    }
    const waiters = state.waiters.get(job.id);
    if (!waiters) return;
    state.waiters.delete(job.id);
    for (const waiter of waiters) {
      if (job.state === 'completed') waiter.resolve(structuredClone(job.result));
      else waiter.reject(new JobFailedError(job.id, job.failedReason ?? 'unknown reason'));
    }
  }

  private async closeWorker(state: QueueState, worker: Worker): Promise<void> {
    if (worker.open) {
      worker.open = false;
      state.workers = state.workers.filter((other) => other !== worker);
    }
    // A closed worker takes no new job, so this set only shrinks.
    while (worker.inFlight.size > 0) await Promise.allSettled([...worker.inFlight]);
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('job queue is closed');
  }
}
