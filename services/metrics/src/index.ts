export { startMetrics } from './metrics.app.js';
export { runMetricsMigrations, metricsDataSourceOptions, METRICS_MIGRATIONS } from './data-source.js';
