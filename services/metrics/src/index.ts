export { startMetrics, type MetricsApp, type MetricsAppOptions } from './metrics.app.js';
export { runMetricsMigrations, metricsDataSourceOptions, METRICS_MIGRATIONS } from './data-source.js';
export { USAGE_CONSUMER_GROUP } from './usage/usage.consumer.js';
