import { createLogger, createPlatform, loadConfig, runProcess, startHealthServer } from '@modelyard/platform';
import { startMetrics } from './metrics.app.js';

/** The metrics worker as its own process, with health endpoints on MODELYARD_HEALTH_PORT (default 8084). */
await runProcess('metrics', async () => {
  const config = loadConfig();
  const logger = createLogger(config).child({ service: 'metrics' });
  const platform = await createPlatform(config, logger, { mode: 'distributed', withDatabase: false });
  const worker = await startMetrics(platform);
  const health = await startHealthServer({
    host: config.http.host,
    port: config.health.port ?? 8084,
    checks: platform.readinessChecks,
    logger,
  });
  return async () => {
    await health.close();
    await worker.close();
    await platform.close();
  };
});
