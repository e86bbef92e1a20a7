import { createLogger, createPlatform, loadConfig, runProcess, startHealthServer } from '@modelyard/platform';
import { startInference } from './inference.app.js';

/** The inference worker as its own process, with health endpoints on MODELYARD_HEALTH_PORT (default 8083). */
await runProcess('inference', async () => {
  const config = loadConfig();
  const logger = createLogger(config).child({ service: 'inference' });
  const platform = await createPlatform(config, logger, { mode: 'distributed', withDatabase: false });
  const worker = await startInference(platform);
  const health = await startHealthServer({
    host: config.http.host,
    port: config.health.port ?? 8083,
    checks: platform.readinessChecks,
    logger,
  });
  return async () => {
    await health.close();
    await worker.close();
    await platform.close();
  };
});
