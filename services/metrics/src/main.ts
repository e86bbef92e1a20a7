import { requireSetting, runWorkerProcess } from '@modelyard/platform';
import { runMetricsMigrations } from './data-source.js';
import { startMetrics } from './metrics.app.js';

/**
 * The metrics service as its own process: its migrations, then its consumers and its RPC over TCP
 * (MODELYARD_METRICS_HOST/PORT, default 127.0.0.1:4002); health on MODELYARD_HEALTH_PORT (default 8084).
 */
await runWorkerProcess('metrics', 8084, async (platform) => {
  requireSetting(platform.config.database.url, 'MODELYARD_DATABASE_URL', 'when the metrics service runs as its own process');
  const applied = await runMetricsMigrations(platform.database!);
  platform.logger.info({ applied }, applied.length ? 'metrics migrations applied' : 'metrics schema is up to date');
  const { host, port } = platform.config.metricsRpc;
  const metrics = await startMetrics(platform, { tcp: { host, port } });
  platform.logger.info({ host, port }, 'metrics listening (TCP)');
  return metrics;
}, { withDatabase: true, withSecrets: false });
