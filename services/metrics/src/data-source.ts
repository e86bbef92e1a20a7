import { DataSource, type DataSourceOptions } from 'typeorm';
import type { Database } from '@modelyard/platform';
import { CatalogModelEntity } from './catalog/entities/catalog-model.entity.js';
import { ProcessedEventEntity } from './events/entities/processed-event.entity.js';
import { CreateMetricsCatalog1764230500000 } from './migrations/1764230500000-CreateMetricsCatalog.js';

export const METRICS_ENTITIES = [CatalogModelEntity, ProcessedEventEntity];
/** In order. A new migration is appended here; a released one is never edited. */
export const METRICS_MIGRATIONS = [CreateMetricsCatalog1764230500000];

export function metricsDataSourceOptions(database: Database): DataSourceOptions {
  const c = database.connection;
  return {
    type: 'postgres',
    ...(c.url ? { url: c.url } : { host: c.host, port: c.port, username: c.username, database: c.database }),
    ...(c.driver && { driver: c.driver }),
    uuidExtension: 'pgcrypto',
    entities: METRICS_ENTITIES,
    migrations: METRICS_MIGRATIONS,
    // Its own history table: the metrics service migrates independently of the registry.
    migrationsTableName: 'metrics_migrations',
    synchronize: false,
    migrationsRun: false,
    extra: { max: c.poolSize },
  };
}

/** The explicit start-up step, as for the registry. */
export async function runMetricsMigrations(database: Database): Promise<string[]> {
  const dataSource = new DataSource({ ...metricsDataSourceOptions(database), extra: { max: 1 } });
  await dataSource.initialize();
  try {
    return (await dataSource.runMigrations({ transaction: 'each' })).map((m) => m.name);
  } finally {
    await dataSource.destroy();
  }
}
