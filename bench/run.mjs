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
// Three kinds of run, each repeated --runs times per target, the targets' order rotating from
// round to round so noise falls on each alike:
//   max    autocannon at full speed, --connections connections, --duration seconds;
//   rate   autocannon -R --rate over --rate-connections connections (what the issue names; its
//          pacing is bursty and its latency "correction" skews p99 - see README);
//   paced  an open-loop generator sending --rate evenly spaced requests a second, latency from
//          each request's due time: the p99-at-200-req/s figure to trust.
// With ` pids=1,2` after a target's URL, the CPU time those processes used per request is recorded;
// with --db-url, that of the PostgreSQL backends serving that database too.
// Raw results go to <out>/<kind>-<target>-<round>.json, the summary (median, min, max) to
// <out>/summary.json.
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import pg from 'pg';

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
    // PostgreSQL database the targets use: the CPU its server backends spend per request is
    // recorded too (all backends on that database; only the target being measured is busy).
    'db-url': { type: 'string' },
  },
});
// name=url, optionally followed by ` pids=1,2` (the server processes whose CPU time is measured).
const targets = (args.target ?? []).map((t) => {
  const at = t.indexOf('=');
  const [url, pids] = t.slice(at + 1).split(' pids=');
  return { name: t.slice(0, at), url, pids: pids ? pids.split(',').map(Number) : [] };
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

/** CPU time (user + system, ms) the processes have used so far. */
const TICK_MS = 10; // USER_HZ is 100 on Linux
const cpuMs = (pids) =>
  pids.reduce(
    (sum, pid) => {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
      return { user: sum.user + Number(fields[11]) * TICK_MS, sys: sum.sys + Number(fields[12]) * TICK_MS }; // utime, stime
    },
    { user: 0, sys: 0 },
  );

/** CPU time per backend pid of the database's PostgreSQL server processes (ms). */
let dbClient;
if (args['db-url']) {
  dbClient = new pg.Client({ connectionString: args['db-url'] });
  await dbClient.connect();
}
async function dbCpu() {
  if (!dbClient) return null;
  const { rows } = await dbClient.query(
    'SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
  );
  const byPid = new Map();
  for (const { pid } of rows) {
    try {
      const c = cpuMs([pid]);
      byPid.set(pid, c.user + c.sys);
    } catch {
      // gone already
    }
  }
  return byPid;
}
/** CPU the backends used between two dbCpu() snapshots (new backends count whole). */
function dbCpuDelta(before, after) {
  if (!before || !after) return null;
  let ms = 0;
  for (const [pid, cpu] of after) ms += cpu - (before.get(pid) ?? 0);
  return ms;
}

/**
 * An open-loop, evenly paced load: request k is due at start + k/rate, whatever happened to the
 * earlier ones (new keep-alive connections open as needed). Latency is measured from the moment
 * a request was due, so a slow server or a late generator shows up in it (no coordinated
 * omission). This is what "p99 at 200 requests/s" means; autocannon's -R fires each connection's
 * share of a second back to back at the start of the second (see README).
 */
function paced(url, { rate, duration }) {
  const u = new URL(url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 512 });
  const n = Math.round(rate * duration);
  const interval = 1000 / rate;
  const latencies = [];
  let non2xx = 0;
  let errors = 0;
  let timeouts = 0;
  let maxSockets = 0;
  const started = performance.now() + 20;
  return new Promise((resolve) => {
    let sent = 0;
    let done = 0;
    const finish = () => {
      if (++done < n) return;
      const seconds = (performance.now() - started) / 1000;
      agent.destroy();
      latencies.sort((a, b) => a - b);
      const q = (p) => (latencies.length ? latencies[Math.min(latencies.length - 1, Math.ceil(p * latencies.length) - 1)] : NaN);
      const r2 = (x) => Math.round(x * 100) / 100;
      resolve({
        requests: { average: r2(n / seconds), total: n },
        latency: { p50: r2(q(0.5)), p90: r2(q(0.9)), p99: r2(q(0.99)), max: r2(latencies.at(-1) ?? NaN) },
        non2xx,
        errors,
        timeouts,
        max_connections: maxSockets,
      });
    };
    const fire = (due) => {
      const req = http.request({ host: u.hostname, port: u.port, path: u.pathname + u.search, headers, agent, timeout: 10_000 }, (res) => {
        res.on('data', () => {});
        res.on('end', () => {
          if (res.statusCode < 200 || res.statusCode > 299) non2xx++;
          else latencies.push(performance.now() - due);
          finish();
        });
      });
      let timedOut = false;
      req.on('timeout', () => {
        timedOut = true;
        timeouts++;
        req.destroy();
      });
      req.on('error', () => {
        if (!timedOut) errors++;
        finish();
      });
      req.end();
      const sockets = Object.values(agent.sockets).reduce((k, list) => k + list.length, 0);
      if (sockets > maxSockets) maxSockets = sockets;
    };
    const tick = () => {
      const now = performance.now();
      while (sent < n && started + sent * interval <= now) fire(started + sent++ * interval);
      if (sent < n) setTimeout(tick, Math.max(0, started + sent * interval - performance.now()));
    };
    setTimeout(tick, 20);
  });
}

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
// max: autocannon at full speed. rate: autocannon -R (as the issue asks). paced: our open-loop
// generator at the same rate (the latency figure to trust).
const KINDS = ['max', 'rate', 'paced'];
const results = Object.fromEntries(KINDS.map((k) => [k, Object.fromEntries(targets.map((t) => [t.name, []]))]));
const runners = {
  max: (url) => cannon(url, { connections: Number(args.connections), duration: DURATION }),
  rate: (url) => cannon(url, { connections: Number(args['rate-connections']), duration: DURATION, overallRate: Number(args.rate) }),
  paced: (url) => paced(url, { rate: Number(args.rate), duration: DURATION }),
};
for (const kind of KINDS) {
  for (let round = 0; round < RUNS; round++) {
    const order = targets.map((_, k) => targets[(k + round) % targets.length]);
    for (const t of order) {
      const cpuBefore = cpuMs(t.pids);
      const dbBefore = await dbCpu();
      const r = await runners[kind](t.url);
      const cpuAfter = cpuMs(t.pids);
      const dbMs = dbCpuDelta(dbBefore, await dbCpu());
      await writeFile(join(args.out, `${kind}-${t.name}-${round + 1}.json`), `${JSON.stringify(r, null, 2)}\n`);
      const perReq = (ms) => (t.pids.length ? Math.round((100 * ms) / r.requests.total) / 100 : null);
      const b = {
        ...brief(r),
        cpu_ms_per_req: perReq(cpuAfter.user + cpuAfter.sys - cpuBefore.user - cpuBefore.sys),
        sys_ms_per_req: perReq(cpuAfter.sys - cpuBefore.sys),
        db_cpu_ms_per_req: dbMs === null ? null : Math.round((100 * dbMs) / r.requests.total) / 100,
      };
      results[kind][t.name].push(b);
      log(
        `${kind} round ${round + 1} ${t.name}: ${b.rps.toFixed(1)} req/s, p50 ${b.p50} ms, p99 ${b.p99} ms, ` +
          `server CPU ${b.cpu_ms_per_req ?? '?'} ms/req (${b.sys_ms_per_req ?? '?'} in the kernel)${b.db_cpu_ms_per_req === null ? '' : `, PostgreSQL ${b.db_cpu_ms_per_req} ms/req`}, non-2xx ${b.non2xx}, errors ${b.errors}, timeouts ${b.timeouts}`,
      );
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
        pids: t.pids,
        ...Object.fromEntries(
          KINDS.map((kind) => [
            kind,
            Object.fromEntries(['rps', 'p50', 'p90', 'p99', ...(t.pids.length ? ['cpu_ms_per_req', 'sys_ms_per_req'] : []), ...(dbClient ? ['db_cpu_ms_per_req'] : [])].map((key) => [key, stat(results[kind][t.name], key)])),
          ]),
        ),
        failures: KINDS.flatMap((kind) => results[kind][t.name]).reduce((n, r) => n + r.non2xx + r.errors + r.timeouts, 0),
      },
    ]),
  ),
};
await writeFile(join(args.out, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
await dbClient?.end();
log(`summary written to ${join(args.out, 'summary.json')}`);
