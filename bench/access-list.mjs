// Permission-filtered model lists and searches beside MLflow's search_registered_models (issue 13).
//
//   node bench/access-list.mjs [--sizes 10000,100000] [--modes standalone,distributed] [--rounds 3]
//        [--seconds 5] [--concurrency 1,16] [--venv /tmp/mlflow-venv] [--out bench/out/access-list]
//   (after `npm run build`; distributed mode uses deploy/local/infra.sh's services, started if down)
//
// For each size: MLflow 3.17 (PyPI, throw-away venv) serving a SQLite registry with the same models
// (names, descriptions, tags), and for each mode a fresh Modelyard whose database gets the same
// organisation (bench/lib/access-catalogue.mjs: ~50 users, 8 teams, owners, grants, private and
// internal models) by bulk SQL, without ANALYZE: the statistics the planner gets are what the
// product's own refresh (standalone) or autovacuum (distributed) gathers; the bench waits for them
// and reports how long that took. Then, side by side in rounds whose order rotates:
//   - every query of QUERIES at each concurrency, against MLflow, Modelyard with the bootstrap admin
//     token (sees everything) and with an API token of a non-admin user (permissions applied);
//   - the overhead of authorisation and rate limiting: the first page at concurrency 1 with the
//     bootstrap token (never rate-limited), an admin user's API token with an rpm limit (same SQL:
//     token resolution + limits only) and the non-admin's token (also the permission filter).
// Before measuring, every Modelyard answer is checked against a plain SQL statement of the access
// rule (same total, same ids in the same order). Results: <out>/results.json and results.md.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { cpus, freemem, loadavg, totalmem, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { createHarness, log, sleep } from './lib/harness.mjs';
import { closedLoop, settle } from './lib/closed-loop.mjs';
import { ADMIN_USER, CALLER, seedOrganisation } from './lib/access-catalogue.mjs';
import { PAGE, QUERIES } from './lib/access-queries.mjs';
import { ensureMlflow, loadMlflow, startMlflow } from './lib/mlflow.mjs';
import { checkAnswers, inTransaction } from './lib/access-reference.mjs';
import { report } from './lib/access-report.mjs';

const { values: args } = parseArgs({
  options: {
    sizes: { type: 'string', default: '10000,100000' },
    modes: { type: 'string', default: 'standalone,distributed' },
    rounds: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '5' },
    concurrency: { type: 'string', default: '1,16' },
    venv: { type: 'string', default: '/tmp/mlflow-venv' },
    out: { type: 'string', default: 'bench/out/access-list' },
    'stats-timeout': { type: 'string', default: '300' },
  },
});
const SIZES = args.sizes.split(',').map(Number);
const MODES = args.modes.split(',');
const ROUNDS = Number(args.rounds);
const SECONDS = Number(args.seconds);
const CONCURRENCY = args.concurrency.split(',').map(Number);
const OUT = resolve(args.out);
/** A slow target (MLflow at 100,000 models) is measured longer, up to this, to see enough answers. */
const MAX_SECONDS = 30;
const RPM_LIMIT = 100_000_000; // far above what the run sends: every request is counted, none refused
mkdirSync(join(OUT, 'logs'), { recursive: true });
const work = mkdtempSync(join(tmpdir(), 'modelyard-access-bench-'));
const harness = createHarness({ out: OUT, work });
const bootstrap = `bench-${execFileSync('openssl', ['rand', '-hex', '16'], { encoding: 'utf8' }).trim()}`;

const machine = {
  date: new Date().toISOString(),
  cpus: `${cpus().length} × ${cpus()[0]?.model ?? '?'}`,
  memory_gib: Number((totalmem() / 2 ** 30).toFixed(1)),
  free_gib_at_start: Number((freemem() / 2 ** 30).toFixed(1)),
  load_at_start: loadavg().map((l) => Number(l.toFixed(2))),
  node: process.version,
  kernel: execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim(),
};
const results = { machine, args: { SIZES, MODES, ROUNDS, SECONDS, CONCURRENCY, PAGE }, runs: [] };
const save = () => {
  writeFileSync(join(OUT, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(join(OUT, 'results.md'), report(results));
};

async function api(base, token, method, path, body) {
  const response = await fetch(`${base}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body && { 'content-type': 'application/json' }) },
    body: body && JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: HTTP ${response.status} ${text.slice(0, 300)}`);
  return JSON.parse(text);
}

/** Modelyard in `mode` with `size` models seeded; returns what the measurements need. */
async function startModelyard(mode, size) {
  let base, db, pids, stop;
  if (mode === 'standalone') {
    const tmp = join(work, `tmp-standalone-${size}`);
    mkdirSync(tmp);
    const sa = await harness.startStandalone({ token: bootstrap, env: { TMPDIR: tmp, MODELYARD_DATA_DIR: join(work, `standalone-${size}`) } });
    const socketDir = join(tmp, readdirSync(tmp).find((f) => f.startsWith('modelyard-pg-')));
    db = new pg.Client({ host: socketDir, port: 5432, user: 'postgres', database: 'postgres' });
    base = sa.url;
    pids = () => [sa.processes[0].pid];
    stop = () => sa.processes[0].stop();
  } else {
    const d = await harness.startDistributed({
      token: bootstrap,
      prefix: `access_bench_${size}`,
      redisDb: 10 + SIZES.indexOf(size),
      env: { MODELYARD_DATA_DIR: join(work, `distributed-${size}`) },
    });
    db = new pg.Client({ connectionString: d.databaseUrl });
    base = d.url;
    const own = [d.byName.gateway.pid, d.byName.registry.pid, ...Object.values(d.extraPids)];
    // PostgreSQL's backends of the scratch database (all but the bench's own connection).
    pids = async () => [...own, ...(await db.query('SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()')).rows.map((r) => r.pid)];
    stop = async () => {
      for (const proc of [...d.processes].reverse()) await proc.stop();
    };
  }
  // Someone else's clean-up may end the connection (57P01): fail this run, with clean-up, not crash.
  db.on('error', (error) => log(`${mode} ${size}: the bench's database connection failed: ${error.message}`));
  await db.connect();
  const seedStarted = performance.now();
  const { stats } = await seedOrganisation(db, size);
  const seedSeconds = (performance.now() - seedStarted) / 1000;
  const seededAt = (await db.query('SELECT now() AS now')).rows[0].now;
  log(`${mode} ${size}: seeded in ${seedSeconds.toFixed(1)} s (${stats.readable} readable by ${CALLER}, ${stats.grants} grants)`);
  const statsSeconds = await waitForStatistics(db, seededAt);
  log(`${mode} ${size}: planner statistics of models and grants gathered ${statsSeconds.toFixed(1)} s after the load`);
  const userToken = (await api(base, bootstrap, 'POST', '/tokens', { name: 'bench', user: CALLER, rpm_limit: RPM_LIMIT })).token;
  const adminToken = (await api(base, bootstrap, 'POST', '/tokens', { name: 'bench', user: ADMIN_USER, rpm_limit: RPM_LIMIT })).token;
  return { base, db, pids, stop, tokens: { bootstrap, admin: adminToken, user: userToken }, seed: { seconds: seedSeconds, statsSeconds, ...stats } };
}

/** Seconds until models and model_grants were analysed after `since` (the product's refresh or autovacuum). */
async function waitForStatistics(db, since) {
  const started = performance.now();
  const deadline = started + Number(args['stats-timeout']) * 1000;
  for (;;) {
    const { rows } = await inTransaction(db, () =>
      db.query(
        `SELECT count(*)::int AS fresh FROM pg_stat_user_tables
         WHERE relname IN ('models', 'model_grants') AND GREATEST(last_analyze, last_autoanalyze) >= $1`,
        [since],
      ),
    );
    if (rows[0].fresh === 2) return (performance.now() - started) / 1000;
    if (performance.now() > deadline) {
      log(`no statistics after ${args['stats-timeout']} s: measuring without them`);
      return Infinity;
    }
    await sleep(500);
  }
}

const mlflowUrl = (base, query) => {
  const params = new URLSearchParams({ max_results: String(PAGE), ...query.mlflow });
  return `${base}/api/2.0/mlflow/registered-models/search?${params}`;
};

async function measureSize(size, mlflowVersion) {
  const mlflowDb = join(work, `mlflow-${size}.db`);
  const loadStarted = performance.now();
  const uri = loadMlflow(args.venv, mlflowDb, size);
  log(`MLflow ${size}: loaded in ${((performance.now() - loadStarted) / 1000).toFixed(1)} s`);
  const mlflow = await startMlflow(harness, args.venv, uri, { out: OUT, name: `mlflow-${size}` });
  for (const query of QUERIES) {
    const response = await fetch(mlflowUrl(mlflow.url, query));
    if (!response.ok) throw new Error(`MLflow ${query.name}: HTTP ${response.status} ${(await response.text()).slice(0, 300)}`);
    const body = await response.json();
    if ((body.registered_models ?? []).length === 0) throw new Error(`MLflow ${query.name}: no models`);
  }
  for (const mode of MODES) {
    const my = await startModelyard(mode, size);
    const run = { size, mode, mlflow: mlflowVersion, seed: my.seed, checks: [], measurements: [], overhead: [] };
    results.runs.push(run);
    for (const query of QUERIES) {
      for (const who of ['admin', 'user']) {
        run.checks.push({ query: query.name, who, ...(await checkAnswers(my.db, my.base, my.tokens[who === 'admin' ? 'bootstrap' : 'user'], query.modelyard, who === 'admin' ? null : CALLER)) });
      }
    }
    log(`${mode} ${size}: every answer matches the reference SQL`);
    const targets = (query) => [
      { name: 'mlflow', url: mlflowUrl(mlflow.url, query), headers: {}, pids: mlflow.pids },
      { name: 'modelyard-admin', url: `${my.base}/api/v1/ai-models/?${query.modelyard}`, headers: { authorization: `Bearer ${my.tokens.bootstrap}` }, pids: my.pids },
      { name: 'modelyard-user', url: `${my.base}/api/v1/ai-models/?${query.modelyard}`, headers: { authorization: `Bearer ${my.tokens.user}` }, pids: my.pids },
    ];
    const everything = async () => [...mlflow.pids(), ...(await my.pids())];
    // Warm-up (JIT, caches, the planner's statistics in use) and each request's time alone, which
    // sets how long a measurement must run to see enough answers of a slow target.
    const alone = new Map();
    for (const query of QUERIES) {
      for (const target of targets(query)) {
        await closedLoop(target.url, { headers: target.headers, connections: 1, seconds: 1, warmupSeconds: 0 });
        await settle(everything);
        const started = performance.now();
        await (await fetch(target.url, { headers: target.headers })).arrayBuffer();
        alone.set(`${target.name} ${query.name}`, performance.now() - started);
      }
    }
    const secondsFor = (target, query, connections) =>
      Math.min(MAX_SECONDS, Math.max(SECONDS, Math.ceil((alone.get(`${target.name} ${query.name}`) * connections * 3) / 1000)));
    for (let round = 0; round < ROUNDS; round++) {
      for (const query of QUERIES) {
        for (const connections of CONCURRENCY) {
          const list = targets(query);
          for (let k = 0; k < list.length; k++) {
            const target = list[(k + round) % list.length];
            const seconds = secondsFor(target, query, connections);
            const m = await closedLoop(target.url, { headers: target.headers, connections, seconds, pids: target.pids });
            const settled = await settle(everything);
            run.measurements.push({ round, query: query.name, connections, target: target.name, seconds, settledMs: settled, ...m });
            log(`${mode} ${size} r${round} ${query.name} c${connections} ${target.name}: ${m.rps.toFixed(1)} req/s, p50 ${m.p50.toFixed(2)} ms over ${seconds} s${m.failed ? `, ${m.failed} FAILED` : ''}`);
          }
        }
      }
      // Authorisation + rate-limit overhead: the same first page, one request at a time.
      const first = `${my.base}/api/v1/ai-models/?${QUERIES[0].modelyard}`;
      const who = ['bootstrap', 'admin', 'user'];
      for (let k = 0; k < who.length; k++) {
        const name = who[(k + round) % who.length];
        const m = await closedLoop(first, { headers: { authorization: `Bearer ${my.tokens[name]}` }, connections: 1, seconds: SECONDS, pids: my.pids });
        await settle(everything);
        run.overhead.push({ round, token: name, ...m });
        log(`${mode} ${size} r${round} overhead ${name}: p50 ${m.p50.toFixed(3)} ms`);
      }
      save();
    }
    await my.db.end();
    await my.stop();
  }
  await mlflow.stop();
}

try {
  const mlflowVersion = ensureMlflow(args.venv);
  log(`MLflow ${mlflowVersion}; machine: ${JSON.stringify(machine)}`);
  for (const size of SIZES) await measureSize(size, mlflowVersion);
  machine.load_at_end = loadavg().map((l) => Number(l.toFixed(2)));
  save();
  process.stdout.write(report(results));
} finally {
  await harness.cleanUp();
}
