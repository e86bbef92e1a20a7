// Closed-loop load with autocannon: `connections` connections each sending the next request as soon
// as the last answered, for `seconds`. autocannon's own histogram keeps whole milliseconds (too
// coarse for sub-millisecond comparisons) and has no p95, so every response's time (a float, ms)
// is taken from its 'response' event instead. CPU per request of the servers from /proc.
import autocannon from 'autocannon';
import { cpuMs, percentile, sleep } from './harness.mjs';

/** autocannon's default (10 s) would count MLflow's slowest searches at 100,000 models as failures. */
const REQUEST_TIMEOUT_S = 120;

/**
 * One measurement. `pids()` (may be async) lists the server processes whose CPU is counted, called
 * before and after, so processes that come and go (PostgreSQL backends) are caught as they are then.
 */
export async function closedLoop(url, { headers = {}, connections, seconds, warmupSeconds = 1, pids = () => [] }) {
  if (warmupSeconds > 0) await run(url, { headers, connections, duration: warmupSeconds });
  const before = cpuOf(await pids());
  const times = [];
  const result = await run(url, { headers, connections, duration: seconds }, (ms) => times.push(ms));
  const after = cpuOf(await pids());
  let cpu = 0;
  for (const [pid, ms] of after) cpu += ms - (before.get(pid) ?? 0); // a process new since `before` counts whole
  times.sort((a, b) => a - b);
  const failed = result.errors + result.timeouts + result.non2xx;
  return {
    requests: times.length,
    rps: times.length / seconds,
    p50: percentile(times, 50),
    p95: percentile(times, 95),
    p99: percentile(times, 99),
    failed,
    cpuMsPerRequest: times.length ? cpu / times.length : NaN,
  };
}

function run(url, options, onResponse) {
  return new Promise((resolve, reject) => {
    const instance = autocannon({ url, timeout: REQUEST_TIMEOUT_S, ...options }, (error, result) => (error ? reject(error) : resolve(result)));
    if (onResponse) instance.on('response', (_client, _status, _bytes, ms) => onResponse(ms));
  });
}

function cpuOf(pids) {
  const byPid = new Map();
  for (const pid of pids) {
    const ms = cpuMs(pid);
    if (Number.isFinite(ms)) byPid.set(pid, ms);
  }
  return byPid;
}

/**
 * Waits until the processes are idle (under `busyMs` of CPU in each `windowMs`), at most `maxMs`:
 * a server still working through requests the last run left in flight (autocannon stops sending
 * at the end of its duration, not the server) would otherwise slow the next target measured.
 * Returns how long it waited.
 */
export async function settle(pids, { windowMs = 250, busyMs = 25, maxMs = 120_000 } = {}) {
  const started = performance.now();
  for (;;) {
    const list = await pids();
    const before = cpuOf(list);
    await sleep(windowMs);
    const after = cpuOf(list);
    let busy = 0;
    for (const [pid, ms] of after) busy += ms - (before.get(pid) ?? ms);
    if (busy < busyMs || performance.now() - started > maxMs) return performance.now() - started;
  }
}
