import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { Job, Queue, QueueEvents, Worker, type JobProgress, type JobState as BullJobState } from 'bullmq';
import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from '../../logging/logger.js';
import { messageOf } from '../../errors/error-message.util.js';
import { checkJobOptions, JobFailedError,
  JobTimeoutError,
  type ActiveJob,
  type JobOptions,
  type JobQueue,
  type JobState,
  type JobStatus,
  type JobWorker,
  type JobWorkerOptions, } from '../job-queue.port.js';

export interface BullMqJobQueueOptions {
  /** `redis://` or `rediss://` URL. It may carry a password: it is never logged nor put in an error. */
  url: string;
  /** Prefix of every Redis key (default `modelyard`); queues with another prefix are invisible. */
  prefix?: string;
  logger?: Logger;
  /**
   * How often each worker looks for jobs whose worker died (default 30 s). A dead worker's job is
   * back in `waiting` after at most `lockDurationMs` plus two of these intervals: the checker marks
   * an unlocked active job on one pass and moves it on the next. Give every worker of a queue the
   * same value: the check runs once per interval for the whole queue, gated by a Redis key that
   * lives as long as the interval of the worker that ran it last. A job whose worker dies a second
   * time fails ("job stalled more than allowable limit", BullMQ's maxStalledCount of 1), so a job
   * that kills its worker cannot take down worker after worker.
   */
  stalledIntervalMs?: number;
  /** How long a job stays locked to its worker without a renewal (default 30 s; renewed every half). */
  lockDurationMs?: number;
  /**
   * Completed and failed jobs kept per queue, each, newest kept (default 10,000): the same bound as
   * InProcessJobQueue's option of that name. It is also how far back de-duplication and
   * `waitForResult` reach: a forgotten id can be enqueued again.
   */
  keepFinishedJobs?: number;
}

const DEFAULT_PREFIX = 'modelyard';
const DEFAULT_ATTEMPTS = 3;
const DEFAULT_BACKOFF_MS = 1_000;
const DEFAULT_KEEP_FINISHED_JOBS = 10_000;
const DEFAULT_STALLED_INTERVAL_MS = 30_000;
const DEFAULT_LOCK_DURATION_MS = 30_000;
const PING_TIMEOUT_MS = 2_000;

type Handler = (job: ActiveJob<unknown>) => Promise<unknown>;
type BullJob = Job<unknown, unknown, string>;

interface QueueEntry {
  readonly queue: Queue;
  /** The Queue's own connection; Queue shares it, so closing it is ours to do. */
  readonly connection: Redis;
}

interface EventsEntry {
  readonly connection: Redis;
  /** Resolves once the QueueEvents exists; it may still be starting to read then (see startEvents). */
  readonly events: Promise<QueueEvents>;
}

interface WorkerEntry {
  readonly worker: Worker;
  readonly connection: Redis;
  closing?: Promise<void>;
}

/**
 * The job queue on BullMQ and Redis: jobs survive restarts of every process, and a job whose worker
 * died is picked up again by another worker once its lock expires (BullMQ's stalled-job checker).
 *
 * Redis keys: `<prefix>:<queue>:…`. Each BullMQ object gets a connection of its own: a Worker or
 * QueueEvents blocks its connection (BZPOPMIN / XREAD BLOCK), so sharing one would stall the rest.
 * Workers and QueueEvents duplicate the connection they are given and own the duplicates; the ones
 * given to them are created lazy and never connect, but are closed here all the same.
 *
 * Data, progress and results travel as JSON, as in every Redis-backed queue: values JSON cannot
 * represent (undefined, Dates, Maps) do not come back as they went in.
 */
export class BullMqJobQueue implements JobQueue {
  private readonly url: string;
  private readonly prefix: string;
  private readonly logger: Logger | undefined;
  private readonly stalledIntervalMs: number;
  private readonly lockDurationMs: number;
  private readonly keepFinishedJobs: number;
  private readonly queues = new Map<string, QueueEntry>();
  private readonly events = new Map<string, EventsEntry>();
  private readonly workers = new Set<WorkerEntry>();
  private control: Redis | undefined;
  private closed = false;

  constructor(options: BullMqJobQueueOptions) {
    if (!/^rediss?:\/\//.test(options.url)) {
      // Not echoing the value: a malformed URL may still hold the password.
      throw new Error('the Redis URL must start with redis:// or rediss://');
    }
    this.url = options.url;
    this.prefix = options.prefix ?? DEFAULT_PREFIX;
    this.logger = options.logger?.child({ component: 'BullMqJobQueue' });
    this.stalledIntervalMs = positiveInteger('stalledIntervalMs', options.stalledIntervalMs ?? DEFAULT_STALLED_INTERVAL_MS);
    this.lockDurationMs = positiveInteger('lockDurationMs', options.lockDurationMs ?? DEFAULT_LOCK_DURATION_MS);
    this.keepFinishedJobs = options.keepFinishedJobs ?? DEFAULT_KEEP_FINISHED_JOBS;
    if (!Number.isInteger(this.keepFinishedJobs) || this.keepFinishedJobs < 0) {
      throw new RangeError(`keepFinishedJobs must be a non-negative integer, got ${this.keepFinishedJobs}`);
    }
  }

  async enqueue<Data>(queue: string, data: Data, options: JobOptions): Promise<{ id: string; deduplicated: boolean }> {
    this.assertOpen();
    const { id, attempts, backoffMs } = checkJobOptions(options, { attempts: DEFAULT_ATTEMPTS, backoffMs: DEFAULT_BACKOFF_MS });
    const { queue: bullQueue, connection } = this.queueEntry(queue);
    /*
     * De-duplication. BullMQ's add script stores nothing when the job key already exists, and
     * Queue.add then hands back a Job built from *our* arguments either way, so its data or
     * timestamp cannot tell the two cases apart. Instead every add carries a fresh token as the job
     * name (a field the script writes only when it creates the job, and that nothing else here
     * uses) and the stored name is read back: our token means this call created the job. Unlike
     * "look, then add", this holds when two processes add the same id at once, because the script
     * itself is atomic. Only a job removed between the add and the read (finished and pushed out
     * of the keepFinishedJobs window in that instant, or removed by hand) reads as not
     * de-duplicated.
     */
    const token = randomUUID();
    await bullQueue.add(token, data ?? null, {
      jobId: id,
      attempts,
      // BullMQ's exponential backoff waits delay · 2^(n-1) before retry n, as the port asks.
      backoff: { type: 'exponential', delay: backoffMs },
      removeOnComplete: { count: this.keepFinishedJobs },
      removeOnFail: { count: this.keepFinishedJobs },
    });
    const storedToken = await connection.hget(bullQueue.toKey(id), 'name');
    return { id, deduplicated: storedToken !== null && storedToken !== token };
  }

  async process<Data, Result>(
    queue: string,
    handler: (job: ActiveJob<Data>) => Promise<Result>,
    options: JobWorkerOptions = {},
  ): Promise<JobWorker> {
    this.assertOpen();
    assertQueueName(queue);
    const concurrency = options.concurrency ?? 1;
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      throw new RangeError(`concurrency must be a positive integer, got ${concurrency}`);
    }
    const run: Handler = (job) => handler(job as ActiveJob<Data>);
    const connection = this.connect(`worker:${queue}`, { lazyConnect: true, maxRetriesPerRequest: null });
    const worker = new Worker(queue, (job: BullJob) => this.runAttempt(queue, job, run), {
      connection,
      prefix: this.prefix,
      concurrency,
      stalledInterval: this.stalledIntervalMs,
      lockDuration: this.lockDurationMs,
      autorun: true,
    });
    const entry: WorkerEntry = { worker, connection };
    this.workers.add(entry);
    worker.on('error', (error) => this.logger?.warn({ queue, err: messageOf(error) }, 'job worker error'));
    worker.on('failed', (job, error) =>
      this.logger?.warn(
        { queue, jobId: job?.id, attemptsMade: job?.attemptsMade, err: messageOf(error) },
        'job attempt failed',
      ),
    );
    worker.on('stalled', (jobId) =>
      this.logger?.warn({ queue, jobId }, 'job stalled (its worker stopped renewing the lock); back to waiting'),
    );
    try {
      await worker.waitUntilReady();
    } catch (error: unknown) {
      await this.closeWorker(entry);
      throw new Error(`could not start a worker for queue ${queue}: ${messageOf(error)}`);
    }
    return { close: () => this.closeWorker(entry) };
  }

  async getJob<Data = unknown, Result = unknown>(queue: string, id: string): Promise<JobStatus<Data, Result> | null> {
    this.assertOpen();
    const { queue: bullQueue } = this.queueEntry(queue);
    // State first, then the job: a job read as completed then has its return value, since BullMQ
    // writes it in the same script that moves the job.
    const state = mapState(await bullQueue.getJobState(id));
    if (!state) return null;
    const job: BullJob | undefined = await bullQueue.getJob(id);
    if (!job) return null;
    const status: JobStatus = {
      id,
      queue,
      state,
      data: job.data,
      attemptsMade: job.attemptsMade,
      progress: job.progress,
    };
    if (state === 'completed') status.result = job.returnvalue;
    // BullMQ keeps the reason of the last failed attempt even on a job that is retrying or that
    // succeeded later; the port reports a reason only for a job that failed for good.
    if (state === 'failed') status.failedReason = job.failedReason;
    return status as JobStatus<Data, Result>;
  }

  async waitForResult<Result>(queue: string, id: string, timeoutMs: number): Promise<Result> {
    this.assertOpen();
    const { queue: bullQueue } = this.queueEntry(queue);
    const job: BullJob | undefined = await bullQueue.getJob(id);
    if (!job) throw new Error(`no job ${id} in queue ${queue} (never enqueued, or forgotten)`);
    const events = await this.eventsFor(queue);
    try {
      // Checks for a job already finished once its listeners are in place, so no finish is missed.
      return (await job.waitUntilFinished(events, Math.max(1, timeoutMs))) as Result;
    } catch (error: unknown) {
      if (this.closed) throw new Error(`job queue closed before job ${id} in ${queue} finished`);
      // waitUntilFinished rejects with a plain Error whether the job failed, went missing or the
      // time ran out; the job's state says which, without parsing BullMQ's messages.
      const state = await bullQueue.getJobState(id);
      if (state === 'completed' || state === 'failed') {
        const finished: BullJob | undefined = await bullQueue.getJob(id);
        if (finished && state === 'completed') return finished.returnvalue as Result;
        if (finished) throw new JobFailedError(id, finished.failedReason || 'unknown reason');
      }
      if (state === 'unknown') throw new Error(`job ${id} in queue ${queue} was removed before it finished`);
      if (mapState(state) === null) throw error;
      throw new JobTimeoutError(id, timeoutMs);
    }
  }

  async ping(): Promise<void> {
    this.assertOpen();
    // A connection of its own: the queues' connections wait for Redis to come back, a probe must not.
    this.control ??= this.connect('control', { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: PING_TIMEOUT_MS });
    const client = this.control;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`redis did not answer PING within ${PING_TIMEOUT_MS} ms`)), PING_TIMEOUT_MS);
    });
    try {
      await Promise.race([client.ping(), timeout]);
    } catch (error: unknown) {
      throw new Error(`redis is unreachable: ${messageOf(error)}`);
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Workers first (each waits for its jobs in flight), then what only reads or writes jobs.
    await Promise.allSettled([...this.workers].map((entry) => this.closeWorker(entry)));
    await Promise.allSettled([...this.events.values()].map(async (entry) => (await entry.events).close()));
    // waitUntilFinished gives up on 'closing', which a Worker emits but Queue.close() does not:
    // without it a pending waitForResult would hang, and its timer run on, until its timeout.
    // (Queue's typed emit() does not list the event, hence the untyped call.)
    for (const entry of this.queues.values()) EventEmitter.prototype.emit.call(entry.queue, 'closing', 'job queue closed');
    await Promise.allSettled([...this.queues.values()].map((entry) => entry.queue.close()));
    for (const entry of this.events.values()) entry.connection.disconnect();
    for (const entry of this.queues.values()) entry.connection.disconnect();
    this.control?.disconnect();
    this.events.clear();
    this.queues.clear();
  }

  private async runAttempt(queue: string, job: BullJob, handler: Handler): Promise<unknown> {
    let running = true;
    const active: ActiveJob<unknown> = {
      id: job.id ?? '',
      queue,
      data: job.data,
      // attemptsMade counts finished attempts; a stalled attempt never finished, so it is not counted.
      attempt: job.attemptsMade + 1,
      reportProgress: async (progress) => {
        // A late report from an attempt that already ended must not overwrite the job's record.
        if (running) await job.updateProgress((progress ?? null) as JobProgress);
      },
    };
    try {
      return (await handler(active)) ?? null;
    } catch (error: unknown) {
      // BullMQ records `error.message` as the failed reason; a thrown non-Error would record nothing.
      throw isErrorLike(error) ? error : new Error(String(error));
    } finally {
      running = false;
    }
  }

  private closeWorker(entry: WorkerEntry): Promise<void> {
    entry.closing ??= (async () => {
      try {
        await entry.worker.close();
      } finally {
        entry.connection.disconnect();
        this.workers.delete(entry);
      }
    })();
    return entry.closing;
  }

  private queueEntry(name: string): QueueEntry {
    assertQueueName(name);
    let entry = this.queues.get(name);
    if (!entry) {
      const connection = this.connect(`queue:${name}`, {});
      const queue = new Queue(name, { connection, prefix: this.prefix });
      // Every waitForResult listens for the queue closing; many may wait on one queue at once.
      queue.setMaxListeners(0);
      queue.on('error', (error) => this.logger?.warn({ queue: name, err: messageOf(error) }, 'job queue connection error'));
      entry = { queue, connection };
      this.queues.set(name, entry);
    }
    return entry;
  }

  private eventsFor(name: string): Promise<QueueEvents> {
    let entry = this.events.get(name);
    if (!entry) {
      const connection = this.connect(`events:${name}`, { lazyConnect: true, maxRetriesPerRequest: null });
      const events = this.startEvents(name, connection);
      const started: EventsEntry = { connection, events };
      this.events.set(name, started);
      // A failed start (Redis down) must not stay cached: the next wait tries again.
      events.catch(() => {
        if (this.events.get(name) === started) this.events.delete(name);
        connection.disconnect();
      });
      entry = started;
    }
    return entry.events;
  }

  private async startEvents(name: string, connection: Redis): Promise<QueueEvents> {
    /*
     * QueueEvents reads the queue's event stream from `$` by default, i.e. from whenever its first
     * XREAD reaches Redis, which is after waitUntilReady() has resolved. waitUntilFinished checks for
     * a finished job once, after ready; a job finishing between that check and the first XREAD
     * would go unnoticed until the wait timed out. Starting from the stream's last entry as of
     * now closes that gap: everything after it is delivered.
     */
    const { queue, connection: reader } = this.queueEntry(name);
    const [latest] = await reader.xrevrange(queue.toKey('events'), '+', '-', 'COUNT', 1);
    const events = new QueueEvents(name, { connection, prefix: this.prefix, lastEventId: latest?.[0] ?? '0-0' });
    events.on('error', (error) => this.logger?.warn({ queue: name, err: messageOf(error) }, 'job events connection error'));
    // Listeners are per job id (`completed:<id>`), so this only matters for many waits on one id.
    events.setMaxListeners(0);
    try {
      await events.waitUntilReady();
    } catch (error: unknown) {
      await events.close().catch(() => undefined);
      throw error;
    }
    return events;
  }

  private connect(role: string, options: RedisOptions): Redis {
    const connection = new Redis(this.url, {
      connectionName: `${this.prefix}:${role}`,
      // How long disconnect() waits for a socket to close before destroying it. ioredis arms that
      // timer even for a socket already gone (Redis unreachable), keeping the process alive for it.
      disconnectTimeout: 200,
      ...options,
    });
    // Without a listener ioredis prints every failed reconnect; errors carry host and port, never the password.
    connection.on('error', (error: unknown) => this.logger?.debug({ role, err: messageOf(error) }, 'redis connection error'));
    return connection;
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('job queue is closed');
  }
}

function mapState(state: BullJobState | 'unknown'): JobState | null {
  switch (state) {
    case 'waiting':
    case 'delayed': // a retry waiting out its backoff
    case 'prioritized':
    case 'waiting-children':
      return 'waiting';
    case 'active':
    case 'completed':
    case 'failed':
      return state;
    default:
      return null;
  }
}

function assertQueueName(name: string): void {
  if (!name) throw new Error('a queue needs a name');
  // BullMQ separates key parts with ':', so such a name would read another queue's keys.
  if (name.includes(':')) throw new Error(`a queue name cannot contain ':', got ${JSON.stringify(name)}`);
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, got ${value}`);
  return value;
}

function isErrorLike(value: unknown): value is Error {
  // Duck-typed: an Error from another realm (a Jest VM context) fails `instanceof Error`.
  return typeof value === 'object' && value !== null && 'message' in value && typeof value.message === 'string';
}

