import { runMigrations, typeormOptions, type Database, type ServiceSchema } from '@modelyard/platform';
import { CatalogModelEntity } from './catalog/entities/catalog-model.entity.js';
import { ProcessedEventEntity } from './events/entities/processed-event.entity.js';
import { CreateMetricsCatalog1764230500000 } from './migrations/1764230500000-CreateMetricsCatalog.js';
import { CreateUsageAggregates1764230600000 } from './migrations/1764230600000-CreateUsageAggregates.js';
import { AddUsageTokens1764230700000 } from './migrations/1764230700000-AddUsageTokens.js';
import { AddUsageByUserAndToken1764230800000 } from './migrations/1764230800000-AddUsageByUserAndToken.js';
import { UsageActorMinuteEntity } from './usage/entities/usage-actor-minute.entity.js';
import { UsageClaimEntity } from './usage/entities/usage-claim.entity.js';
import { UsageMinuteEntity } from './usage/entities/usage-minute.entity.js';
import { UsageTokenMinuteEntity } from './usage/entities/usage-token-minute.entity.js';
import { UsageUserMinuteEntity } from './usage/entities/usage-user-minute.entity.js';

/** In order. A new migration is appended here; a released one is never edited. */
export const METRICS_MIGRATIONS = [
  CreateMetricsCatalog1764230500000,
  CreateUsageAggregates1764230600000,
  AddUsageTokens1764230700000,
  AddUsageByUserAndToken1764230800000,
];

const METRICS_SCHEMA: ServiceSchema = {
  entities: [CatalogModelEntity, ProcessedEventEntity, UsageMinuteEntity, UsageActorMinuteEntity, UsageUserMinuteEntity, UsageTokenMinuteEntity, UsageClaimEntity],
  migrations: METRICS_MIGRATIONS,
  // Its own history table: the metrics service migrates independently of the registry.
  migrationsTableName: 'metrics_migrations',
};

export const metricsDataSourceOptions = (database: Database) => typeormOptions(database, METRICS_SCHEMA);
export const runMetricsMigrations = (database: Database) => runMigrations(database, METRICS_SCHEMA);
