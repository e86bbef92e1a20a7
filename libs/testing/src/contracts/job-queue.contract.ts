import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { JobFailedError, JobTimeoutError, type ActiveJob, type JobQueue, type JobWorker } from '@modelyard/platform';
import { deferred, sleep, track, waitFor } from '../wait-for.util.js';

export interface JobQueueContractContext {
  queue: JobQueue;
  /** Closes the queue and removes whatever the factory created. */
  cleanup(): Promise<void>;
}

/** How long to watch for something that must NOT happen (a second run, a job picked up). */
const QUIET_MS = 150;
const TEST_TIMEOUT_MS = 30_000;

interface Sum {
  a: number;
  b: number;
}

/**
 * The behaviour every JobQueue adapter must show. Every test uses its own queue name and job ids,
 * so the suite passes against a Redis holding other runs' leftovers.
 */
export function describeJobQueueContract(name: string, factory: () => Promise<JobQueueContractContext>): void {
  describe(`JobQueue contract: ${name}`, () => {
    // Broker-backed adapters need seconds where the in-process ones need milliseconds (a Kafka
    // group join, a BullMQ delayed-job sweep): more than Jest's default 5 s per test.
    const contractTest = (title: string, fn: () => Promise<void>): void => it(title, fn, TEST_TIMEOUT_MS);
    let context: JobQueueContractContext;
    let queue: JobQueue;
    let workers: JobWorker[];
    const run = randomUUID().slice(0, 8);

    beforeEach(async () => {
      context = await factory();
      queue = context.queue;
      workers = [];
    }, TEST_TIMEOUT_MS);

    afterEach(async () => {
      await Promise.allSettled(workers.map((worker) => worker.close()));
      await context.cleanup();
    }, TEST_TIMEOUT_MS);

    const queueName = (label: string): string => `contract-${label}-${run}-${randomUUID().slice(0, 8)}`;
    const jobId = (label: string): string => `${label}-${randomUUID()}`;

    async function work<Data, Result>(
      name: string,
      handler: (job: ActiveJob<Data>) => Promise<Result>,
      concurrency?: number,
    ): Promise<JobWorker> {
      const worker = await queue.process<Data, Result>(name, handler, concurrency === undefined ? {} : { concurrency });
      workers.push(worker);
      return worker;
    }

    contractTest('answers ping while open', async () => {
      await expect(queue.ping()).resolves.toBeUndefined();
    });

    contractTest('runs an enqueued job and hands back its result', async () => {
      const name = queueName('result');
      const id = jobId('sum');
      await expect(queue.enqueue<Sum>(name, { a: 2, b: 3 }, { id })).resolves.toEqual({ id, deduplicated: false });
      await work<Sum, number>(name, async (job) => job.data.a + job.data.b);

      await expect(queue.waitForResult<number>(name, id, 5_000)).resolves.toBe(5);
      const status = await queue.getJob<Sum, number>(name, id);
      expect(status).toMatchObject({ id, queue: name, state: 'completed', data: { a: 2, b: 3 }, result: 5, attemptsMade: 1 });
    });

    contractTest('returns null for a job it does not know', async () => {
      await expect(queue.getJob(queueName('unknown'), jobId('nothing'))).resolves.toBeNull();
    });

    contractTest('treats a second enqueue of the same id as a no-op, before and after the job ran', async () => {
      const name = queueName('dedupe');
      const id = jobId('once');
      const runs: Sum[] = [];
      await queue.enqueue<Sum>(name, { a: 1, b: 1 }, { id });
      await expect(queue.enqueue<Sum>(name, { a: 9, b: 9 }, { id })).resolves.toEqual({ id, deduplicated: true });
      await work<Sum, number>(name, async (job) => {
        runs.push(job.data);
        return job.data.a + job.data.b;
      });
      await expect(queue.waitForResult<number>(name, id, 5_000)).resolves.toBe(2);

      await expect(queue.enqueue<Sum>(name, { a: 5, b: 5 }, { id })).resolves.toEqual({ id, deduplicated: true });
      await sleep(QUIET_MS);
      expect(runs).toEqual([{ a: 1, b: 1 }]);
      await expect(queue.getJob(name, id)).resolves.toMatchObject({ state: 'completed', data: { a: 1, b: 1 } });
    });

    contractTest('retries a failing job with growing delays until it succeeds', async () => {
      const name = queueName('retry');
      const id = jobId('flaky');
      const backoffMs = 100;
      const starts: Array<{ attempt: number; at: number }> = [];
      await work<null, string>(name, async (job) => {
        starts.push({ attempt: job.attempt, at: performance.now() });
        if (job.attempt < 3) throw new Error(`transient failure ${job.attempt}`);
        return 'done';
      });

      await queue.enqueue(name, null, { id, attempts: 3, backoffMs });

      await expect(queue.waitForResult<string>(name, id, 5_000)).resolves.toBe('done');
      expect(starts.map((start) => start.attempt)).toEqual([1, 2, 3]);
      const firstGap = starts[1].at - starts[0].at;
      const secondGap = starts[2].at - starts[1].at;
      // Timers may fire a little late, never early; allow for clock rounding only.
      expect(firstGap).toBeGreaterThanOrEqual(backoffMs * 0.9);
      expect(secondGap).toBeGreaterThanOrEqual(2 * backoffMs * 0.9);
      expect(secondGap).toBeGreaterThan(firstGap);
      await expect(queue.getJob(name, id)).resolves.toMatchObject({ state: 'completed', attemptsMade: 3 });
    });

    contractTest('fails a job that throws on every attempt, with the last error as the reason', async () => {
      const name = queueName('fail');
      const id = jobId('doomed');
      let runs = 0;
      await work<null, never>(name, async (job) => {
        runs += 1;
        throw new Error(`boom on attempt ${job.attempt}`);
      });

      await queue.enqueue(name, null, { id, attempts: 2, backoffMs: 10 });

      const failure = queue.waitForResult(name, id, 5_000);
      await expect(failure).rejects.toBeInstanceOf(JobFailedError);
      await expect(failure).rejects.toMatchObject({ jobId: id, reason: 'boom on attempt 2' });
      expect(runs).toBe(2);
      await expect(queue.getJob(name, id)).resolves.toMatchObject({
        state: 'failed',
        failedReason: 'boom on attempt 2',
        attemptsMade: 2,
      });
      // A finished job answers straight away, failure included.
      await expect(queue.waitForResult(name, id, 1_000)).rejects.toBeInstanceOf(JobFailedError);
    });

    contractTest('shows reported progress through getJob while the job runs', async () => {
      const name = queueName('progress');
      const id = jobId('slow');
      const release = deferred();
      await work<null, string>(name, async (job) => {
        await job.reportProgress({ percent: 50 });
        await release.promise;
        return 'ok';
      });

      await queue.enqueue(name, null, { id });

      await waitFor(async () => (await queue.getJob(name, id))?.state === 'active', { description: 'the job to start' });
      await waitFor(async () => JSON.stringify((await queue.getJob(name, id))?.progress) === '{"percent":50}', {
        description: 'progress 50',
      });
      release.resolve();
      await expect(queue.waitForResult(name, id, 5_000)).resolves.toBe('ok');
    });

    contractTest('rejects waitForResult with JobTimeoutError when the job runs too long, and the job still finishes', async () => {
      const name = queueName('timeout');
      const id = jobId('slow');
      const release = deferred();
      await work<null, string>(name, async () => {
        await release.promise;
        return 'late';
      });
      await queue.enqueue(name, null, { id });

      const waited = queue.waitForResult(name, id, 100);
      await expect(waited).rejects.toBeInstanceOf(JobTimeoutError);
      await expect(waited).rejects.toMatchObject({ jobId: id, timeoutMs: 100 });

      release.resolve();
      await expect(queue.waitForResult(name, id, 5_000)).resolves.toBe('late');
    });

    contractTest('resolves waitForResult for a job that completed before the call', async () => {
      const name = queueName('done-before');
      const id = jobId('quick');
      await work<null, { ok: boolean }>(name, async () => ({ ok: true }));
      await queue.enqueue(name, null, { id });

      await waitFor(async () => (await queue.getJob(name, id))?.state === 'completed', { description: 'completion' });
      await expect(queue.waitForResult(name, id, 1_000)).resolves.toEqual({ ok: true });
    });

    contractTest('runs at most `concurrency` jobs of a worker at once, and uses all of them', async () => {
      const name = queueName('concurrency');
      const ids = Array.from({ length: 9 }, (_, index) => jobId(`job${index}`));
      for (const id of ids) await queue.enqueue(name, null, { id });
      let inFlight = 0;
      let maxInFlight = 0;
      await work<null, null>(
        name,
        async () => {
          inFlight += 1;
          maxInFlight = Math.max(maxInFlight, inFlight);
          await sleep(40);
          inFlight -= 1;
          return null;
        },
        3,
      );

      await Promise.all(ids.map((id) => queue.waitForResult(name, id, 5_000)));
      expect(maxInFlight).toBe(3);
    });

    contractTest('close() of a worker waits for its job in flight and takes no new job', async () => {
      const name = queueName('worker-close');
      const first = jobId('first');
      const second = jobId('second');
      const release = deferred();
      const log: string[] = [];
      const worker = await work<null, string>(name, async (job) => {
        log.push(`start ${job.id}`);
        await release.promise;
        log.push(`end ${job.id}`);
        return 'finished';
      });
      await queue.enqueue(name, null, { id: first });
      await waitFor(() => log.length === 1, { description: 'the first job to start' });

      const closing = track(worker.close());
      await sleep(50);
      expect(closing.settled).toBe(false);
      release.resolve();
      await closing.promise;
      log.push('closed');
      await expect(queue.getJob(name, first)).resolves.toMatchObject({ state: 'completed', result: 'finished' });

      await queue.enqueue(name, null, { id: second });
      await sleep(QUIET_MS);
      await expect(queue.getJob(name, second)).resolves.toMatchObject({ state: 'waiting' });
      expect(log).toEqual([`start ${first}`, `end ${first}`, 'closed']);
    });

    contractTest('refuses ping once closed', async () => {
      await queue.close();
      await expect(queue.ping()).rejects.toThrow();
    });
  });
}
