import { randomUUID } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { describeJobQueueContract, deferred, waitFor } from './index.js';
import { InProcessJobQueue } from '@modelyard/platform';

describeJobQueueContract('InProcessJobQueue', async () => {
  const queue = new InProcessJobQueue();
  return { queue, cleanup: () => queue.close() };
});

describe('InProcessJobQueue', () => {
  it('rejects pending waitForResult calls when the queue closes', async () => {
    const queue = new InProcessJobQueue();
    await queue.enqueue('q', null, { id: 'never-processed' });
    const waiting = queue.waitForResult('q', 'never-processed', 10_000);

    await queue.close();

    await expect(waiting).rejects.toThrow('job queue closed before job never-processed in q finished');
  });

  it('forgets the oldest finished jobs beyond keepFinishedJobs, which frees their ids', async () => {
    const queue = new InProcessJobQueue({ keepFinishedJobs: 2 });
    let runs = 0;
    await queue.process('q', async () => (runs += 1));
    for (const id of ['a', 'b', 'c']) {
      await queue.enqueue('q', null, { id });
      await queue.waitForResult('q', id, 1_000);
    }

    await expect(queue.getJob('q', 'a')).resolves.toBeNull();
    await expect(queue.getJob('q', 'b')).resolves.toMatchObject({ state: 'completed' });
    await expect(queue.enqueue('q', null, { id: 'a' })).resolves.toEqual({ id: 'a', deduplicated: false });
    await expect(queue.waitForResult('q', 'a', 1_000)).resolves.toBe(4);
    await queue.close();
  });

  it('shares a queue between several workers', async () => {
    const queue = new InProcessJobQueue();
    const release = deferred();
    const byWorker = [0, 0];
    for (const index of [0, 1]) {
      await queue.process('q', async () => {
        byWorker[index] += 1;
        await release.promise;
      });
    }

    await queue.enqueue('q', null, { id: randomUUID() });
    await queue.enqueue('q', null, { id: randomUUID() });

    await waitFor(() => byWorker[0] + byWorker[1] === 2);
    expect(byWorker).toEqual([1, 1]);
    release.resolve();
    await queue.close();
  });

  it('copies data on enqueue, so later changes by the caller do not reach the job', async () => {
    const queue = new InProcessJobQueue();
    const data = { tags: ['a'] };
    await queue.enqueue('q', data, { id: 'copy' });
    data.tags.push('b');

    await queue.process<{ tags: string[] }, string[]>('q', async (job) => job.data.tags);

    await expect(queue.waitForResult('q', 'copy', 1_000)).resolves.toEqual(['a']);
    await queue.close();
  });

  it('rejects waitForResult for a job it never had', async () => {
    const queue = new InProcessJobQueue();
    await expect(queue.waitForResult('q', 'ghost', 100)).rejects.toThrow('no job ghost in queue q');
    await queue.close();
  });

  it('rejects invalid options', async () => {
    const queue = new InProcessJobQueue();
    await expect(queue.enqueue('q', null, { id: '' })).rejects.toThrow('a job needs an id');
    await expect(queue.enqueue('q', null, { id: 'x', attempts: 0 })).rejects.toThrow(RangeError);
    await expect(queue.process('q', async () => null, { concurrency: 0 })).rejects.toThrow(RangeError);
    await queue.close();
  });

  it('refuses enqueue and process once closed', async () => {
    const queue = new InProcessJobQueue();
    await queue.close();
    await expect(queue.enqueue('q', null, { id: 'x' })).rejects.toThrow('job queue is closed');
    await expect(queue.process('q', async () => null)).rejects.toThrow('job queue is closed');
  });
});
