import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { BullMqJobQueue, type BullMqJobQueueOptions } from '@modelyard/platform';
import { freePort } from '../process.util.js';
import { describeJobQueueContract, sleep, waitFor } from './index.js';

const REDIS_URL = process.env.MODELYARD_REDIS_URL;
if (!REDIS_URL) {
  throw new Error(
    'MODELYARD_REDIS_URL is not set. Run the integration tests through `npm test`, or first ' +
      '`eval "$(bash deploy/local/infra.sh env)"` with Redis up (`bash deploy/local/infra.sh up redis`).',
  );
}
const redisUrl: string = REDIS_URL;
const REPO_ROOT = path.resolve(import.meta.dirname, '../../../..');

/** A key prefix no other run or test uses, so leftovers never meet and cleanup is one SCAN. */
const newPrefix = (): string => `modelyard-test-${randomUUID().slice(0, 8)}`;

async function deleteKeys(prefix: string): Promise<void> {
  const redis = new Redis(redisUrl);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

describeJobQueueContract('BullMqJobQueue', async () => {
  const prefix = newPrefix();
  const queue = new BullMqJobQueue({ url: redisUrl, prefix });
  return {
    queue,
    cleanup: async () => {
      await queue.close();
      await deleteKeys(prefix);
    },
  };
});

/** A Node process running `script` (an ES module) from the repo root, so it resolves bullmq and ioredis. */
function startNodeScript(script: string, env: Record<string, string>): { child: ChildProcess; output(): string; exited: Promise<void> } {
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    cwd: REPO_ROOT,
    // The URL goes in the environment, not argv, where `ps` would show a password.
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return { child, output: () => output, exited };
}

/** Log lines of a pino logger, kept as text, to look for things that must not be logged. */
function capturingLogger(): { logger: pino.Logger; text(): string } {
  let text = '';
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      text += chunk.toString();
      callback();
    },
  });
  return { logger: pino({ level: 'debug' }, sink), text: () => text };
}

describe('BullMqJobQueue', () => {
  const opened: Array<{ queue: BullMqJobQueue; prefix: string }> = [];
  const children: ChildProcess[] = [];

  function open(options: Partial<BullMqJobQueueOptions> & { prefix: string }): BullMqJobQueue {
    const queue = new BullMqJobQueue({ url: redisUrl, ...options });
    opened.push({ queue, prefix: options.prefix });
    return queue;
  }

  afterEach(async () => {
    for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    const toClose = opened.splice(0);
    await Promise.allSettled(toClose.map(({ queue }) => queue.close()));
    for (const prefix of new Set(toClose.map((entry) => entry.prefix))) await deleteKeys(prefix);
  });

  it('gives the job of a worker process killed mid-job to another worker (stalled-job recovery)', async () => {
    const prefix = newPrefix();
    const lockDurationMs = 1_000;
    const stalledIntervalMs = 250;
    const queue = open({ prefix, lockDurationMs, stalledIntervalMs });
    const name = 'stalled';
    const id = `model-import-${randomUUID()}`;
    await queue.enqueue(name, { file: 'weights.bin' }, { id });

    // The doomed worker is plain BullMQ in its own process: what matters is that it dies holding
    // the job's lock, as a worker does when the OOM killer takes it. It has the same intervals as
    // ours, as the workers of one deployment do: the stalled check runs once per interval for the
    // whole queue, gated by a key that lives as long as the interval of the worker that last ran it.
    const doomed = startNodeScript(
      `
      import { Worker } from 'bullmq';
      import { Redis } from 'ioredis';
      const connection = new Redis(process.env.REDIS_URL, { maxRetriesPerRequest: null });
      new Worker(process.env.QUEUE, async (job) => {
        console.log('started ' + job.id);
        await new Promise(() => {});
      }, { connection, prefix: process.env.PREFIX, lockDuration: ${lockDurationMs}, stalledInterval: ${stalledIntervalMs} });
      `,
      { REDIS_URL: redisUrl, PREFIX: prefix, QUEUE: name },
    );
    children.push(doomed.child);
    await waitFor(() => doomed.output().includes(`started ${id}`), {
      timeoutMs: 15_000,
      description: 'the doomed worker to take the job',
    });
    await expect(queue.getJob(name, id)).resolves.toMatchObject({ state: 'active' });

    doomed.child.kill('SIGKILL');
    await doomed.exited;
    const killedAt = performance.now();
    const attempts: number[] = [];
    await queue.process<{ file: string }, string>(name, async (job) => {
      attempts.push(job.attempt);
      return `imported ${job.data.file}`;
    });

    await expect(queue.waitForResult(name, id, 15_000)).resolves.toBe('imported weights.bin');
    const recoveredAfterMs = performance.now() - killedAt;
    // The lock expires, then one checker pass marks the job and the next moves it back to waiting.
    expect(recoveredAfterMs).toBeLessThan(lockDurationMs + 2 * stalledIntervalMs + 2_000);
    // The killed attempt never finished, so it does not count as one.
    expect(attempts).toEqual([1]);
    await expect(queue.getJob(name, id)).resolves.toMatchObject({ state: 'completed', attemptsMade: 1 });
  }, 45_000);

  it('shows a job waiting out its backoff as waiting, with the failed attempt counted, and doubles the delay', async () => {
    const { logger, text } = capturingLogger();
    const queue = open({ prefix: newPrefix(), logger });
    const name = 'backoff';
    const id = `flaky-${randomUUID()}`;
    const backoffMs = 400;
    const starts: number[] = [];
    await queue.process<null, string>(name, async (job) => {
      starts.push(performance.now());
      if (job.attempt < 3) throw new Error(`registry hiccup ${job.attempt}`);
      return 'done';
    });

    await queue.enqueue(name, null, { id, attempts: 3, backoffMs });

    await waitFor(() => starts.length === 1, { description: 'the first attempt' });
    await waitFor(async () => (await queue.getJob(name, id))?.attemptsMade === 1, { description: 'the first failure' });
    const between = await queue.getJob(name, id);
    expect(between).toMatchObject({ state: 'waiting', attemptsMade: 1 });
    // A reason only once the job has failed for good, as in the in-process queue.
    expect(between?.failedReason).toBeUndefined();
    expect(starts).toHaveLength(1);

    await expect(queue.waitForResult(name, id, 10_000)).resolves.toBe('done');
    expect(starts[1] - starts[0]).toBeGreaterThanOrEqual(backoffMs * 0.9);
    expect(starts[2] - starts[1]).toBeGreaterThanOrEqual(2 * backoffMs * 0.9);
    await expect(queue.getJob(name, id)).resolves.toMatchObject({ state: 'completed', attemptsMade: 3 });
    // Each failed attempt is logged with its reason, so a retry storm shows in the logs.
    expect(text()).toContain('registry hiccup 1');
    expect(text()).toContain('registry hiccup 2');
  }, 30_000);

  it('lets exactly one of two queue instances create a job when both enqueue its id at once', async () => {
    const prefix = newPrefix();
    const first = open({ prefix });
    const second = open({ prefix });
    const name = 'dedupe-race';
    const ids = Array.from({ length: 25 }, () => `import-${randomUUID()}`);

    const outcomes = await Promise.all(
      ids.map((id) =>
        Promise.all([
          first.enqueue(name, { by: 'first' }, { id }),
          second.enqueue(name, { by: 'second' }, { id }),
        ]),
      ),
    );

    for (const [index, [a, b]] of outcomes.entries()) {
      expect([a.deduplicated, b.deduplicated].sort()).toEqual([false, true]);
      // The one that says it created the job is the one whose data was stored.
      const stored = await first.getJob<{ by: string }>(name, ids[index]);
      expect(stored?.data.by).toBe(a.deduplicated ? 'second' : 'first');
    }
    const runs: string[] = [];
    await second.process<{ by: string }, null>(name, async (job) => {
      runs.push(job.id);
      return null;
    });
    await Promise.all(ids.map((id) => first.waitForResult(name, id, 10_000)));
    expect(runs.sort()).toEqual([...ids].sort());
  }, 30_000);

  it('reports de-duplication correctly when another process adds the same ids at the same moment', async () => {
    const prefix = newPrefix();
    const queue = open({ prefix });
    const name = 'dedupe-foreign';
    const ids = Array.from({ length: 200 }, (_, index) => `job-${index}-${randomUUID()}`);
    // Both sides start adding at this moment, so either may win any id.
    const startAt = Date.now() + 2_000;
    const foreign = startNodeScript(
      `
      import { Queue } from 'bullmq';
      import { Redis } from 'ioredis';
      const ids = JSON.parse(process.env.IDS);
      const queue = new Queue(process.env.QUEUE, { connection: new Redis(process.env.REDIS_URL), prefix: process.env.PREFIX });
      await queue.waitUntilReady();
      console.log('ready');
      await new Promise((resolve) => setTimeout(resolve, Number(process.env.START_AT) - Date.now()));
      await Promise.all(ids.map((id) => queue.add('foreign', { by: 'foreign' }, { jobId: id })));
      console.log('done');
      process.exit(0);
      `,
      { REDIS_URL: redisUrl, PREFIX: prefix, QUEUE: name, IDS: JSON.stringify(ids), START_AT: String(startAt) },
    );
    children.push(foreign.child);
    await queue.ping();
    await waitFor(() => foreign.output().includes('ready'), { timeoutMs: 10_000, description: 'the other process' });
    expect(Date.now()).toBeLessThan(startAt);
    await sleep(startAt - Date.now());
    const results = await Promise.all(ids.map((id) => queue.enqueue(name, { by: 'adapter' }, { id })));
    await waitFor(() => foreign.output().includes('done'), { timeoutMs: 10_000, description: 'the other process to finish' });

    for (const [index, result] of results.entries()) {
      const stored = await queue.getJob<{ by: string }>(name, ids[index]);
      expect(stored?.data.by).toBe(result.deduplicated ? 'foreign' : 'adapter');
    }
  }, 30_000);

  it('misses no finish while the events reader of a fresh queue instance starts', async () => {
    const prefix = newPrefix();
    const producer = open({ prefix });
    const name = 'events-start';
    const ids = Array.from({ length: 300 }, () => randomUUID());
    for (const id of ids) await producer.enqueue(name, null, { id });
    let done = 0;
    await producer.process(
      name,
      async (job) => {
        await sleep(2);
        done += 1;
        return job.id;
      },
      { concurrency: 20 },
    );
    await waitFor(() => done >= 20, { description: 'jobs to be finishing' });

    // A new instance has no QueueEvents yet: these waits start while jobs keep finishing, the window
    // in which a reader starting at `$` misses finishes (each miss then costs a whole timeout).
    const waiter = open({ prefix });
    const startedAt = performance.now();
    await expect(Promise.all(ids.map((id) => waiter.waitForResult(name, id, 5_000)))).resolves.toEqual(ids);
    expect(performance.now() - startedAt).toBeLessThan(3_000);
  }, 30_000);

  it('forgets the oldest finished jobs beyond keepFinishedJobs, which frees their ids', async () => {
    const queue = open({ prefix: newPrefix(), keepFinishedJobs: 2 });
    let runs = 0;
    await queue.process('q', async () => (runs += 1));
    for (const id of ['a', 'b', 'c']) {
      await queue.enqueue('q', null, { id });
      await queue.waitForResult('q', id, 5_000);
    }

    await expect(queue.getJob('q', 'a')).resolves.toBeNull();
    await expect(queue.getJob('q', 'b')).resolves.toMatchObject({ state: 'completed' });
    await expect(queue.enqueue('q', null, { id: 'a' })).resolves.toEqual({ id: 'a', deduplicated: false });
    await expect(queue.waitForResult('q', 'a', 5_000)).resolves.toBe(4);
  });

  it('rejects pending waitForResult calls at once when the queue closes', async () => {
    const queue = open({ prefix: newPrefix() });
    await queue.enqueue('q', null, { id: 'never-processed' });
    const waiting = queue.waitForResult('q', 'never-processed', 20_000);
    waiting.catch(() => undefined); // asserted below; keeps Node from calling it unhandled meanwhile
    await sleep(100);

    const closedAt = performance.now();
    await queue.close();

    await expect(waiting).rejects.toThrow('job queue closed before job never-processed in q finished');
    expect(performance.now() - closedAt).toBeLessThan(2_000);
  });

  it('rejects waitForResult for a job it never had, and queue names BullMQ would misread', async () => {
    const queue = open({ prefix: newPrefix() });
    await expect(queue.waitForResult('q', 'ghost', 100)).rejects.toThrow('no job ghost in queue q');
    await expect(queue.enqueue('a:b', null, { id: 'x' })).rejects.toThrow("cannot contain ':'");
  });

  it('fails ping quickly when Redis is unreachable, without the password in the error or the logs', async () => {
    const secret = `pw-${randomUUID()}`;
    const { logger, text } = capturingLogger();
    const url = `redis://modelyard:${secret}@127.0.0.1:${await freePort()}`;
    const queue = new BullMqJobQueue({ url, logger });
    opened.push({ queue, prefix: 'modelyard-unreachable-none' });

    const startedAt = performance.now();
    const failure = await queue.ping().then(
      () => new Error('ping succeeded'),
      (error: unknown) => error,
    );

    expect(failure).toBeInstanceOf(Error);
    expect((failure as Error).message).toMatch(/redis is unreachable/);
    expect(performance.now() - startedAt).toBeLessThan(3_000);
    expect(JSON.stringify(failure, Object.getOwnPropertyNames(failure))).not.toContain(secret);
    expect(text()).not.toContain(secret);
    expect(() => new BullMqJobQueue({ url: `http://user:${secret}@example` })).toThrow(/must start with redis/);
    try {
      new BullMqJobQueue({ url: `http://user:${secret}@example` });
    } catch (error: unknown) {
      expect(String(error)).not.toContain(secret);
    }
  });
});
