// Test-call latency through the whole path against a direct `session.run` of the same model.
//
//   npm run build && node bench/test-call-latency.mjs [--modes standalone,distributed] [--rounds 3]
//        [--calls 2000] [--warmup 200] [--concurrency 1,32] [--out bench/out/test-call-latency] [--profile]
//
// --profile: every Modelyard process runs with --cpu-prof (<out>/profile/<name>/*.cpuprofile; read
// them with bench/cpuprofile-top.mjs); the latencies of such a run are not the ones to report.
//
// The model is y = x·W + b with W 64×64 and b 64 (float32), built by the testing library's ONNX
// factory (compiled from libs/testing/src to bench/out/testing-js at start: that library is
// TypeScript only). It is uploaded through `POST /api/v1/ai-models/{id}/files` and called with
// `POST /api/v1/ai-models/{id}/test`; the baseline is onnxruntime-node's InferenceSession on the
// same bytes, in this process, with the same input, the same number of calls and the same
// concurrency (c concurrent loops). Each round measures, for each concurrency, the baseline and
// Modelyard one after the other (the order alternates), after a warm-up of its own; the table gives
// medians over the rounds. For the breakdown, each round also measures the "front half": the same
// test call on a model that has no ONNX file, which goes the same way as far as the job queue (HTTP,
// auth, validation, the registry's lookup of the model) and is refused there with 422; and the CPU
// time each process spent per call (from /proc, over the measured calls).
//
// Modes: standalone = `services/standalone/dist/main.js` as a child process with a fresh data folder
// (embedded database, in-process bus and queue, local disk); distributed = registry, metrics,
// ingest, inference and gateway as five processes on PostgreSQL (a scratch database, dropped at the
// end), Kafka, Redis (BullMQ in a Redis database of its own, emptied at the end) and S3 (a scratch
// bucket, removed at the end), from `deploy/local/infra.sh` (started if needed, and then stopped).
//
// Results: <out>/results.json and <out>/results.md (also printed); process logs in <out>/logs/.
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { compileTestingHelpers, createHarness, log, measureLatency, median, percentile, ROOT } from './lib/harness.mjs';

const { values: opts } = parseArgs({
  options: {
    modes: { type: 'string', default: 'standalone,distributed' },
    rounds: { type: 'string', default: '3' },
    calls: { type: 'string', default: '2000' },
    warmup: { type: 'string', default: '200' },
    concurrency: { type: 'string', default: '1,32' },
    out: { type: 'string', default: join(ROOT, 'bench/out/test-call-latency') },
    profile: { type: 'boolean', default: false },
  },
});
const MODES = opts.modes.split(',');
const ROUNDS = Number(opts.rounds);
const CALLS = Number(opts.calls);
const WARMUP = Number(opts.warmup);
const CONCURRENCIES = opts.concurrency.split(',').map(Number);
const OUT = resolve(opts.out);
const TOKEN = `bench-admin-${randomBytes(12).toString('hex')}`;
const SIZE = 64;
/** A Redis database for BullMQ that nobody else uses, so other runs' workers cannot take our jobs. */
const REDIS_DB = 13;

rmSync(OUT, { recursive: true, force: true });
mkdirSync(join(OUT, 'logs'), { recursive: true });
const WORK = mkdtempSync(join(tmpdir(), 'modelyard-bench-tcl-'));
// Clean-up of everything this run starts or creates, whatever happens.
const { cleanUp, startStandalone, startDistributed } = createHarness({ out: OUT, profile: opts.profile, work: WORK });

/** `CALLS` calls over `concurrency` loops after `WARMUP` (the harness's measureLatency). */
const measure = (call, concurrency, pids = {}) => measureLatency(call, { concurrency, calls: CALLS, warmup: WARMUP, pids });

async function main() {
  log(`machine: ${cpus().length} × ${cpus()[0]?.model}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}, load ${readFileSync('/proc/loadavg', 'utf8').trim()}`);
  const testing = compileTestingHelpers();
  const { linearOnnxModel } = await import(join(testing, 'onnx-model.factory.js'));
  const ort = await import('onnxruntime-node');

  // Deterministic weights and input, small enough that the model's own time is a few microseconds.
  const value = (i) => Math.round(Math.sin(i * 12.9898) * 1000) / 1000;
  const weights = Array.from({ length: SIZE }, (_, i) => Array.from({ length: SIZE }, (_, j) => value(i * SIZE + j)));
  const bias = Array.from({ length: SIZE }, (_, j) => value(10_000 + j));
  const onnx = linearOnnxModel({ weights, bias });
  const x = Array.from({ length: SIZE }, (_, i) => value(20_000 + i));
  const body = JSON.stringify({ input_data: { inputs: { x: [x] } } });

  // The baseline: the worker's own way of creating the session (from the model's bytes, CPU provider).
  const session = await ort.InferenceSession.create(onnx, { executionProviders: ['cpu'] });
  const xData = Float32Array.from(x);
  const baselineCall = async () => {
    const out = await session.run({ x: new ort.Tensor('float32', xData, [1, SIZE]) });
    if (out.y.data.length !== SIZE) throw new Error('baseline: wrong output size');
  };
  const expected = Array.from((await session.run({ x: new ort.Tensor('float32', xData, [1, SIZE]) })).y.data);

  const results = { date: new Date().toISOString(), calls: CALLS, warmup: WARMUP, rounds: ROUNDS, modes: {} };
  for (const mode of MODES) {
    log(`${mode}: starting`);
    const system = mode === 'standalone' ? await startStandalone({ token: TOKEN }) : await startDistributed({ token: TOKEN, prefix: 'bench_tcl', redisDb: REDIS_DB });
    const auth = { authorization: `Bearer ${TOKEN}` };
    const created = await fetch(`${system.url}/api/v1/ai-models`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ name: `bench-linear-${randomBytes(4).toString('hex')}`, version: '1.0', type: 'custom', framework: 'onnx', source: 'upload' }),
    });
    if (created.status !== 201) throw new Error(`create: ${created.status} ${await created.text()}`);
    const model = await created.json();
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(onnx)]), 'linear64.onnx');
    const uploaded = await fetch(`${system.url}/api/v1/ai-models/${model.id}/files`, { method: 'POST', headers: auth, body: form });
    if (uploaded.status !== 201) throw new Error(`upload: ${uploaded.status} ${await uploaded.text()}`);

    const serverLatencies = [];
    const testUrl = `${system.url}/api/v1/ai-models/${model.id}/test`;
    const headers = { ...auth, 'content-type': 'application/json' };
    let recordServer = false;
    const modelyardCall = async () => {
      const response = await fetch(testUrl, { method: 'POST', headers, body });
      const text = await response.text();
      if (response.status !== 200) throw new Error(`test call: ${response.status} ${text}`);
      if (recordServer) serverLatencies.push(JSON.parse(text).latency_ms);
    };
    // For the breakdown: the same test call on a model without an ONNX file goes the same way up to
    // the job queue (HTTP, auth, body validation, the registry's lookup of the model) and is refused
    // there with 422, so it times everything in front of the queue.
    const bare = await fetch(`${system.url}/api/v1/ai-models`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ name: `bench-no-file-${randomBytes(4).toString('hex')}`, version: '1.0', type: 'custom', framework: 'onnx', source: 'upload' }),
    });
    if (bare.status !== 201) throw new Error(`create: ${bare.status} ${await bare.text()}`);
    const frontUrl = `${system.url}/api/v1/ai-models/${(await bare.json()).id}/test`;
    const lookupCall = async () => {
      const response = await fetch(frontUrl, { method: 'POST', headers, body });
      const text = await response.text();
      if (response.status !== 422 || !/no ONNX file/.test(text)) throw new Error(`front half: ${response.status} ${text}`);
    };
    // Same answer as the direct run, before measuring anything.
    const first = await fetch(testUrl, { method: 'POST', headers, body });
    const answer = await first.json();
    if (first.status !== 200) throw new Error(`first test call: ${first.status} ${JSON.stringify(answer)}`);
    const got = answer.output.y.data[0];
    if (got.length !== SIZE || got.some((v, j) => Math.abs(v - expected[j]) > 1e-4)) throw new Error('Modelyard and the direct run disagree');

    const pids = Object.fromEntries([...system.processes.map((p) => [p.name, p.pid]), ...Object.entries(system.extraPids ?? {})]);
    const rounds = [];
    for (let round = 0; round < ROUNDS; round++) {
      for (const c of CONCURRENCIES) {
        const order = round % 2 === 0 ? ['baseline', 'modelyard', 'lookup'] : ['lookup', 'modelyard', 'baseline'];
        const entry = { round, concurrency: c };
        for (const target of order) {
          if (target === 'lookup') {
            entry.lookup = await measure(lookupCall, c, pids);
          } else if (target === 'baseline') {
            entry.baseline = await measure(baselineCall, c, { bench: process.pid });
          } else {
            serverLatencies.length = 0;
            recordServer = true;
            entry.modelyard = await measure(modelyardCall, c, pids);
            recordServer = false;
            // The warm-up's answers are recorded too; keep only the measured calls.
            const measured = serverLatencies.slice(-CALLS).sort((a, b) => a - b);
            entry.modelyard.serverP50 = percentile(measured, 50);
            entry.modelyard.serverP99 = percentile(measured, 99);
          }
        }
        log(`${mode} round ${round + 1} c=${c}: baseline p50 ${entry.baseline.p50.toFixed(3)} p99 ${entry.baseline.p99.toFixed(3)} | modelyard p50 ${entry.modelyard.p50.toFixed(3)} p99 ${entry.modelyard.p99.toFixed(3)} (${entry.modelyard.perSecond.toFixed(0)}/s), server p50 ${entry.modelyard.serverP50.toFixed(3)} | front half p50 ${entry.lookup.p50.toFixed(3)}`);
        rounds.push(entry);
      }
    }
    results.modes[mode] = { rounds };
    for (const proc of [...system.processes].reverse()) await proc.stop();
  }
  writeFileSync(join(OUT, 'results.json'), JSON.stringify(results, null, 2));
  const md = report(results);
  writeFileSync(join(OUT, 'results.md'), md);
  console.log(md);
}

function report(results) {
  const f = (v, digits = 2) => (Number.isFinite(v) ? v.toFixed(digits) : '–');
  const range = (values, digits = 2) => {
    const ok = values.filter(Number.isFinite);
    return ok.length > 1 ? ` (${f(Math.min(...ok), digits)}–${f(Math.max(...ok), digits)})` : '';
  };
  const lines = [
    `Test-call latency, ${results.calls} calls after ${results.warmup} warm-up, median of ${results.rounds} rounds (min–max), ms. ${results.date}`,
    '',
    '| mode | c | baseline p50 | baseline p99 | Modelyard p50 | Modelyard p99 | added p50 | added p99 | server latency_ms p50 | Modelyard calls/s | baseline calls/s | front half p50 | front half p99 |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  const cpuLines = [];
  for (const [mode, { rounds }] of Object.entries(results.modes)) {
    for (const c of [...new Set(rounds.map((r) => r.concurrency))]) {
      const rs = rounds.filter((r) => r.concurrency === c);
      const col = (get) => rs.map(get);
      const cell = (get, digits = 2) => `${f(median(col(get)), digits)}${range(col(get), digits)}`;
      lines.push(
        `| ${mode} | ${c} | ${cell((r) => r.baseline.p50, 3)} | ${cell((r) => r.baseline.p99, 3)} | ${cell((r) => r.modelyard.p50)} | ${cell((r) => r.modelyard.p99)} | ` +
          `**${cell((r) => r.modelyard.p50 - r.baseline.p50)}** | ${cell((r) => r.modelyard.p99 - r.baseline.p99)} | ${cell((r) => r.modelyard.serverP50, 3)} | ` +
          `${cell((r) => r.modelyard.perSecond, 0)} | ${cell((r) => r.baseline.perSecond, 0)} | ${cell((r) => r.lookup.p50)} | ${cell((r) => r.lookup.p99)} |`,
      );
      const names = Object.keys(rs[0].modelyard.cpuPerCall);
      const cpu = (target) => names.map((n) => `${n} ${f(median(col((r) => r[target].cpuPerCall[n])), 2)}`).join(', ');
      cpuLines.push(`| ${mode} | ${c} | ${cpu('modelyard')} | ${cpu('lookup')} | ${f(median(col((r) => r.baseline.cpuPerCall.bench)), 3)} |`);
    }
  }
  lines.push('', 'CPU per call (ms, user + system, from /proc; medians):', '', '| mode | c | test call: Modelyard processes | front half: Modelyard processes | baseline (bench process) |', '|---|---|---|---|---|', ...cpuLines);
  const verdict = (mode, target) => {
    const rounds = results.modes[mode]?.rounds;
    if (!rounds) return undefined;
    return [...new Set(rounds.map((r) => r.concurrency))].map((c) => {
      const added = median(rounds.filter((r) => r.concurrency === c).map((r) => r.modelyard.p50 - r.baseline.p50));
      return `c=${c}: added p50 ${f(added)} ms (target ≤ ${target} ms: ${added <= target ? 'met' : 'NOT met'})`;
    }).join('; ');
  };
  lines.push('');
  for (const [mode, target] of [['standalone', 3], ['distributed', 10]]) {
    const v = verdict(mode, target);
    if (v) lines.push(`- ${mode}: ${v}`);
  }
  return `${lines.join('\n')}\n`;
}

try {
  await main();
} catch (error) {
  console.error(error);
  process.exitCode = 1;
} finally {
  await cleanUp();
}
