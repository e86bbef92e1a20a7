import { createLogger, createPlatform, loadConfig, runProcess, startHealthServer } from '@modelyard/platform';
import { startIngest } from './ingest.app.js';

/** The ingest worker as its own process, with health endpoints on MODELYARD_HEALTH_PORT (default 8082). */
await runProcess('ingest', async () => {
  const config = loadConfig();
  const logger = createLogger(config).child({ service: 'ingest' });
  const platform = await createPlatform(config, logger, { mode: 'distributed', withDatabase: false });
  const worker = await startIngest(platform);
  const health = await startHealthServer({
    host: config.http.host,
    port: config.health.port ?? 8082,
    checks: platform.readinessChecks,
    logger,
  });
  return async () => {
    await health.close();
    await worker.close();
    await platform.close();
  };
});
