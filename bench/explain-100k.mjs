// Does the list query stay fast at 100k models? Seeds 100,000 rows into a scratch database on the
// test PostgreSQL (schema from the registry's own migrations), then EXPLAIN ANALYZEs the list
// query the registry sends for common filter/sort combinations and prints plan and timing.
//   MODELYARD_DATABASE_URL=postgres://... node bench/explain-100k.mjs   (after `npm run build`)
import pg from 'pg';
import { PostgresDatabase } from '@modelyard/platform';
import { runRegistryMigrations } from '@modelyard/registry';

const server = process.env.MODELYARD_DATABASE_URL;
if (!server) throw new Error('MODELYARD_DATABASE_URL must point at a PostgreSQL server');
const name = `modelyard_explain_${Date.now().toString(36)}`;
const admin = new pg.Client({ connectionString: server });
await admin.connect();
await admin.query(`CREATE DATABASE ${name}`);
const url = new URL(server);
url.pathname = `/${name}`;
const client = new pg.Client({ connectionString: url.toString() });
try {
  await runRegistryMigrations(new PostgresDatabase(url.toString(), 1));
  await client.connect();
  await client.query(`
    INSERT INTO models (name, version, type, framework, source, status, description, tags, config, accuracy, latency_ms, owner, created_at, updated_at)
    SELECT 'model-' || i, '1.0',
           (ARRAY['llm','vision','audio','multimodal','embedding','custom'])[1 + i % 6],
           (ARRAY['pytorch','tensorflow','onnx','tensorrt','openvino','custom'])[1 + i % 6],
           (ARRAY['huggingface','upload','endpoint','custom'])[1 + i % 4],
           (ARRAY['active','inactive','active','error'])[1 + i % 4],
           'description of model ' || i || CASE WHEN i % 1000 = 0 THEN ' with a rare word zebrafish' ELSE '' END,
           ARRAY['team-' || (i % 20), 'tier-' || (i % 3)],
           '{"input_format":null,"output_format":null,"parameters":{},"env":{}}',
           CASE WHEN i % 5 = 0 THEN NULL ELSE (i % 100) / 100.0 END,
           CASE WHEN i % 7 = 0 THEN NULL ELSE i % 500 END,
           'admin', now() - (i || ' seconds')::interval, now() - (i || ' seconds')::interval
    FROM generate_series(1, 100000) AS i`);
  await client.query('ANALYZE models');
  const select = `SELECT "model"."id", "model"."name", "model"."version", "model"."type", "model"."status", "model"."tags", "model"."config", "model"."latency_ms", "model"."created_at" FROM "models" "model"`;
  const cases = [
    ['type+status, default sort (-created_at)', `${select} WHERE "model"."type" = 'llm' AND "model"."status" = 'active' ORDER BY "model"."created_at" DESC, "model"."id" DESC LIMIT 50`],
    ['count for type+status', `SELECT COUNT(1) FROM "models" "model" WHERE "model"."type" = 'llm' AND "model"."status" = 'active'`],
    ['no filter, sort name, page 100', `${select} ORDER BY "model"."name" ASC, "model"."id" ASC LIMIT 50 OFFSET 4950`],
    ['sort -latency_ms (nulls last)', `${select} ORDER BY "model"."latency_ms" DESC NULLS LAST, "model"."id" DESC LIMIT 50`],
    ['tag filter', `${select} WHERE "model"."tags" @> ARRAY['team-7','tier-1'] ORDER BY "model"."created_at" DESC, "model"."id" DESC LIMIT 50`],
    ['q search (rare word)', `${select} WHERE ("model"."name" ILIKE '%zebrafish%' OR "model"."description" ILIKE '%zebrafish%') ORDER BY "model"."created_at" DESC, "model"."id" DESC LIMIT 50`],
    ['count for q search', `SELECT COUNT(1) FROM "models" "model" WHERE ("model"."name" ILIKE '%zebrafish%' OR "model"."description" ILIKE '%zebrafish%')`],
  ];
  console.log('| query (100,000 models) | plan | execution ms |');
  console.log('|---|---|---|');
  for (const [label, sql] of cases) {
    await client.query(sql); // warm the cache
    const { rows } = await client.query(`EXPLAIN (ANALYZE, FORMAT JSON) ${sql}`);
    const plan = rows[0]['QUERY PLAN'][0];
    const nodes = [];
    const walk = (n) => {
      nodes.push(n['Index Name'] ? `${n['Node Type']} (${n['Index Name']})` : n['Node Type']);
      for (const c of n.Plans ?? []) walk(c);
    };
    walk(plan.Plan);
    console.log(`| ${label} | ${nodes.join(' → ')} | ${plan['Execution Time'].toFixed(2)} |`);
  }
} finally {
  await client.end().catch(() => undefined);
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.end();
}
