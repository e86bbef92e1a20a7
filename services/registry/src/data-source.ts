import { DataSource, type DataSourceOptions } from 'typeorm';
import type { Database } from '@modelyard/platform';
import { CreateModelRegistry1764230400000 } from './migrations/1764230400000-CreateModelRegistry.js';
import { ModelEntity } from './models/entities/model.entity.js';
import { OutboxEventEntity } from './outbox/entities/outbox-event.entity.js';

export const REGISTRY_ENTITIES = [ModelEntity, OutboxEventEntity];
/** In order. A new migration is appended here; a released one is never edited. */
export const REGISTRY_MIGRATIONS = [CreateModelRegistry1764230400000];

export function registryDataSourceOptions(database: Database): DataSourceOptions {
  const c = database.connection;
  return {
    type: 'postgres',
    ...(c.url ? { url: c.url } : { host: c.host, port: c.port, username: c.username, database: c.database }),
    ...(c.driver && { driver: c.driver }),
    // PGlite has no uuid-ossp; gen_random_uuid() is built into PostgreSQL 13+.
    uuidExtension: 'pgcrypto',
    entities: REGISTRY_ENTITIES,
    migrations: REGISTRY_MIGRATIONS,
    migrationsTableName: 'registry_migrations',
    synchronize: false,
    migrationsRun: false,
    extra: { max: c.poolSize },
  };
}

/**
 * The explicit start-up step: applies pending migrations with a short-lived connection, then
 * closes it (PGlite serves one connection at a time, and the service opens its own).
 */
export async function runRegistryMigrations(database: Database): Promise<string[]> {
  const dataSource = new DataSource({ ...registryDataSourceOptions(database), extra: { max: 1 } });
  await dataSource.initialize();
  try {
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    return applied.map((m) => m.name);
  } finally {
    await dataSource.destroy();
  }
}
