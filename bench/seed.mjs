// Seeds Modelyard with a deterministic catalogue of models for the list benchmark.
//
//   node bench/seed.mjs --api http://127.0.0.1:8080 --token <admin token> \
//        (--db <postgres url> | --socket-dir <PGlite socket folder>) \
//        [--total 10000] [--api-count 500] [--concurrency 20] [--out result.json]
//
// The newest `--api-count` records go through the public API (POST /api/v1/ai-models/), so the
// schema, defaults and write path are the application's own and their speed is measured. The older
// rest is bulk-inserted with multi-row INSERTs into the same `models` table the API just wrote to;
// then the few records whose generated status is `uploading` or `error` (which only the system may
// set, not the API) get it by UPDATE, and the table is ANALYZEd.
//
// Distributed mode: --db is the registry's PostgreSQL database. Standalone mode: the embedded
// PGlite database is served by the standalone process on a private Unix socket
// (<tmpdir>/modelyard-pg-*/.s.PGSQL.5432, owner-only); --socket-dir points at that folder and the
// seeder connects to it as a short-lived extra client, exactly as the product allows tools to.
// Both modes therefore hold the same rows (same generator, same seed), only ids and the API rows'
// timestamps differ. With --api-count equal to --total everything goes through the API.
import { parseArgs } from 'node:util';
import pg from 'pg';

const { values: args } = parseArgs({
  options: {
    api: { type: 'string' },
    token: { type: 'string' },
    db: { type: 'string' },
    'socket-dir': { type: 'string' },
    total: { type: 'string', default: '10000' },
    'api-count': { type: 'string', default: '500' },
    concurrency: { type: 'string', default: '20' },
    out: { type: 'string' },
  },
});
const TOTAL = Number(args.total);
const API_COUNT = Math.min(Number(args['api-count']), TOTAL);
const CONCURRENCY = Number(args.concurrency);
if (!args.api || !args.token || (!args.db && !args['socket-dir'])) {
  process.stderr.write('usage: seed.mjs --api URL --token TOKEN (--db URL | --socket-dir DIR) [--total N] [--api-count N]\n');
  process.exit(2);
}

// ---------------------------------------------------------------------------------------------
// The catalogue: record i is a pure function of i.
// ---------------------------------------------------------------------------------------------
const TYPES = ['llm', 'vision', 'audio', 'multimodal', 'embedding', 'custom'];
const FRAMEWORKS = ['pytorch', 'tensorflow', 'onnx', 'tensorrt', 'openvino', 'custom'];
const SOURCES = ['huggingface', 'upload', 'endpoint', 'custom', 'openai', 'anthropic'];
const SOURCE_WEIGHTS = [40, 25, 15, 10, 6, 4];
// ~half active; uploading and error are system statuses.
const STATUSES = ['active', 'inactive', 'uploading', 'error'];
const STATUS_WEIGHTS = [50, 35, 8, 7];
const FAMILIES = ['llama', 'mistral', 'qwen', 'phi', 'gemma', 'bert', 'clip', 'whisper', 'yolo', 'resnet', 'vit', 'e5', 'bge', 't5'];
const TAGS = ['production', 'staging', 'experimental', 'chat', 'rag', 'vision', 'speech', 'quantized', 'fp16', 'int8', 'gpu', 'cpu', 'edge', 'team:search', 'team:ml-platform', 'licence:apache-2.0', 'licence:mit'];
const VERSIONS = ['1.0', '1.1', '2.0', '2.1', '3.0'];
const WORDS = 'fine tuned on internal support tickets evaluated against the quarterly benchmark suite distilled from a larger teacher model served behind the shared inference pool with batching and quantized weights for lower latency'.split(' ');
const ERRORS = ['Download failed: HTTP 503 from the model hub', 'Checksum mismatch after upload', 'Endpoint health check timed out'];

function rng(seed) {
  // mulberry32
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const pick = (r, list) => list[Math.floor(r() * list.length)];
const weighted = (r, list, weights) => {
  let x = r() * weights.reduce((s, w) => s + w, 0);
  for (let k = 0; k < list.length; k++) if ((x -= weights[k]) < 0) return list[k];
  return list.at(-1);
};

export function record(i) {
  const r = rng(0x5eed0000 + i);
  const type = pick(r, TYPES);
  const source = weighted(r, SOURCES, SOURCE_WEIGHTS);
  const framework = source === 'openai' || source === 'anthropic' ? source : pick(r, FRAMEWORKS);
  const status = weighted(r, STATUSES, STATUS_WEIGHTS);
  const family = pick(r, FAMILIES);
  const tags = [...new Set(Array.from({ length: 1 + Math.floor(r() * 4) }, () => pick(r, TAGS)))];
  const words = Array.from({ length: 12 + Math.floor(r() * 20) }, () => pick(r, WORDS));
  const description = `${family} ${type} model: ${words.join(' ')}.`;
  return {
    name: `${family}-${type}-${String(i).padStart(5, '0')}`,
    version: pick(r, VERSIONS),
    type,
    framework,
    source,
    status,
    status_message: status === 'error' ? pick(r, ERRORS) : null,
    description,
    endpoint: source === 'endpoint' || source === 'openai' || source === 'anthropic' ? `https://inference.example.com/v1/${family}-${i}` : null,
    tags,
    accuracy: r() < 0.7 ? Math.round(r() * 10000) / 10000 : null,
    latency_ms: r() < 0.6 ? Math.round(5 + r() * 2000) : null,
  };
}

// ---------------------------------------------------------------------------------------------
// 1. The newest API_COUNT records through the API.
// ---------------------------------------------------------------------------------------------
const base = args.api.replace(/\/$/, '');
const apiIndexes = Array.from({ length: API_COUNT }, (_, k) => TOTAL - API_COUNT + k);
const systemStatus = []; // [id, status, status_message] for API records with a system status
const apiStarted = performance.now();
let next = 0;
async function worker() {
  while (next < apiIndexes.length) {
    const i = apiIndexes[next++];
    const m = record(i);
    const body = {
      name: m.name,
      version: m.version,
      type: m.type,
      framework: m.framework,
      source: m.source,
      status: m.status === 'active' ? 'active' : 'inactive',
      description: m.description,
      endpoint: m.endpoint,
      tags: m.tags,
      accuracy: m.accuracy,
      latency_ms: m.latency_ms,
    };
    const res = await fetch(`${base}/api/v1/ai-models/`, {
      method: 'POST',
      headers: { authorization: `Bearer ${args.token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (res.status !== 201) throw new Error(`POST record ${i}: HTTP ${res.status} ${await res.text()}`);
    const created = await res.json();
    if (m.status === 'uploading' || m.status === 'error') systemStatus.push([created.id, m.status, m.status_message]);
  }
}
await Promise.all(Array.from({ length: Math.min(CONCURRENCY, API_COUNT) }, worker));
const apiSeconds = (performance.now() - apiStarted) / 1000;

// ---------------------------------------------------------------------------------------------
// 2. The older rest straight into the table, 3. system statuses, 4. ANALYZE.
// ---------------------------------------------------------------------------------------------
const client = new pg.Client(
  args.db
    ? { connectionString: args.db }
    : { host: args['socket-dir'], port: 5432, user: 'postgres', database: 'postgres' },
);
await client.connect();
const sqlStarted = performance.now();
const BULK = TOTAL - API_COUNT;
// Older records: one every 20 minutes back from the oldest API record (10,000 span ~140 days).
const { rows: [{ oldest }] } = await client.query('SELECT COALESCE(MIN(created_at), now()) AS oldest FROM models');
const COLUMNS = ['name', 'version', 'type', 'framework', 'source', 'status', 'status_message', 'description', 'endpoint', 'tags', 'config', 'accuracy', 'latency_ms', 'owner', 'created_at', 'updated_at'];
const CONFIG = JSON.stringify({ input_format: null, output_format: null, parameters: {}, env: {} });
const BATCH = 500;
// One transaction, and not only for speed: PGlite's socket server runs one protocol message at a
// time from whichever connection sent it, and keeps a connection's messages together only inside
// a transaction. Outside one, the application's own queries (its outbox relay polls every second)
// can land between this connection's Parse and Bind ("unnamed prepared statement does not exist").
await client.query('BEGIN');
for (let start = 0; start < BULK; start += BATCH) {
  const values = [];
  const params = [];
  for (let i = start; i < Math.min(start + BATCH, BULK); i++) {
    const m = record(i);
    const created = new Date(oldest.getTime() - (BULK - i) * 20 * 60_000);
    const updated = new Date(created.getTime() + Math.floor(rng(i)() * 7 * 86_400_000));
    const row = [m.name, m.version, m.type, m.framework, m.source, m.status, m.status_message, m.description, m.endpoint, m.tags, CONFIG, m.accuracy, m.latency_ms, 'admin', created, updated];
    values.push(`(${row.map((_, k) => `$${params.length + k + 1}`).join(', ')})`);
    params.push(...row);
  }
  await client.query(`INSERT INTO models (${COLUMNS.join(', ')}) VALUES ${values.join(', ')}`, params);
}
for (const [id, status, message] of systemStatus) {
  await client.query('UPDATE models SET status = $2, status_message = $3 WHERE id = $1', [id, status, message]);
}
await client.query('COMMIT');
// Planner statistics, as autovacuum would gather them on PostgreSQL (PGlite has no autovacuum).
await client.query('ANALYZE models');
const sqlSeconds = (performance.now() - sqlStarted) / 1000;

const { rows: [counts] } = await client.query(
  `SELECT count(*)::int AS total, count(*) FILTER (WHERE type = 'llm')::int AS llm,
          count(*) FILTER (WHERE status = 'active')::int AS active,
          count(*) FILTER (WHERE type = 'llm' AND status = 'active')::int AS llm_active FROM models`,
);
await client.end();
if (counts.total !== TOTAL) throw new Error(`expected ${TOTAL} models, found ${counts.total}`);

// The API must see what was inserted behind it.
const check = await fetch(`${base}/api/v1/ai-models/?type=llm&status=active&page_size=50`, {
  headers: { authorization: `Bearer ${args.token}` },
});
const page = await check.json();
if (check.status !== 200 || page.total !== counts.llm_active || page.items.length !== Math.min(50, counts.llm_active)) {
  throw new Error(`list check failed: HTTP ${check.status}, total ${page.total} (expected ${counts.llm_active})`);
}

const result = {
  total: TOTAL,
  via_api: API_COUNT,
  api_seconds: Number(apiSeconds.toFixed(2)),
  api_creates_per_s: API_COUNT ? Math.round(API_COUNT / apiSeconds) : null,
  api_concurrency: CONCURRENCY,
  via_sql: BULK,
  sql_seconds: Number(sqlSeconds.toFixed(2)),
  counts,
};
process.stdout.write(`${JSON.stringify(result)}\n`);
if (args.out) {
  const { writeFile } = await import('node:fs/promises');
  await writeFile(args.out, `${JSON.stringify(result, null, 2)}\n`);
}
