// Usage aggregation throughput: how fast the metrics service's UsageConsumer folds usage events
// from Kafka into PostgreSQL, against a kafkajs consumer that does nothing with the same events.
//
//   bash deploy/local/infra.sh up pg kafka && eval "$(bash deploy/local/infra.sh env)"
//   npm run build && node bench/metrics-aggregation.mjs [events=500000] [runs=3]
//   BENCH_PROFILE=1 ...: also CPU-profiles the last UsageConsumer run (bench/out/metrics-aggregation.cpuprofile;
//   summarise with node bench/cpuprofile-top.mjs)
//
// It publishes the events once, to a topic of its own (deleted at the end) so that no metrics
// service on the same broker reads them, with the bytes and partitioning KafkaEventBus uses; then
// runs each of these `runs` times, one after the other in every round:
//   (a) a no-op kafkajs consumer with eachBatch, with the fetch sizes KafkaEventBus gives batch
//       subscriptions, and (a') with kafkajs's default fetch sizes;
//   (b) the real UsageConsumer (Nest, the KafkaEventBus batch path with its parsing and
//       validation, UsageRepository on a scratch PostgreSQL database), and (b') the same on a bus
//       configured with kafkajs's default fetch sizes: what the fetch tuning is worth.
// Each run is a new consumer group reading the bench topic from its start (the UsageConsumer's
// group and topic are swapped for the bench's in its subscription, the rest left as it is). A rate
// is events / seconds from the moment the consumer has joined its group (it fetches from then on)
// to its last event. Medians are compared: (b) / (a) is the ratio. The machine's CPU use over each
// run comes from /proc/stat, per process from /proc/<pid>/stat. The scratch database is dropped.
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { mkdtemp, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { tmpdir, cpus } from 'node:os';
import { join } from 'node:path';
import { NestFactory } from '@nestjs/core';
import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import kafkajs from 'kafkajs';
import pg from 'pg';
import { TOPICS, USAGE_ERROR_CLASSES } from '@modelyard/contracts';
import { createLogger, createPlatform, KAFKA_EVENT_HEADERS, KafkaEventBus, loadConfig, PlatformModule } from '@modelyard/platform';
import { metricsDataSourceOptions, runMetricsMigrations, USAGE_CONSUMER_GROUP } from '@modelyard/metrics';
import { UsageModule } from '../services/metrics/dist/usage/usage.module.js';

const TOTAL = Number(process.argv[2] ?? 500_000);
const RUNS = Number(process.argv[3] ?? 3);
const MODELS = 200;
const TOPIC = `modelyard-bench.usage-events.${randomUUID().slice(0, 8)}`;
const brokers = process.env.MODELYARD_KAFKA_BROKERS?.split(',');
const serverUrl = process.env.MODELYARD_DATABASE_URL;
if (!brokers || !serverUrl) {
  console.error('MODELYARD_KAFKA_BROKERS and MODELYARD_DATABASE_URL must be set: eval "$(bash deploy/local/infra.sh env)"');
  process.exit(2);
}
// What KafkaEventBus gives a batch subscription by default (KafkaConsumerTuning): the baseline
// fetches the same way, so the comparison is of what happens to the events, not of fetch sizes.
const BATCH_FETCH = { minBytes: 64 * 1024, maxBytesPerPartition: 4 * 1024 * 1024, maxBytes: 32 * 1024 * 1024, maxWaitTimeInMs: 1_000 };
const KAFKAJS_FETCH = { minBytes: 1, maxBytesPerPartition: 1024 * 1024, maxBytes: 10 * 1024 * 1024, maxWaitTimeInMs: 1_000 };
const BATCH_CONCURRENCY = 2;

const kafka = new kafkajs.Kafka({ brokers, clientId: 'modelyard-bench', logLevel: kafkajs.logLevel.NOTHING });
const admin = kafka.admin();
await admin.connect();

// ------------------------------------------------------------------------------------------------
// Events: MODELS models, spread over the last 50 minutes, log-normal latencies, 5% failures.

function random(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const next = random(42);
const gaussian = () => Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
const models = Array.from({ length: MODELS }, () => randomUUID());
const origin = Date.now() - 55 * 60_000;
function usageEvent(i) {
  const modelId = models[Math.floor(next() * MODELS)];
  const failed = next() < 0.05;
  return {
    id: randomUUID(),
    type: 'usage.recorded',
    key: modelId,
    occurred_at: new Date(origin + Math.floor((i * 50 * 60_000) / TOTAL)).toISOString(),
    payload: {
      model_id: modelId,
      actor: 'bench',
      kind: next() < 0.1 ? 'test' : 'invoke',
      outcome: failed ? 'failure' : 'success',
      error_class: failed ? USAGE_ERROR_CLASSES[Math.floor(next() * USAGE_ERROR_CLASSES.length)] : null,
      latency_ms: Math.round(Math.exp(3 + gaussian()) * 1000) / 1000,
      worker: `worker-${i % 4}`,
    },
  };
}

// ------------------------------------------------------------------------------------------------
// Publish once, as KafkaEventBus.publish would: JSON bytes, its headers, keyed by model id with
// Java's murmur2 partitioner, idempotent, acks from all replicas, requests of at most 512 KiB.

await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: TOPICS.usageEvents.partitions }], waitForLeaders: true });
const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: kafkajs.Partitioners.DefaultPartitioner });
await producer.connect();
const publishStarted = performance.now();
for (let sent = 0; sent < TOTAL; ) {
  const messages = [];
  for (let bytes = 0; bytes < 512 * 1024 && sent < TOTAL; sent++) {
    const event = usageEvent(sent);
    const value = JSON.stringify(event);
    bytes += value.length;
    messages.push({ key: event.key, value, headers: { [KAFKA_EVENT_HEADERS.eventId]: event.id, [KAFKA_EVENT_HEADERS.eventType]: event.type } });
  }
  await producer.send({ topic: TOPIC, messages, acks: -1 });
}
const publishSeconds = (performance.now() - publishStarted) / 1000;
await producer.disconnect();
const published = (await admin.fetchTopicOffsets(TOPIC)).reduce((sum, { high }) => sum + Number(high), 0);
if (published !== TOTAL) throw new Error(`expected ${TOTAL} events on ${TOPIC}, found ${published}`);
console.log(`published ${TOTAL} events in ${publishSeconds.toFixed(1)} s (${Math.round(TOTAL / publishSeconds)}/s)`);

/** Busy share of the machine's CPUs between two /proc/stat readings (all processes: Kafka and PostgreSQL too). */
const cpuTimes = async () => (await readFile('/proc/stat', 'utf8')).split('\n')[0].split(/\s+/).slice(1).map(Number);
const busyShare = (before, after) => {
  const delta = after.map((value, i) => value - before[i]);
  const total = delta.reduce((sum, value) => sum + value, 0);
  return 1 - (delta[3] + delta[4]) / total; // idle + iowait
};

/** CPU seconds (user + system) used so far by this process, by PostgreSQL's processes and by Kafka's JVM. */
async function cpuByProcess() {
  const seconds = { node: process.cpuUsage().user / 1e6 + process.cpuUsage().system / 1e6, postgres: 0, kafka: 0 };
  for (const pid of await readdir('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
    const name = /\((.*)\)/.exec(stat)?.[1];
    const owner = name === 'postgres' ? 'postgres' : name === 'java' ? 'kafka' : undefined;
    if (!owner) continue;
    // Fields after the name: state is 3rd, utime 14th, stime 15th (1-based over the whole line).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    seconds[owner] += (Number(fields[11]) + Number(fields[12])) / 100; // clock ticks (USER_HZ = 100)
  }
  return seconds;
}

/**
 * Rate from `since` (the consumer has joined its group: the first fetch is about to go out) to the
 * last event, sampling `count()` every 10 ms. Fetching is part of consuming, so it is inside.
 */
async function rateOf(since, count) {
  const [cpuBefore, byProcessBefore] = [await cpuTimes(), await cpuByProcess()];
  for (;;) {
    const now = performance.now();
    if (count() >= published) {
      const byProcess = await cpuByProcess();
      // CPU microseconds per event, per process: where the work goes.
      const perEvent = Object.fromEntries(
        Object.entries(byProcess).map(([name, total]) => [name, Number((((total - byProcessBefore[name]) * 1e6) / published).toFixed(1))]),
      );
      return { rate: published / ((now - since) / 1000), seconds: (now - since) / 1000, cpu: busyShare(cpuBefore, await cpuTimes()), perEvent };
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

// ------------------------------------------------------------------------------------------------
// (a) no-op consumer

async function runNoop(run, fetch) {
  const groupId = `bench-noop-${run}-${randomUUID().slice(0, 8)}`;
  const consumer = kafka.consumer({ groupId, ...fetch });
  let seen = 0;
  await consumer.connect();
  await consumer.subscribe({ topics: [TOPIC], fromBeginning: true });
  // run() resolves once the member has joined, as the bus's subscribe() does.
  await consumer.run({ partitionsConsumedConcurrently: BATCH_CONCURRENCY, eachBatch: async ({ batch }) => void (seen += batch.messages.length) });
  const result = await rateOf(performance.now(), () => seen);
  await consumer.disconnect();
  await admin.deleteGroups([groupId]).catch(() => undefined);
  return result;
}

// ------------------------------------------------------------------------------------------------
// (b) the UsageConsumer, in a Nest context of its own (the catalog consumer would replay the model
// events topic beside it and blur the figure), on a scratch database

const scratchName = `modelyard_bench_usage_${randomUUID().slice(0, 8)}`;
const root = new pg.Client({ connectionString: serverUrl });
await root.connect();
await root.query(`CREATE DATABASE ${scratchName}`);
const scratchUrl = new URL(serverUrl);
scratchUrl.pathname = `/${scratchName}`;
const dataDir = await mkdtemp(join(tmpdir(), 'modelyard-bench-'));

async function runUsage(run, fetch) {
  const config = loadConfig({
    MODELYARD_DATABASE_URL: scratchUrl.toString(),
    MODELYARD_KAFKA_BROKERS: brokers.join(','),
    MODELYARD_DATA_DIR: dataDir,
    MODELYARD_LOG_LEVEL: 'warn',
  });
  const platform = await createPlatform(config, createLogger(config), { mode: 'distributed', withDatabase: true });
  if (fetch === KAFKAJS_FETCH) {
    // The same bus, its batch subscriptions fetching as kafkajs does by default.
    await platform.eventBus.close();
    platform.eventBus = new KafkaEventBus({
      brokers,
      clientId: 'modelyard-distributed',
      consumer: { batchMinBytes: fetch.minBytes, batchMaxBytesPerPartition: fetch.maxBytesPerPartition, batchMaxBytes: fetch.maxBytes },
    });
  }
  const db = new pg.Client({ connectionString: scratchUrl.toString() });
  let app;
  try {
    await runMetricsMigrations(platform.database);
    await db.connect();
    await db.query('TRUNCATE metrics_usage_minutes, metrics_usage_claims');
    // The consumer's own group would be shared with any metrics service on this broker (an e2e
    // run beside the bench): a new group each run, on the bench's topic; `startFrom: 'earliest'`
    // as the UsageConsumer asks makes it read the topic from its start.
    const group = `bench-usage-${run}-${randomUUID().slice(0, 8)}`;
    let joined;
    const subscribe = platform.eventBus.subscribe.bind(platform.eventBus);
    platform.eventBus.subscribe = async (subscription) => {
      const handle = await subscribe({ ...subscription, group, topics: [TOPIC] });
      // From here the member fetches: the measurement starts.
      joined = performance.now();
      return handle;
    };

    class BenchUsageModule {}
    Module({ imports: [PlatformModule.forRoot(platform, 'metrics'), TypeOrmModule.forRoot(metricsDataSourceOptions(platform.database)), UsageModule] })(
      BenchUsageModule,
    );
    app = await NestFactory.createApplicationContext(BenchUsageModule, { logger: false });
    await app.init();
    let consumed = 0;
    const poll = setInterval(async () => {
      const { values } = await platform.metrics.eventsConsumed.get();
      consumed = values.filter(({ labels }) => labels.group === USAGE_CONSUMER_GROUP).reduce((sum, { value }) => sum + value, 0);
    }, 10);
    const result = await rateOf(joined, () => consumed);
    clearInterval(poll);
    await app.close();
    app = undefined;
    await admin.deleteGroups([group]).catch(() => undefined);
    const [{ calls, claims, rows }] = (
      await db.query(
        'SELECT (SELECT sum(calls)::int FROM metrics_usage_minutes) AS calls, (SELECT count(*)::int FROM metrics_usage_claims) AS claims, (SELECT count(*)::int FROM metrics_usage_minutes) AS rows',
      )
    ).rows;
    const batches = await platform.metrics.eventBatchSize.get();
    const batchCount = batches.values.find(({ metricName }) => metricName.endsWith('_count'))?.value ?? 0;
    // Every event counted once: as many calls as claims, and no fewer than were published.
    if (calls !== claims || claims < published) throw new Error(`run ${run}: aggregated ${calls} calls and ${claims} claims, expected ${published}`);
    return { ...result, rows, batches: batchCount };
  } finally {
    await app?.close();
    await db.end().catch(() => undefined);
    await platform.eventBus.close();
    await platform.close();
  }
}

// ------------------------------------------------------------------------------------------------

/** Runs `fn` under the V8 CPU profiler and writes the profile to bench/out/. */
async function profiled(fn) {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  try {
    return await fn();
  } finally {
    const { profile } = await session.post('Profiler.stop');
    await mkdir(new URL('./out/', import.meta.url), { recursive: true });
    await writeFile(new URL('./out/metrics-aggregation.cpuprofile', import.meta.url), JSON.stringify(profile));
    session.disconnect();
  }
}

const VARIANTS = [
  ['noop', 'no-op', () => (run) => runNoop(run, BATCH_FETCH)],
  ['noopKafkajsFetch', "no-op, kafkajs fetch", () => (run) => runNoop(run, KAFKAJS_FETCH)],
  ['usage', 'UsageConsumer', (run) => (process.env.BENCH_PROFILE && run === RUNS ? (r) => profiled(() => runUsage(r, BATCH_FETCH)) : (r) => runUsage(r, BATCH_FETCH))],
  ['usageKafkajsFetch', 'UsageConsumer, kafkajs fetch', () => (run) => runUsage(run, KAFKAJS_FETCH)],
];
const results = Object.fromEntries(VARIANTS.map(([key]) => [key, []]));
let failed = false;
try {
  for (let run = 1; run <= RUNS; run++) {
    for (const [key, label, pick] of VARIANTS) {
      const result = await pick(run)(run);
      results[key].push(result);
      const extra = result.batches ? `; ${result.batches} batches, ${result.rows} minute rows` : '';
      const perEvent = Object.entries(result.perEvent).map(([name, us]) => `${name} ${us}`).join(', ');
      console.log(
        `run ${run}: ${label.padEnd(30)} ${Math.round(result.rate).toLocaleString('en').padStart(9)} events/s (${result.seconds.toFixed(2)} s, machine CPU ${Math.round(result.cpu * 100)}%; CPU µs/event: ${perEvent}${extra})`,
      );
    }
  }
} catch (error) {
  console.error(error);
  failed = true;
} finally {
  await root.query(`DROP DATABASE IF EXISTS ${scratchName} WITH (FORCE)`);
  await root.end();
  await admin.deleteTopics({ topics: [TOPIC] }).catch((error) => console.warn(`could not delete ${TOPIC}: ${error.message}`));
  await admin.disconnect();
  await rm(dataDir, { recursive: true, force: true });
}

if (failed) process.exit(1);

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const medians = Object.fromEntries(Object.entries(results).map(([key, runs]) => [key, median(runs.map((r) => r.rate))]));
const ratio = medians.usage / medians.noop;
const summary = {
  events: published,
  runs: RUNS,
  cpus: cpus().length,
  load_average: (await readFile('/proc/loadavg', 'utf8')).split(' ').slice(0, 3).map(Number),
  publish_rate: Math.round(TOTAL / publishSeconds),
  rates: Object.fromEntries(Object.entries(results).map(([key, runs]) => [key, runs.map((r) => Math.round(r.rate))])),
  machine_cpu: Object.fromEntries(Object.entries(results).map(([key, runs]) => [key, runs.map((r) => Number(r.cpu.toFixed(2)))])),
  cpu_us_per_event: Object.fromEntries(Object.entries(results).map(([key, runs]) => [key, runs.map((r) => r.perEvent)])),
  medians: Object.fromEntries(Object.entries(medians).map(([key, rate]) => [key, Math.round(rate)])),
  ratio: Number(ratio.toFixed(3)),
  targets: { events_per_second: medians.usage >= 50_000, half_of_noop: ratio >= 0.5 },
};
await mkdir(new URL('./out/', import.meta.url), { recursive: true });
await writeFile(new URL('./out/metrics-aggregation.json', import.meta.url), `${JSON.stringify(summary, null, 2)}\n`);
const fmt = (rate) => Math.round(rate).toLocaleString('en');
console.log(
  `\nmedian of ${RUNS}: no-op ${fmt(medians.noop)}/s, UsageConsumer ${fmt(medians.usage)}/s, ratio ${ratio.toFixed(2)}` +
    ` (targets: ≥ 50,000/s ${medians.usage >= 50_000 ? 'met' : 'MISSED'}, ≥ 0.5 ${ratio >= 0.5 ? 'met' : 'MISSED'});` +
    ` with kafkajs's default fetch sizes: no-op ${fmt(medians.noopKafkajsFetch)}/s, UsageConsumer ${fmt(medians.usageKafkajsFetch)}/s`,
);
process.exit(0);
