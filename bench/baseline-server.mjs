// The benchmark's baseline: a bare Fastify server with one route, GET /models, that runs the SQL
// the registry runs for `GET /api/v1/ai-models/?type=...&status=...&page_size=...` and answers the
// same JSON (items/total/page/page_size, snake_case fields). No Nest, no TypeORM, no RPC hop, no
// auth, no validation beyond parsing two integers: the floor a Modelyard list request is compared to.
//
//   node bench/baseline-server.mjs --port 8090 --driver pg --url postgres://... [--pool 10] [--sql bench/out/sql.json]
//   node bench/baseline-server.mjs --port 8091 --driver pglite --data-dir <PGlite folder>
//   node bench/baseline-server.mjs --port 8092 --driver pglite-socket --data-dir <PGlite folder>
//
// Drivers:
//   pg             node-postgres pool on a real PostgreSQL (the distributed mode's database).
//   pglite         PGlite in this process, queried directly with db.query (the floor for standalone).
//   pglite-socket  PGlite in this process served on a private Unix socket and queried through a
//                  node-postgres pool of 1 - the way standalone Modelyard reaches its database.
//
// --sql takes the statements captured from TypeORM by capture-sql.mjs (so a change in the
// registry's query shows up here); without it the copy below, captured from TypeORM 1.1.1, is used.
import { mkdtemp } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import Fastify from 'fastify';
import pg from 'pg';

const { values: args } = parseArgs({
  options: {
    port: { type: 'string', default: '8090' },
    host: { type: 'string', default: '127.0.0.1' },
    driver: { type: 'string', default: 'pg' },
    url: { type: 'string' },
    'data-dir': { type: 'string' },
    pool: { type: 'string', default: '10' },
    sql: { type: 'string' },
  },
});

let LIST_SQL =
  'SELECT "model"."id" AS "model_id", "model"."name" AS "model_name", "model"."version" AS "model_version", "model"."type" AS "model_type", "model"."framework" AS "model_framework", "model"."source" AS "model_source", "model"."status" AS "model_status", "model"."status_message" AS "model_status_message", "model"."description" AS "model_description", "model"."endpoint" AS "model_endpoint", "model"."tags" AS "model_tags", "model"."config" AS "model_config", "model"."accuracy" AS "model_accuracy", "model"."latency_ms" AS "model_latency_ms", "model"."owner" AS "model_owner", "model"."created_at" AS "model_created_at", "model"."updated_at" AS "model_updated_at" FROM "models" "model" WHERE "model"."type" = $1 AND "model"."status" = $2 ORDER BY "model"."created_at" DESC NULLS LAST, "model"."id" DESC LIMIT 50 OFFSET 0';
let COUNT_SQL = 'SELECT COUNT(1) AS "cnt" FROM "models" "model" WHERE "model"."type" = $1 AND "model"."status" = $2';
if (args.sql) {
  const captured = JSON.parse(readFileSync(args.sql, 'utf8'));
  const list = captured.find((c) => /^SELECT "model"\."id"/.test(c.query));
  const count = captured.find((c) => /^SELECT COUNT/i.test(c.query));
  if (!list || !count) throw new Error(`${args.sql} does not hold the list and count statements`);
  LIST_SQL = list.query;
  COUNT_SQL = count.query;
}
if (!/LIMIT \d+ OFFSET \d+$/.test(LIST_SQL)) throw new Error('the list statement does not end in LIMIT n OFFSET m');
// TypeORM writes the page into the text; so do we (both are validated integers).
const listSql = (limit, offset) => LIST_SQL.replace(/LIMIT \d+ OFFSET \d+$/, `LIMIT ${limit} OFFSET ${offset}`);

/** A run(fn) that lends fn one connection for the two statements, as TypeORM's query runner does. */
async function openDriver() {
  if (args.driver === 'pg') {
    if (!args.url) throw new Error('--driver pg needs --url');
    const pool = new pg.Pool({ connectionString: args.url, max: Number(args.pool) });
    return {
      async run(fn) {
        const client = await pool.connect();
        try {
          return await fn((text, params) => client.query(text, params).then((r) => r.rows));
        } finally {
          client.release();
        }
      },
      close: () => pool.end(),
    };
  }
  if (args.driver === 'pglite' || args.driver === 'pglite-socket') {
    if (!args['data-dir']) throw new Error(`--driver ${args.driver} needs --data-dir`);
    const { PGlite } = await import('@electric-sql/pglite');
    const { pg_trgm } = await import('@electric-sql/pglite/contrib/pg_trgm');
    const db = await PGlite.create({ dataDir: args['data-dir'], extensions: { pg_trgm } });
    if (args.driver === 'pglite') {
      return {
        // PGlite runs one statement at a time anyway; a transaction is not needed for two reads.
        run: (fn) => fn((text, params) => db.query(text, params).then((r) => r.rows)),
        close: () => db.close(),
      };
    }
    const { PGLiteSocketServer } = await import('@electric-sql/pglite-socket');
    const socketDir = await mkdtemp(join(tmpdir(), 'modelyard-bench-pg-'));
    const server = new PGLiteSocketServer({ db, path: join(socketDir, '.s.PGSQL.5432'), maxConnections: 4 });
    await server.start();
    const pool = new pg.Pool({ host: socketDir, port: 5432, user: 'postgres', database: 'postgres', max: 1 });
    return {
      async run(fn) {
        const client = await pool.connect();
        try {
          return await fn((text, params) => client.query(text, params).then((r) => r.rows));
        } finally {
          client.release();
        }
      },
      async close() {
        await pool.end();
        await server.stop();
        await db.close();
      },
    };
  }
  throw new Error(`unknown --driver ${args.driver} (pg, pglite, pglite-socket)`);
}

const iso = (value) => (value instanceof Date ? value : new Date(value)).toISOString();
const toDto = (r) => ({
  id: r.model_id,
  name: r.model_name,
  version: r.model_version,
  type: r.model_type,
  framework: r.model_framework,
  source: r.model_source,
  status: r.model_status,
  status_message: r.model_status_message,
  description: r.model_description,
  endpoint: r.model_endpoint,
  tags: r.model_tags,
  config: r.model_config,
  accuracy: r.model_accuracy,
  latency_ms: r.model_latency_ms,
  owner: r.model_owner,
  created_at: iso(r.model_created_at),
  updated_at: iso(r.model_updated_at),
});

const driver = await openDriver();
const app = Fastify({ logger: false });
app.get('/models', async (request, reply) => {
  const { type, status } = request.query;
  const page = Number(request.query.page ?? 1);
  const pageSize = Number(request.query.page_size ?? 20);
  if (!Number.isInteger(page) || page < 1 || !Number.isInteger(pageSize) || pageSize < 1 || pageSize > 200) {
    return reply.code(422).send({ detail: 'bad page or page_size' });
  }
  const params = [type, status];
  const { rows, cnt } = await driver.run(async (query) => {
    const rows = await query(listSql(pageSize, (page - 1) * pageSize), params);
    // TypeORM skips the count when the first page is not full (then the count is the row count).
    if (page === 1 && rows.length < pageSize) return { rows, cnt: rows.length };
    const [count] = await query(COUNT_SQL, params);
    // The registry's count names its column `total` (and reads the list version beside it).
    return { rows, cnt: Number(count.cnt ?? count.total) };
  });
  return { items: rows.map(toDto), total: cnt, page, page_size: pageSize };
});
app.get('/readyz', async () => ({ status: 'ok' }));

await app.listen({ port: Number(args.port), host: args.host });
process.stderr.write(`baseline (${args.driver}) listening on http://${args.host}:${args.port}\n`);
const stop = async () => {
  await app.close();
  await driver.close();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
