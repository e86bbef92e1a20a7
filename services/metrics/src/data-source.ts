import { runMigrations, typeormOptions, type Database, type ServiceSchema } from '@modelyard/platform';
import { CatalogModelEntity } from './catalog/entities/catalog-model.entity.js';
import { ProcessedEventEntity } from './events/entities/processed-event.entity.js';
import { CreateMetricsCatalog1764230500000 } from './migrations/1764230500000-CreateMetricsCatalog.js';

/** In order. A new migration is appended here; a released one is never edited. */
export const METRICS_MIGRATIONS = [CreateMetricsCatalog1764230500000];

const METRICS_SCHEMA: ServiceSchema = {
  entities: [CatalogModelEntity, ProcessedEventEntity],
  migrations: METRICS_MIGRATIONS,
  // Its own history table: the metrics service migrates independently of the registry.
  migrationsTableName: 'metrics_migrations',
};

export const metricsDataSourceOptions = (database: Database) => typeormOptions(database, METRICS_SCHEMA);
export const runMetricsMigrations = (database: Database) => runMigrations(database, METRICS_SCHEMA);
