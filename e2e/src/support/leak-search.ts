import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';

const run = promisify(execFile);

/** Every message on Modelyard's Kafka topics (dead-letter topics included) written since `since` (ms). */
export async function kafkaMessagesSince(brokers: string[], since: number): Promise<string[]> {
  const kafka = new Kafka({ clientId: 'e2e-leak-search', brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const messages: string[] = [];
  try {
    const topics = (await admin.listTopics()).filter((topic) => topic.startsWith('modelyard.'));
    const consumer = kafka.consumer({ groupId: `e2e-leak-search-${process.pid}-${Date.now()}` });
    const starts = new Map<string, Array<{ partition: number; offset: string }>>();
    const remaining = new Map<string, bigint>();
    for (const topic of topics) {
      const fromTime = await admin.fetchTopicOffsetsByTimestamp(topic, since);
      const ends = await admin.fetchTopicOffsets(topic);
      starts.set(topic, fromTime);
      for (const { partition, offset } of fromTime) {
        const end = BigInt(ends.find((e) => e.partition === partition)!.high);
        const start = BigInt(offset === '-1' ? end : BigInt(offset));
        if (end > start) remaining.set(`${topic}/${partition}`, end);
      }
    }
    if (remaining.size === 0) return messages;
    await consumer.connect();
    await consumer.subscribe({ topics: [...new Set([...remaining.keys()].map((key) => key.slice(0, key.lastIndexOf('/'))))], fromBeginning: false });
    const done = new Promise<void>((resolve) => {
      void consumer.run({
        eachMessage: async ({ topic, partition, message }) => {
          messages.push(`${message.key?.toString() ?? ''} ${message.value?.toString() ?? ''} ${JSON.stringify(message.headers ?? {})}`);
          const key = `${topic}/${partition}`;
          const end = remaining.get(key);
          if (end !== undefined && BigInt(message.offset) + 1n >= end) remaining.delete(key);
          if (remaining.size === 0) resolve();
        },
      });
    });
    for (const [topic, offsets] of starts) {
      for (const { partition, offset } of offsets) if (offset !== '-1') consumer.seek({ topic, partition, offset });
    }
    await Promise.race([done, new Promise((_, reject) => setTimeout(() => reject(new Error(`Kafka read did not finish: ${[...remaining.keys()].join(', ')}`)), 60_000))]);
    await consumer.disconnect();
    return messages;
  } finally {
    await admin.disconnect();
  }
}

/** The whole database as `pg_dump` writes it (schema and data). */
export async function databaseDump(url: string): Promise<string> {
  const { stdout } = await run('pg_dump', ['--no-owner', url], { maxBuffer: 512 * 1024 * 1024 });
  return stdout;
}

/** Every value of the job queue's keys in Redis (BullMQ keeps job data in hashes). */
export async function redisValues(url: string): Promise<string[]> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 2 });
  await redis.connect();
  const values: string[] = [];
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', 'bull:*', 'COUNT', 1000);
      cursor = next;
      for (const key of keys) {
        const type = await redis.type(key);
        if (type === 'hash') values.push(JSON.stringify(await redis.hgetall(key)));
        else if (type === 'string') values.push((await redis.get(key)) ?? '');
        else if (type === 'list') values.push(JSON.stringify(await redis.lrange(key, 0, -1)));
      }
    } while (cursor !== '0');
    return values;
  } finally {
    redis.disconnect();
  }
}

/**
 * Every run of `length` characters of a secret: a message cut in the middle of a key, or one that
 * quotes only part of it, still gives most of it away. Runs of lower-case letters and hyphens only
 * ("endpoint-sec") are ordinary words, found in any text.
 */
export function secretRuns(secret: string, length = 12): string[] {
  return Array.from({ length: Math.max(0, secret.length - length + 1) }, (_, i) => secret.slice(i, i + length)).filter((run) => !/^[a-z-]+$/.test(run));
}
