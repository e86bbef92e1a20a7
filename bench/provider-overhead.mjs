// Proxy overhead of a provider call: an OpenAI chat completion through Modelyard's test call, against
// the same completion asked of the same OpenAI stand-in directly with the `openai` SDK.
//
//   npm run build && node bench/provider-overhead.mjs [--modes standalone,distributed] [--rounds 5]
//        [--calls 2000] [--warmup 200] [--concurrency 1,64] [--out bench/out/provider-overhead] [--profile]
//        [--provider-concurrency N]
//
// --profile: every Modelyard process and the stand-in run with --cpu-prof (<out>/profile/<name>/;
// read them with bench/cpuprofile-top.mjs); the latencies of such a run are not the ones to report.
// --provider-concurrency: MODELYARD_PROVIDER_CONCURRENCY for Modelyard (default: Modelyard's own, 32).
//
// The provider is the testing library's OpenAI stand-in (libs/testing/src/stand-ins, compiled to
// bench/out/testing-js at start: that library is TypeScript only), in a child process of its own
// (this file with --stand-in): it is the remote end of both paths, and in this process it would
// share one event loop with the baseline's 64 loops of SDK calls but not with Modelyard's own SDK
// calls, which run in Modelyard's process; the stand-in's CPU would then lengthen the baseline only.
//
// Modelyard (env MODELYARD_OPENAI_BASE_URL = the stand-in, MODELYARD_ALLOWED_ENDPOINT_HOSTS=127.0.0.1)
// registers `gpt-4o-mini` with the stand-in's key (`POST /api/v1/ai-models`, source openai; the key
// is validated with the stand-in) and is called with `POST /api/v1/ai-models/{id}/test`
// {input_data: {prompt, max_tokens: 16}}; the baseline is one `new OpenAI({ apiKey, baseURL,
// maxRetries: 0 })` in this process (Modelyard caches its client too) calling
// `chat.completions.create` with the same model, message and max_tokens. Before measuring, the
// stand-in must have received the same request body from both and both must give the same answer;
// after each measurement it must have served exactly one completion per call (no retries, nothing
// lost). Each round measures, for each concurrency, the baseline and Modelyard one after the other
// (the order alternates), each after a warm-up of its own; the table gives medians over the rounds.
// *worker call*: the `latency_ms` Modelyard's answer reports, the inference worker's time from
// opening the sealed key to the provider's parsed answer (so Modelyard p50 − worker call p50 is the
// platform around the call: HTTP, registry lookup, queue). CPU per call of every process from /proc.
//
// Modes: as bench/test-call-latency.mjs (standalone: one child process on a fresh data folder;
// distributed: five processes on a scratch database, Redis database 12, a scratch bucket and Kafka
// from deploy/local/infra.sh, started if needed and then stopped again), through bench/lib/harness.mjs.
// Results: <out>/results.json and <out>/results.md (also printed); process logs in <out>/logs/.
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { compileTestingHelpers, createHarness, log, measureLatency, median, percentile, ROOT } from './lib/harness.mjs';

const { values: opts } = parseArgs({
  options: {
    modes: { type: 'string', default: 'standalone,distributed' },
    rounds: { type: 'string', default: '5' },
    calls: { type: 'string', default: '2000' },
    warmup: { type: 'string', default: '200' },
    concurrency: { type: 'string', default: '1,64' },
    out: { type: 'string', default: join(ROOT, 'bench/out/provider-overhead') },
    profile: { type: 'boolean', default: false },
    'provider-concurrency': { type: 'string' },
    'stand-in': { type: 'boolean', default: false },
  },
});

const MODEL = 'gpt-4o-mini';
const PROMPT = 'Hello, how are you?';
const MAX_TOKENS = 16;
const STAND_IN_ENTRY = 'stand-ins/openai.stand-in.ts';

// ------------------------------------------------------------------------------------------------
// The stand-in, in a child process: tells its base URL over IPC, then answers 'take' (the requests
// received since the last take, and how many chat completions in all) until disconnected.
if (opts['stand-in']) {
  const { startOpenAiStandIn } = await import(join(process.env.BENCH_TESTING_JS, STAND_IN_ENTRY.replace(/\.ts$/, '.js')));
  const standIn = await startOpenAiStandIn({ keys: [process.env.BENCH_OPENAI_KEY] });
  let completions = 0;
  const drain = () => {
    const taken = standIn.requests.splice(0);
    completions += taken.filter((r) => r.method === 'POST' && r.path === '/v1/chat/completions').length;
    return taken;
  };
  // The stand-in records every request for tests to inspect; a bench run sends tens of thousands.
  setInterval(drain, 1000).unref();
  process.on('message', (message) => {
    if (message !== 'take') return;
    const requests = drain().map(({ method, path, body }) => ({ method, path, body }));
    process.send({ requests, completions });
  });
  process.once('disconnect', () => void standIn.close().finally(() => process.exit(0)));
  process.send({ baseUrl: standIn.baseUrl });
} else {
  await runBenchmark();
}

async function runBenchmark() {
  const MODES = opts.modes.split(',');
  const ROUNDS = Number(opts.rounds);
  const CALLS = Number(opts.calls);
  const WARMUP = Number(opts.warmup);
  const CONCURRENCIES = opts.concurrency.split(',').map(Number);
  const OUT = resolve(opts.out);
  const TOKEN = `bench-admin-${randomBytes(12).toString('hex')}`;
  const KEY = `sk-bench-${randomBytes(16).toString('hex')}`;
  /** A Redis database for BullMQ that nobody else uses (test-call-latency 13, hf-import 14). */
  const REDIS_DB = 12;

  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(join(OUT, 'logs'), { recursive: true });
  const WORK = mkdtempSync(join(tmpdir(), 'modelyard-bench-po-'));
  const { cleanups, cleanUp, startStandalone, startDistributed } = createHarness({ out: OUT, profile: opts.profile, work: WORK });

  /** The stand-in child; stopped at clean-up. */
  async function startStandIn(testingJs) {
    const execArgv = opts.profile ? ['--cpu-prof', '--cpu-prof-dir', join(OUT, 'profile', 'stand-in')] : [];
    const child = fork(import.meta.filename, ['--stand-in'], {
      env: { PATH: process.env.PATH ?? '', BENCH_TESTING_JS: testingJs, BENCH_OPENAI_KEY: KEY },
      execArgv,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const exit = new Promise((r) => child.once('exit', r));
    cleanups.push(async () => {
      if (child.connected) child.disconnect();
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exit;
      clearTimeout(timer);
    });
    const { baseUrl } = await new Promise((ok, fail) => {
      child.once('message', ok);
      child.once('exit', (code) => fail(new Error(`stand-in exited during start-up (${code})`)));
    });
    const take = () => new Promise((ok) => {
      child.once('message', ok);
      child.send('take');
    });
    return { baseUrl, pid: child.pid, take };
  }

  async function measureAll() {
    log(`machine: ${cpus().length} × ${cpus()[0]?.model}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}, load ${readFileSync('/proc/loadavg', 'utf8').trim()}`);
    const testingJs = compileTestingHelpers([STAND_IN_ENTRY]);
    const { default: OpenAI } = await import('openai');
    const standIn = await startStandIn(testingJs);
    log(`stand-in at ${standIn.baseUrl} (pid ${standIn.pid})`);

    const client = new OpenAI({ apiKey: KEY, baseURL: standIn.baseUrl, maxRetries: 0 });
    const ask = () => client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: PROMPT }], max_tokens: MAX_TOKENS });
    await standIn.take();
    const expected = (await ask()).choices[0].message.content;
    const [baselineRequest] = (await standIn.take()).requests;
    const baselineCall = async () => {
      const completion = await ask();
      if (completion.choices[0].message.content !== expected) throw new Error(`baseline: unexpected answer ${JSON.stringify(completion.choices[0])}`);
    };

    const providerEnv = {
      MODELYARD_OPENAI_BASE_URL: standIn.baseUrl,
      MODELYARD_ALLOWED_ENDPOINT_HOSTS: '127.0.0.1',
      ...(opts['provider-concurrency'] && { MODELYARD_PROVIDER_CONCURRENCY: opts['provider-concurrency'] }),
    };
    const results = {
      date: new Date().toISOString(), calls: CALLS, warmup: WARMUP, rounds: ROUNDS,
      providerConcurrency: opts['provider-concurrency'] ?? 'default', expected, modes: {},
    };
    for (const mode of MODES) {
      log(`${mode}: starting`);
      const system = mode === 'standalone'
        ? await startStandalone({ token: TOKEN, env: providerEnv })
        : await startDistributed({ token: TOKEN, prefix: 'bench-po', redisDb: REDIS_DB, env: providerEnv });
      const auth = { authorization: `Bearer ${TOKEN}` };
      const headers = { ...auth, 'content-type': 'application/json' };
      const created = await fetch(`${system.url}/api/v1/ai-models`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ name: `bench-openai-${randomBytes(4).toString('hex')}`, type: 'llm', source: 'openai', provider_model: MODEL, api_key: KEY }),
      });
      if (created.status !== 201) throw new Error(`create: ${created.status} ${await created.text()}`);
      const model = await created.json();
      if (model.status !== 'active') throw new Error(`create: model is ${model.status}: ${model.status_message}`);

      const testUrl = `${system.url}/api/v1/ai-models/${model.id}/test`;
      const body = JSON.stringify({ input_data: { prompt: PROMPT, max_tokens: MAX_TOKENS } });
      const workerLatencies = [];
      const modelyardCall = async () => {
        const response = await fetch(testUrl, { method: 'POST', headers, body });
        const text = await response.text();
        if (response.status !== 200) throw new Error(`test call: ${response.status} ${text}`);
        const answer = JSON.parse(text);
        if (answer.output !== expected) throw new Error(`test call: unexpected answer ${text}`);
        workerLatencies.push(answer.latency_ms);
      };

      // Same work: the stand-in gets the same completion request from Modelyard as from the SDK
      // (Modelyard spells out `stream: false`, the default, and orders the fields differently).
      const canonical = (request) => JSON.stringify(Object.entries({ stream: false, ...request.body }).sort(([a], [b]) => a.localeCompare(b)));
      await standIn.take();
      await modelyardCall();
      const sent = (await standIn.take()).requests.filter((r) => r.path === '/v1/chat/completions');
      if (sent.length !== 1 || canonical(sent[0]) !== canonical(baselineRequest)) {
        throw new Error(`Modelyard sent ${JSON.stringify(sent.map((r) => r.body))}, the SDK ${JSON.stringify(baselineRequest.body)}`);
      }

      const pids = {
        ...Object.fromEntries([...system.processes.map((p) => [p.name, p.pid]), ...Object.entries(system.extraPids)]),
        'stand-in': standIn.pid,
        bench: process.pid,
      };
      /** Measures, and checks that the stand-in served exactly one completion per call. */
      const measured = async (call, c) => {
        const before = (await standIn.take()).completions;
        const result = await measureLatency(call, { concurrency: c, calls: CALLS, warmup: WARMUP, pids });
        const served = (await standIn.take()).completions - before;
        if (served !== CALLS + WARMUP) throw new Error(`the stand-in served ${served} completions for ${CALLS + WARMUP} calls`);
        return result;
      };
      const rounds = [];
      for (let round = 0; round < ROUNDS; round++) {
        for (const c of CONCURRENCIES) {
          const entry = { round, concurrency: c };
          for (const target of round % 2 === 0 ? ['baseline', 'modelyard'] : ['modelyard', 'baseline']) {
            if (target === 'baseline') {
              entry.baseline = await measured(baselineCall, c);
            } else {
              workerLatencies.length = 0;
              entry.modelyard = await measured(modelyardCall, c);
              // The warm-up's answers are recorded too; keep only the measured calls'.
              const worker = workerLatencies.slice(-CALLS).sort((a, b) => a - b);
              entry.modelyard.workerP50 = percentile(worker, 50);
              entry.modelyard.workerP99 = percentile(worker, 99);
            }
          }
          log(`${mode} round ${round + 1} c=${c}: baseline p50 ${entry.baseline.p50.toFixed(3)} p99 ${entry.baseline.p99.toFixed(3)} (${entry.baseline.perSecond.toFixed(0)}/s) | ` +
            `modelyard p50 ${entry.modelyard.p50.toFixed(3)} p99 ${entry.modelyard.p99.toFixed(3)} (${entry.modelyard.perSecond.toFixed(0)}/s), worker call p50 ${entry.modelyard.workerP50.toFixed(3)}`);
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

  try {
    await measureAll();
  } catch (error) {
    console.error(error);
    process.exitCode = 1;
  } finally {
    await cleanUp();
  }
}

function report(results) {
  const f = (v, digits = 2) => (Number.isFinite(v) ? v.toFixed(digits) : '–');
  const range = (values, digits) => {
    const ok = values.filter(Number.isFinite);
    return ok.length > 1 ? ` (${f(Math.min(...ok), digits)}–${f(Math.max(...ok), digits)})` : '';
  };
  const lines = [
    `Provider overhead (OpenAI chat completion, stand-in), ${results.calls} calls after ${results.warmup} warm-up, median of ${results.rounds} rounds (min–max), ms. ` +
      `Provider concurrency: ${results.providerConcurrency}. ${results.date}`,
    '',
    '| mode | c | baseline p50 | baseline p99 | Modelyard p50 | Modelyard p99 | added p50 | added p99 | p50 ratio | worker call p50 | Modelyard calls/s | baseline calls/s |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  const cpuLines = [];
  for (const [mode, { rounds }] of Object.entries(results.modes)) {
    for (const c of [...new Set(rounds.map((r) => r.concurrency))]) {
      const rs = rounds.filter((r) => r.concurrency === c);
      const cell = (get, digits = 2) => `${f(median(rs.map(get)), digits)}${range(rs.map(get), digits)}`;
      lines.push(
        `| ${mode} | ${c} | ${cell((r) => r.baseline.p50)} | ${cell((r) => r.baseline.p99)} | ${cell((r) => r.modelyard.p50)} | ${cell((r) => r.modelyard.p99)} | ` +
          `**${cell((r) => r.modelyard.p50 - r.baseline.p50)}** | ${cell((r) => r.modelyard.p99 - r.baseline.p99)} | ${cell((r) => r.modelyard.p50 / r.baseline.p50, 1)} | ` +
          `${cell((r) => r.modelyard.workerP50)} | ${cell((r) => r.modelyard.perSecond, 0)} | ${cell((r) => r.baseline.perSecond, 0)} |`,
      );
      const cpu = (target) => Object.keys(rs[0][target].cpuPerCall).map((n) => `${n} ${f(median(rs.map((r) => r[target].cpuPerCall[n])), 2)}`).join(', ');
      cpuLines.push(`| ${mode} | ${c} | ${cpu('modelyard')} | ${cpu('baseline')} |`);
    }
  }
  lines.push('', 'CPU per call (ms, user + system, from /proc; medians):', '', '| mode | c | Modelyard | baseline |', '|---|---|---|---|', ...cpuLines, '');
  for (const [mode, target] of [['standalone', 3], ['distributed', 10]]) {
    const rounds = results.modes[mode]?.rounds;
    if (!rounds) continue;
    const verdicts = [...new Set(rounds.map((r) => r.concurrency))].map((c) => {
      const added = median(rounds.filter((r) => r.concurrency === c).map((r) => r.modelyard.p50 - r.baseline.p50));
      return `c=${c}: added p50 ${f(added)} ms (target ≤ ${target} ms: ${added <= target ? 'met' : 'NOT met'})`;
    });
    lines.push(`- ${mode}: ${verdicts.join('; ')}`);
  }
  return `${lines.join('\n')}\n`;
}
