// EXPLAIN (ANALYZE, BUFFERS) of the statements capture-sql.mjs captured, and of the list statement
// without "NULLS LAST" for comparison (a DESC NULLS LAST order cannot be read off an ascending
// index backwards, so PostgreSQL fetches every matching row and sorts; see RESULTS.md).
//   node bench/explain-list.mjs <postgres url | PGlite socket folder> <captured sql.json>
import { readFileSync } from 'node:fs';
import pg from 'pg';

const [where, file] = process.argv.slice(2);
if (!where || !file) throw new Error('usage: explain-list.mjs <database url | socket folder> <sql.json>');
const statements = JSON.parse(readFileSync(file, 'utf8'));
const client = new pg.Client(
  where.startsWith('/') ? { host: where, port: 5432, user: 'postgres', database: 'postgres' } : { connectionString: where },
);
await client.connect();
const variants = [];
for (const s of statements) {
  variants.push({ label: 'as the registry sends it', ...s });
  if (s.query.includes(' NULLS LAST')) {
    variants.push({ label: 'same, without NULLS LAST', query: s.query.replaceAll(' NULLS LAST', ''), parameters: s.parameters });
  }
}
// In a transaction: on PGlite's socket server that keeps this connection's messages together.
await client.query('BEGIN');
try {
  for (const v of variants) {
    await client.query(v.query, v.parameters); // warm
    const { rows } = await client.query(`EXPLAIN (ANALYZE, BUFFERS) ${v.query}`, v.parameters);
    console.log(`-- ${v.label}: ${v.query.replace(/^SELECT .*? FROM/, 'SELECT ... FROM')}`);
    for (const r of rows) console.log(`   ${r['QUERY PLAN']}`);
    console.log();
  }
} finally {
  await client.query('COMMIT');
  await client.end();
}
