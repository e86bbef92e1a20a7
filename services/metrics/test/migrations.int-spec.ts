import { describeMigrations } from '@modelyard/testing';
import { METRICS_MIGRATIONS, metricsDataSourceOptions, runMetricsMigrations } from '../src/index.js';

describeMigrations({
  service: 'metrics',
  dataSourceOptions: metricsDataSourceOptions,
  run: runMetricsMigrations,
  migrations: METRICS_MIGRATIONS.map((m) => m.name),
  tables: ['metrics_models', 'metrics_processed_events', 'metrics_usage_claims', 'metrics_usage_minutes'],
});
