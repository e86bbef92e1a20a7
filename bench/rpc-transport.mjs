// Gateway ↔ registry transport: the round trip of one request/response through Nest's TCP
// transport (the choice for distributed mode), Nest's Redis transport (the obvious alternative on
// infrastructure we run anyway) and the in-process transport (standalone), with the payload of a
// typical list page (50 models). Usage: node bench/rpc-transport.mjs [redis-url]
// Needs `npm run build` (for the in-process transport) and, for Redis, deploy/local/infra.sh up redis.
import 'reflect-metadata';
import { Controller, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ClientProxyFactory, MessagePattern, Transport } from '@nestjs/microservices';
import { firstValueFrom } from 'rxjs';
import { InProcessRpcClient, InProcessRpcServer } from '@modelyard/platform';

const redisUrl = process.argv[2] ?? 'redis://127.0.0.1:56379';
const RUNS = 3;
const SEQUENTIAL = 2000;
const CONCURRENT = 32;
const CONCURRENT_TOTAL = 8000;

const page = {
  items: Array.from({ length: 50 }, (_, i) => ({
    id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    name: `model-${i}`, version: '1.0', type: 'llm', framework: 'onnx', source: 'upload', status: 'active',
    status_message: null, description: 'a model used to measure the transport', endpoint: null, tags: ['a', 'b'],
    config: { input_format: null, output_format: null, parameters: {}, env: {} }, accuracy: 0.9, latency_ms: 12,
    owner: 'admin', created_at: new Date().toISOString(), updated_at: new Date().toISOString(),
  })),
  total: 1000, page: 1, page_size: 50,
};

class BenchController {
  list(query) {
    return { ...page, page: query?.page ?? 1 };
  }
}
Controller()(BenchController);
MessagePattern('bench.list')(BenchController.prototype, 'list', Object.getOwnPropertyDescriptor(BenchController.prototype, 'list'));
class BenchModule {}
Module({ controllers: [BenchController] })(BenchModule);

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function measure(client) {
  for (let i = 0; i < 200; i++) await firstValueFrom(client.send('bench.list', { page: 1 })); // warm-up
  const latencies = [];
  for (let i = 0; i < SEQUENTIAL; i++) {
    const t = performance.now();
    await firstValueFrom(client.send('bench.list', { page: i }));
    latencies.push(performance.now() - t);
  }
  latencies.sort((a, b) => a - b);
  let sent = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENT }, async () => {
      while (sent < CONCURRENT_TOTAL) {
        sent++;
        await firstValueFrom(client.send('bench.list', { page: 1 }));
      }
    }),
  );
  const rps = CONCURRENT_TOTAL / ((performance.now() - started) / 1000);
  return { p50: percentile(latencies, 50), p99: percentile(latencies, 99), rps };
}

async function transport(name, serverOptions, makeClient) {
  const app = await NestFactory.createMicroservice(BenchModule, { ...serverOptions, logger: false });
  await app.listen();
  const client = makeClient();
  await client.connect();
  const runs = [];
  for (let r = 0; r < RUNS; r++) runs.push(await measure(client));
  await client.close();
  await app.close();
  return { name, p50: median(runs.map((x) => x.p50)), p99: median(runs.map((x) => x.p99)), rps: median(runs.map((x) => x.rps)) };
}

const results = [];
const inProcess = new InProcessRpcServer();
results.push(await transport('in-process (standalone)', { strategy: inProcess }, () => new InProcessRpcClient(inProcess)));
results.push(
  await transport('TCP (distributed, chosen)', { transport: Transport.TCP, options: { host: '127.0.0.1', port: 4901 } }, () =>
    ClientProxyFactory.create({ transport: Transport.TCP, options: { host: '127.0.0.1', port: 4901 } }),
  ),
);
const redis = new URL(redisUrl);
const redisOptions = { host: redis.hostname, port: Number(redis.port) };
try {
  results.push(
    await transport('Redis pub/sub', { transport: Transport.REDIS, options: redisOptions }, () =>
      ClientProxyFactory.create({ transport: Transport.REDIS, options: redisOptions }),
    ),
  );
} catch (error) {
  console.error(`Redis transport skipped: ${error.message}`);
}

console.log(`| transport | p50 ms (sequential) | p99 ms (sequential) | req/s at concurrency ${CONCURRENT} |`);
console.log('|---|---|---|---|');
for (const r of results) console.log(`| ${r.name} | ${r.p50.toFixed(3)} | ${r.p99.toFixed(3)} | ${Math.round(r.rps)} |`);
process.exit(0);
