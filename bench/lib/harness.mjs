// What the end-to-end benchmarks (test-call-latency.mjs, hf-import.mjs) share: Modelyard's services as
// child processes, the local infrastructure with a scratch database, Redis database and bucket each,
// clean-up of all of it whatever happens, and a few measuring helpers.
//
// Stateless helpers are plain exports; what needs a run's output folder, --profile and clean-up list
// comes from `createHarness({ out, profile, work })`.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';

export const ROOT = resolve(import.meta.dirname, '../..');
const CLK_TCK = 100;

export const log = (...parts) => console.error(`[${new Date().toISOString().slice(11, 19)}]`, ...parts);

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function freePort() {
  return new Promise((ok, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => ok(port));
    });
  });
}

export async function answersOk(url) {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
    await response.arrayBuffer();
    return response.ok;
  } catch {
    return false;
  }
}

/** CPU time (user + system, ms) of a process, or of one of its threads (`/proc/<pid>/task/<tid>`). */
export function cpuMs(pid, tid) {
  try {
    const fields = readFileSync(tid ? `/proc/${pid}/task/${tid}/stat` : `/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK;
  } catch {
    return NaN;
  }
}

export function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** Median of the finite values (NaN when there are none). */
export function median(values) {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * The testing library's ONNX factory and Hugging Face stand-in, and any `extraEntries` (paths under
 * libs/testing/src), compiled to plain JS (that library is TypeScript only); returns the folder,
 * which mirrors libs/testing/src.
 */
export function compileTestingHelpers(extraEntries = []) {
  const outDir = join(ROOT, 'bench/out/testing-js');
  execFileSync(
    'npx',
    ['tsc', '--ignoreConfig', '--outDir', outDir, '--rootDir', 'libs/testing/src', '--module', 'nodenext', '--moduleResolution', 'nodenext',
      '--target', 'es2022', '--skipLibCheck', '--types', 'node', '--esModuleInterop',
      'libs/testing/src/onnx-model.factory.ts', 'libs/testing/src/stand-ins/hugging-face-hub.stand-in.ts',
      ...extraEntries.map((entry) => join('libs/testing/src', entry))],
    { cwd: ROOT, stdio: 'inherit' },
  );
  return outDir;
}

/**
 * `calls` calls of `call` over `concurrency` loops, after `warmup` calls the same way. Latencies in
 * ms; `cpuPerCall`: CPU ms per measured call of each process in `pids` (name → pid), from /proc.
 */
export async function measureLatency(call, { concurrency, calls, warmup, pids = {} }) {
  const run = async (count, latencies) => {
    let next = 0;
    const loop = async () => {
      while (next < count) {
        next += 1;
        const started = performance.now();
        await call();
        latencies?.push(performance.now() - started);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, loop));
  };
  await run(warmup);
  const latencies = [];
  const cpuBefore = Object.fromEntries(Object.entries(pids).map(([n, pid]) => [n, cpuMs(pid)]));
  const started = performance.now();
  await run(calls, latencies);
  const wallMs = performance.now() - started;
  const cpuPerCall = Object.fromEntries(Object.entries(pids).map(([n, pid]) => [n, (cpuMs(pid) - cpuBefore[n]) / calls]));
  latencies.sort((a, b) => a - b);
  return { p50: percentile(latencies, 50), p99: percentile(latencies, 99), mean: latencies.reduce((a, b) => a + b, 0) / latencies.length, perSecond: (calls / wallMs) * 1000, cpuPerCall };
}

/**
 * One run's state: processes' logs (and --cpu-prof output when `profile`) go under `out`; `work`
 * (a scratch folder) is removed at clean-up. SIGINT and SIGTERM clean up and exit 130.
 */
export function createHarness({ out, profile = false, work }) {
  const cleanups = [];
  let cleaned = false;
  async function cleanUp() {
    if (cleaned) return;
    cleaned = true;
    for (const step of cleanups.reverse()) {
      try {
        await step();
      } catch (error) {
        log('clean-up step failed:', error.message);
      }
    }
    if (work) rmSync(work, { recursive: true, force: true });
  }
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.once(signal, () => void cleanUp().finally(() => process.exit(130)));
  }

  /** A Node entry point as a child process, ready once `readyUrl` answers 200; stopped (log written) at clean-up. */
  async function startProcess(name, entry, env, readyUrl, timeoutMs = 90_000) {
    const logFile = join(out, 'logs', `${name}.log`);
    const nodeArgs = profile ? ['--cpu-prof', '--cpu-prof-dir', join(out, 'profile', name)] : [];
    const child = spawn(process.execPath, [...nodeArgs, entry], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const append = (chunk) => {
      output += chunk;
      if (output.length > 2_000_000) output = output.slice(-1_000_000);
    };
    child.stdout.on('data', append);
    child.stderr.on('data', append);
    let exited = false;
    const exit = new Promise((r) => child.once('exit', (code) => ((exited = true), r(code))));
    const stop = async () => {
      if (!exited) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
        await exit;
        clearTimeout(timer);
      }
      writeFileSync(logFile, output);
    };
    cleanups.push(stop);
    const deadline = Date.now() + timeoutMs;
    while (!(await answersOk(readyUrl))) {
      if (exited) throw new Error(`${name} exited during start-up:\n${output.slice(-4000)}`);
      if (Date.now() > deadline) throw new Error(`${name} not ready at ${readyUrl} after ${timeoutMs} ms:\n${output.slice(-4000)}`);
      await sleep(100);
    }
    return { name, pid: child.pid, stop, output: () => output };
  }

  /** deploy/local/infra.sh's services, started if down (and then stopped at clean-up); returns its MODELYARD_* variables. */
  function ensureInfrastructure() {
    // `status` exits non-zero when a service is down; its output says which.
    const status = spawnSync('bash', ['deploy/local/infra.sh', 'status'], { cwd: ROOT, encoding: 'utf8' }).stdout;
    const stopped = ['postgres', 'redis', 'kafka', 's3'].filter((s) => !new RegExp(`^${s}\\s+running`, 'm').test(status));
    if (stopped.length) {
      log(`starting infrastructure: ${stopped.join(' ')}`);
      execFileSync('bash', ['deploy/local/infra.sh', 'up'], { cwd: ROOT, stdio: 'inherit' });
      cleanups.push(() => execFileSync('bash', ['deploy/local/infra.sh', 'down', ...stopped.map((s) => (s === 'postgres' ? 'pg' : s))], { cwd: ROOT, stdio: 'inherit' }));
    }
    const env = {};
    for (const line of execFileSync('bash', ['deploy/local/infra.sh', 'env'], { cwd: ROOT, encoding: 'utf8' }).split('\n')) {
      const match = /^export (MODELYARD_\w+)=(.*)$/.exec(line);
      if (match) env[match[1]] = match[2].replace(/^'(.*)'$/, '$1');
    }
    return env;
  }

  /** A database `<prefix>_<random>` on the server, dropped at clean-up; returns its URL. */
  async function scratchDatabase(serverUrl, prefix) {
    const { default: pg } = await import('pg');
    const name = `${prefix}_${randomBytes(4).toString('hex')}`;
    const admin = async (sql) => {
      const client = new pg.Client({ connectionString: serverUrl });
      await client.connect();
      try {
        await client.query(sql);
      } finally {
        await client.end();
      }
    };
    await admin(`CREATE DATABASE ${name}`);
    cleanups.push(() => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    const url = new URL(serverUrl);
    url.pathname = `/${name}`;
    return url.toString();
  }

  /** Redis database `db` for BullMQ, so other runs' workers cannot take our jobs: it must be empty now, and is emptied at clean-up. */
  async function privateRedisUrl(baseUrl, db) {
    const { default: Redis } = await import('ioredis');
    const url = `${baseUrl.replace(/\/\d*$/, '')}/${db}`;
    const redis = new Redis(url, { lazyConnect: true });
    await redis.connect();
    const keys = await redis.dbsize();
    await redis.quit();
    if (keys > 0) throw new Error(`Redis database ${db} is not empty (${keys} keys): another run is using it`);
    cleanups.push(async () => {
      const r = new Redis(url);
      await r.flushdb();
      await r.quit();
    });
    return url;
  }

  /**
   * A bucket `<prefix>-<random>` (created by the first write), emptied and removed at clean-up.
   * `removePrefix(prefix)` deletes the objects under a prefix now.
   */
  async function scratchBucket(env, prefix) {
    const { Client } = await import('minio');
    const bucket = `${prefix}-${randomBytes(4).toString('hex')}`;
    const endpoint = new URL(env.MODELYARD_S3_ENDPOINT);
    const client = new Client({
      endPoint: endpoint.hostname, port: Number(endpoint.port), useSSL: false, pathStyle: true, region: 'us-east-1',
      accessKey: env.MODELYARD_S3_ACCESS_KEY, secretKey: env.MODELYARD_S3_SECRET_KEY,
    });
    const removePrefix = async (objectPrefix) => {
      if (!(await client.bucketExists(bucket))) return;
      const names = [];
      for await (const item of client.listObjectsV2(bucket, objectPrefix, true)) if (item.name) names.push(item.name);
      if (names.length) await client.removeObjects(bucket, names);
    };
    cleanups.push(async () => {
      await removePrefix('');
      if (await client.bucketExists(bucket)) await client.removeBucket(bucket);
    });
    return { bucket, removePrefix };
  }

  /** Standalone Modelyard as one child process on a fresh data folder under `work`, `env` added; returns its URL and process. */
  async function startStandalone({ token, env = {} }) {
    const port = await freePort();
    const proc = await startProcess('standalone', join(ROOT, 'services/standalone/dist/main.js'), {
      PORT: String(port),
      MODELYARD_HOST: '127.0.0.1',
      MODELYARD_DATA_DIR: join(work, 'standalone'),
      MODELYARD_ADMIN_TOKEN: token,
      MODELYARD_LOG_LEVEL: 'warn',
      TMPDIR: work,
      ...env,
    }, `http://127.0.0.1:${port}/readyz`);
    return { url: `http://127.0.0.1:${port}`, processes: [proc], extraPids: {} };
  }

  /**
   * Distributed Modelyard: registry, metrics, ingest, inference and gateway as child processes on the
   * infrastructure (ensureInfrastructure), a scratch database and bucket named after `prefix`, and
   * Redis database `redisDb`, all sharing one random master key; `env` is added to every process and
   * `serviceEnv[name]` to that one. Returns the gateway's URL, the processes (a list, and `byName`),
   * Redis's pid (`extraPids`, for CPU figures), each one's health port, and the scratch bucket with
   * its `removePrefix`.
   */
  async function startDistributed({ token, prefix, redisDb, env = {}, serviceEnv = {} }) {
    const infra = ensureInfrastructure();
    const databaseUrl = await scratchDatabase(infra.MODELYARD_DATABASE_URL, prefix.replaceAll('-', '_'));
    const redisUrl = await privateRedisUrl(infra.MODELYARD_REDIS_URL, redisDb);
    const { bucket, removePrefix } = await scratchBucket(infra, prefix.replaceAll('_', '-'));
    const [httpPort, rpcPort, metricsRpcPort, ...healthPorts] = await Promise.all(Array.from({ length: 7 }, () => freePort()));
    const common = {
      MODELYARD_DATABASE_URL: databaseUrl,
      MODELYARD_ADMIN_TOKEN: token,
      MODELYARD_SECRET_KEY: randomBytes(32).toString('base64'),
      MODELYARD_REGISTRY_HOST: '127.0.0.1',
      MODELYARD_REGISTRY_PORT: String(rpcPort),
      MODELYARD_METRICS_HOST: '127.0.0.1',
      MODELYARD_METRICS_PORT: String(metricsRpcPort),
      MODELYARD_HOST: '127.0.0.1',
      MODELYARD_DATA_DIR: join(work, 'distributed'),
      MODELYARD_LOG_LEVEL: 'warn',
      MODELYARD_KAFKA_BROKERS: infra.MODELYARD_KAFKA_BROKERS,
      MODELYARD_REDIS_URL: redisUrl,
      MODELYARD_S3_ENDPOINT: infra.MODELYARD_S3_ENDPOINT,
      MODELYARD_S3_ACCESS_KEY: infra.MODELYARD_S3_ACCESS_KEY,
      MODELYARD_S3_SECRET_KEY: infra.MODELYARD_S3_SECRET_KEY,
      MODELYARD_S3_BUCKET: bucket,
      ...env,
    };
    const healthPortOf = { gateway: httpPort, registry: healthPorts[0], ingest: healthPorts[1], inference: healthPorts[2], metrics: healthPorts[3] };
    const processes = [];
    for (const name of ['registry', 'metrics', 'ingest', 'inference', 'gateway']) {
      const port = healthPortOf[name];
      const own = name === 'gateway' ? { PORT: String(port) } : { MODELYARD_HEALTH_PORT: String(port) };
      processes.push(await startProcess(name, join(ROOT, `services/${name}/dist/main.js`), { ...common, ...own, ...serviceEnv[name] }, `http://127.0.0.1:${port}/readyz`));
    }
    let redisPid;
    try {
      redisPid = Number(readFileSync(join(ROOT, '.state/infra/redis/redis.pid'), 'utf8').trim()) || undefined;
    } catch {
      redisPid = undefined;
    }
    return {
      url: `http://127.0.0.1:${httpPort}`,
      processes,
      byName: Object.fromEntries(processes.map((proc) => [proc.name, proc])),
      /** Where each process answers /healthz, /readyz and /metrics (the gateway: its HTTP port). */
      healthPortOf,
      extraPids: redisPid ? { redis: redisPid } : {},
      infra,
      /** The scratch database the services use. */
      databaseUrl,
      bucket,
      removePrefix,
    };
  }

  return { cleanups, cleanUp, startProcess, ensureInfrastructure, scratchDatabase, privateRedisUrl, scratchBucket, startStandalone, startDistributed };
}
