import {
  createLogger,
  createPlatform,
  loadConfig,
  requireSetting,
  runProcess,
  startHealthServer,
} from '@modelyard/platform';
import { runRegistryMigrations } from './data-source.js';
import { startRegistry } from './registry.app.js';

/** The registry as its own process: migrations, then RPC over TCP, plus health endpoints. */
await runProcess('registry', async () => {
  const config = loadConfig();
  requireSetting(config.database.url, 'MODELYARD_DATABASE_URL', 'when the registry runs as its own process');
  const logger = createLogger(config).child({ service: 'registry' });
  const platform = await createPlatform(config, logger, { mode: 'distributed', withDatabase: true });
  const applied = await runRegistryMigrations(platform.database!);
  logger.info({ applied }, applied.length ? 'migrations applied' : 'database schema is up to date');
  const registry = await startRegistry(platform, { tcp: { host: config.registry.host, port: config.registry.port } });
  logger.info({ host: config.registry.host, port: config.registry.port }, 'registry listening (TCP)');
  const health = await startHealthServer({
    host: config.http.host,
    port: config.health.port ?? 8081,
    checks: registry.readinessChecks,
    logger,
    metrics: platform.metrics,
  });
  return async () => {
    await health.close();
    await registry.close();
    await platform.close();
  };
});
