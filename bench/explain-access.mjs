// EXPLAIN (ANALYZE, BUFFERS) of the SQL the registry sends for the access-list benchmark's queries
// (bench/access-list.mjs), for the bootstrap admin and for the non-admin caller, on the same
// organisation and models, after ANALYZE; the SQL is captured from the registry's own
// ModelsRepository.list on a logging DataSource, as capture-sql.mjs does.
//
//   node bench/explain-access.mjs [--size 100000] [--pglite] [--query 'q=zephyr&page_size=20'] [--database URL]
//   (after `npm run build`; PostgreSQL: MODELYARD_DATABASE_URL, a scratch database is made and
//   dropped; --pglite: an in-memory embedded database instead; --database URL: an existing
//   database, migrated and seeded only if it has no models yet, and kept, e.g. to try indexes)
import 'reflect-metadata';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { EmbeddedDatabase, PostgresDatabase } from '@modelyard/platform';
import { REGISTRY_ENTITIES, runRegistryMigrations } from '@modelyard/registry';
import { ModelEntity } from '../services/registry/dist/models/entities/model.entity.js';
import { ModelsRepository } from '../services/registry/dist/models/models.repository.js';
import { CALLER, seedOrganisation } from './lib/access-catalogue.mjs';
import { QUERY_STRINGS } from './lib/access-queries.mjs';

const { values: args } = parseArgs({
  options: { size: { type: 'string', default: '100000' }, pglite: { type: 'boolean' }, query: { type: 'string', multiple: true }, database: { type: 'string' } },
});
const size = Number(args.size);
let database, admin, scratch;
if (args.pglite) {
  database = await EmbeddedDatabase.open(undefined);
} else if (args.database) {
  database = new PostgresDatabase(args.database, 1);
} else {
  const server = process.env.MODELYARD_DATABASE_URL;
  if (!server) throw new Error('MODELYARD_DATABASE_URL must point at a PostgreSQL server (or use --pglite)');
  scratch = `modelyard_explain_access_${Date.now().toString(36)}`;
  admin = new pg.Client({ connectionString: server });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${scratch}`);
  const url = new URL(server);
  url.pathname = `/${scratch}`;
  database = new PostgresDatabase(url.toString(), 1);
  console.error(`scratch database: ${url}`);
}
const where = database.kind === 'embedded'
  ? { host: database.connection.host, port: database.connection.port, username: 'postgres', database: 'postgres', driver: database.connection.driver }
  : { url: database.connection.url };
const captured = [];
const ds = new DataSource({
  type: 'postgres',
  ...where,
  extra: { max: 1 },
  entities: REGISTRY_ENTITIES,
  logging: ['query'],
  logger: { logQuery: (query, parameters) => captured.push({ query, parameters }), logQueryError() {}, logQuerySlow() {}, logSchemaBuild() {}, logMigration() {}, log() {} },
});
try {
  await runRegistryMigrations(database);
  await ds.initialize();
  const [{ seeded }] = await ds.query('SELECT EXISTS (SELECT 1 FROM models) AS seeded');
  if (!seeded) {
    const started = performance.now();
    const client = { query: (text, params) => ds.query(text, params).then((rows) => ({ rows: Array.isArray(rows) ? rows : [] })) };
    await seedOrganisation(client, size);
    await ds.query('ANALYZE');
    console.error(`seeded ${size} models in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }
  const [me] = await ds.query('SELECT id FROM users WHERE username = $1', [CALLER]);
  const teams = (await ds.query('SELECT team_id FROM team_members WHERE user_id = $1', [me.id])).map((r) => r.team_id);
  const scopes = {
    admin: { all: true, model_ids: null },
    [CALLER]: { all: false, user_id: me.id, role: 'maintainer', team_ids: teams, model_ids: null },
  };
  const repo = new ModelsRepository(ds.getRepository(ModelEntity));
  for (const queryString of args.query ?? QUERY_STRINGS) {
    const q = Object.fromEntries(new URLSearchParams(queryString));
    const dto = { sort: q.sort ?? '-created_at', page: Number(q.page ?? 1), page_size: Number(q.page_size ?? 20), ...(q.type && { type: q.type }), ...(q.status && { status: q.status }), ...(q.q && { q: q.q }) };
    for (const [who, scope] of Object.entries(scopes)) {
      captured.length = 0;
      const started = performance.now();
      const { total } = await repo.list(dto, scope);
      const listMs = performance.now() - started;
      const statements = captured.filter((c) => !/^(START TRANSACTION|BEGIN|COMMIT)/.test(c.query));
      console.log(`\n=== ${queryString} as ${who}: total ${total}, list() ${listMs.toFixed(1)} ms, ${statements.length} statement(s)`);
      for (const s of statements) {
        const rows = await ds.query(`EXPLAIN (ANALYZE, BUFFERS) ${s.query}`, s.parameters);
        console.log(`-- ${s.query.replace(/^SELECT .*? FROM/s, 'SELECT … FROM').slice(0, 600)}`);
        for (const r of rows) console.log(`   ${r['QUERY PLAN']}`);
      }
    }
  }
} finally {
  await ds.destroy().catch(() => undefined);
  await database.close();
  if (admin) {
    await admin.query(`DROP DATABASE IF EXISTS ${scratch} WITH (FORCE)`);
    await admin.end();
  }
}
