// Prints the exact SQL (and parameters) TypeORM generates for the benchmark's list query, by running
// the registry's own ModelsRepository.list on a DataSource with a capturing logger.
// Usage: node bench/capture-sql.mjs <postgres url | PGlite socket folder>   (output: JSON on stdout)
// A folder (starting with /) is standalone mode's embedded database socket (<dir>/.s.PGSQL.5432).
import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { REGISTRY_ENTITIES } from '../services/registry/dist/data-source.js';
import { ModelEntity } from '../services/registry/dist/models/entities/model.entity.js';
import { ModelsRepository } from '../services/registry/dist/models/models.repository.js';

const url = process.argv[2];
if (!url) throw new Error('usage: capture-sql.mjs <database url | socket folder>');
const where = url.startsWith('/') ? { host: url, port: 5432, username: 'postgres', database: 'postgres' } : { url };
const captured = [];
const ds = new DataSource({
  type: 'postgres',
  ...where,
  extra: { max: 1 },
  entities: REGISTRY_ENTITIES,
  synchronize: false,
  logging: ['query'],
  logger: {
    logQuery: (query, parameters) => captured.push({ query, parameters }),
    logQueryError() {},
    logQuerySlow() {},
    logSchemaBuild() {},
    logMigration() {},
    log() {},
  },
});
await ds.initialize();
try {
  // Inside a transaction (left out of the output) so that, on PGlite's socket server, the
  // application's own queries cannot land between this connection's protocol messages.
  await ds.transaction(async (manager) => {
    captured.length = 0;
    const repo = new ModelsRepository(manager.getRepository(ModelEntity));
    // The query DTO as the gateway's validation pipe produces it for ?type=llm&status=active&page_size=50,
    // for the bootstrap admin (every model). A fresh repository has counted nothing yet, so this is
    // the page and the count; the registry answers a repeat of the query with the page alone, reusing
    // the count while nothing changed (ListTotals), so the baseline does more per request than it.
    await repo.list({ type: 'llm', status: 'active', sort: '-created_at', page: 1, page_size: 50 }, { all: true, model_ids: null });
  });
  process.stdout.write(`${JSON.stringify(captured.filter((c) => !/^(START TRANSACTION|BEGIN|COMMIT)/.test(c.query)), null, 2)}\n`);
} finally {
  await ds.destroy();
}
