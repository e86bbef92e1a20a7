export interface JobOptions {
  /**
   * Deterministic id: enqueueing the same id again while the job exists is a no-op, which makes
   * enqueueing idempotent (a retried request does not run the work twice).
   */
  id: string;
  /** Total tries including the first (default 3). */
  attempts?: number;
  /** First retry delay; doubles on each further retry (default 1000 ms). */
  backoffMs?: number;
}

/** Checks the options every adapter accepts, so they refuse the same bad input the same way. */
export function checkJobOptions(options: JobOptions, defaults: { attempts: number; backoffMs: number }) {
  const { id, attempts = defaults.attempts, backoffMs = defaults.backoffMs } = options;
  if (!id) throw new Error('a job needs an id');
  if (!Number.isInteger(attempts) || attempts < 1) throw new RangeError(`attempts must be ≥ 1, got ${attempts}`);
  if (!(backoffMs >= 0)) throw new RangeError(`backoffMs must be ≥ 0, got ${backoffMs}`);
  return { id, attempts, backoffMs };
}

export type JobState = 'waiting' | 'active' | 'completed' | 'failed';

export interface JobStatus<Data = unknown, Result = unknown> {
  id: string;
  queue: string;
  state: JobState;
  data: Data;
  /** Attempts that have finished (failed or succeeded); 0 while the first one runs. */
  attemptsMade: number;
  progress: unknown;
  result?: Result;
  failedReason?: string;
}

export interface ActiveJob<Data = unknown> {
  id: string;
  queue: string;
  data: Data;
  /** 1 on the first try. */
  attempt: number;
  reportProgress(progress: unknown): Promise<void>;
}

export interface JobWorkerOptions {
  concurrency?: number;
}

export interface JobWorker {
  /** Stops taking jobs; jobs in flight finish first. */
  close(): Promise<void>;
}

/** Raised by `waitForResult` when the job failed its last attempt. */
export class JobFailedError extends Error {
  override readonly name = 'JobFailedError';
  constructor(
    readonly jobId: string,
    readonly reason: string,
  ) {
    super(`job ${jobId} failed: ${reason}`);
  }
}

/** Raised by `waitForResult` when no result arrived in time (the job may still finish later). */
export class JobTimeoutError extends Error {
  override readonly name = 'JobTimeoutError';
  constructor(
    readonly jobId: string,
    readonly timeoutMs: number,
  ) {
    super(`job ${jobId} did not finish within ${timeoutMs} ms`);
  }
}

/** Port: durable background jobs with retries, progress and results. */
export interface JobQueue {
  enqueue<Data>(queue: string, data: Data, options: JobOptions): Promise<{ id: string; deduplicated: boolean }>;
  process<Data, Result>(
    queue: string,
    handler: (job: ActiveJob<Data>) => Promise<Result>,
    options?: JobWorkerOptions,
  ): Promise<JobWorker>;
  getJob<Data = unknown, Result = unknown>(queue: string, id: string): Promise<JobStatus<Data, Result> | null>;
  /**
   * Resolves with the job's result, rejects with JobFailedError or JobTimeoutError, or with a
   * plain Error for an id the queue does not know (never enqueued, or already forgotten).
   */
  waitForResult<Result>(queue: string, id: string, timeoutMs: number): Promise<Result>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export const JOB_QUEUE = Symbol('JobQueue');
