// Drives autocannon against Modelyard and its baseline(s), interleaved so that the machine's noise
// falls on every target alike, and writes the raw results plus a summary.
//
//   node bench/run.mjs --mode distributed --out bench/out/distributed \
//     --target modelyard=http://127.0.0.1:8080/api/v1/ai-models/?type=llm&status=active&page_size=50 \
//     --target baseline-pg=http://127.0.0.1:8090/models?type=llm&status=active&page_size=50 \
//     [--token T] [--runs 3] [--duration 10] [--connections 10] [--rate 200] [--rate-connections 20] [--warmup 5]
//
// The first target is the one measured; the others are baselines. Every target gets the same
// headers (the bearer token included). Before measuring, the bodies the targets answer are
// compared: they must be byte-identical, so the comparison is of the same work.
//
// Per round (--runs rounds), each target gets one max-throughput run (-c connections, -d duration)
// in an order that rotates from round to round; then, the same way, one fixed-rate run
// (--rate requests/s over --rate-connections connections; latencies corrected for coordinated
// omission, autocannon's default). Raw autocannon results go to <out>/<kind>-<target>-<round>.json,
// the summary (medians, min and max) to <out>/summary.json.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';

const { values: args } = parseArgs({
  options: {
    mode: { type: 'string', default: 'distributed' },
    out: { type: 'string', default: 'bench/out' },
    target: { type: 'string', multiple: true },
    token: { type: 'string' },
    runs: { type: 'string', default: '3' },
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '10' },
    rate: { type: 'string', default: '200' },
    'rate-connections': { type: 'string', default: '20' },
    warmup: { type: 'string', default: '5' },
  },
});
const targets = (args.target ?? []).map((t) => {
  const at = t.indexOf('=');
  return { name: t.slice(0, at), url: t.slice(at + 1) };
});
if (targets.length < 2) throw new Error('give at least two --target name=url (Modelyard first)');
const RUNS = Number(args.runs);
const DURATION = Number(args.duration);
const headers = args.token ? { authorization: `Bearer ${args.token}` } : {};
await mkdir(args.out, { recursive: true });
const log = (line) => process.stderr.write(`[bench ${args.mode}] ${line}\n`);

// 1. Same answer from every target.
const bodies = await Promise.all(
  targets.map(async (t) => {
    const res = await fetch(t.url, { headers });
    const text = await res.text();
    if (res.status !== 200) throw new Error(`${t.name}: HTTP ${res.status}: ${text.slice(0, 300)}`);
    return text;
  }),
);
for (let k = 1; k < targets.length; k++) {
  if (bodies[k] !== bodies[0]) {
    throw new Error(`${targets[k].name} answers differently from ${targets[0].name}:\n${bodies[k].slice(0, 400)}\n---\n${bodies[0].slice(0, 400)}`);
  }
}
const body = JSON.parse(bodies[0]);
log(`all ${targets.length} targets answer the same ${bodies[0].length}-byte body (${body.items.length} items, total ${body.total})`);

const cannon = (url, options) =>
  new Promise((resolve, reject) => {
    autocannon({ url, headers, ...options }, (error, result) => (error ? reject(error) : resolve(result)));
  });

const brief = (r) => ({
  rps: r.requests.average,
  p50: r.latency.p50,
  p90: r.latency.p90,
  p99: r.latency.p99,
  max: r.latency.max,
  total: r.requests.total,
  non2xx: r.non2xx,
  errors: r.errors,
  timeouts: r.timeouts,
});

// 2. Warm-up: JIT, connection pools, PostgreSQL's caches.
for (const t of targets) {
  await cannon(t.url, { connections: Number(args.connections), duration: Number(args.warmup) });
}
log(`warmed up (${args.warmup} s each)`);

// 3. Interleaved measured runs.
const results = { max: {}, rate: {} };
for (const t of targets) {
  results.max[t.name] = [];
  results.rate[t.name] = [];
}
const kinds = [
  ['max', { connections: Number(args.connections), duration: DURATION }],
  ['rate', { connections: Number(args['rate-connections']), duration: DURATION, overallRate: Number(args.rate) }],
];
for (const [kind, options] of kinds) {
  for (let round = 0; round < RUNS; round++) {
    const order = targets.map((_, k) => targets[(k + round) % targets.length]);
    for (const t of order) {
      const r = await cannon(t.url, options);
      await writeFile(join(args.out, `${kind}-${t.name}-${round + 1}.json`), `${JSON.stringify(r, null, 2)}\n`);
      const b = brief(r);
      results[kind][t.name].push(b);
      log(`${kind} round ${round + 1} ${t.name}: ${b.rps.toFixed(1)} req/s, p50 ${b.p50} ms, p99 ${b.p99} ms, non-2xx ${b.non2xx}, errors ${b.errors}`);
    }
  }
}

// 4. Medians.
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const stat = (runs, key) => {
  const xs = runs.map((r) => r[key]);
  return { median: median(xs), min: Math.min(...xs), max: Math.max(...xs), runs: xs };
};
const summary = {
  mode: args.mode,
  date: new Date().toISOString(),
  settings: {
    runs: RUNS,
    duration_s: DURATION,
    connections: Number(args.connections),
    rate: Number(args.rate),
    rate_connections: Number(args['rate-connections']),
    warmup_s: Number(args.warmup),
  },
  body_bytes: bodies[0].length,
  items: body.items.length,
  total: body.total,
  targets: Object.fromEntries(
    targets.map((t) => [
      t.name,
      {
        url: t.url,
        max: { rps: stat(results.max[t.name], 'rps'), p50: stat(results.max[t.name], 'p50'), p99: stat(results.max[t.name], 'p99') },
        rate: { rps: stat(results.rate[t.name], 'rps'), p50: stat(results.rate[t.name], 'p50'), p99: stat(results.rate[t.name], 'p99') },
        failures: [...results.max[t.name], ...results.rate[t.name]].reduce((n, r) => n + r.non2xx + r.errors + r.timeouts, 0),
      },
    ]),
  ),
};
await writeFile(join(args.out, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
log(`summary written to ${join(args.out, 'summary.json')}`);
