import { createLogger, createPlatform, loadConfig, runProcess } from '@modelyard/platform';
import { runRegistryMigrations } from './data-source.js';

/** `npm run migrate`: applies pending migrations to MODELYARD_DATABASE_URL (or the standalone data folder) and exits. */
await runProcess('migrate', async () => {
  const config = loadConfig();
  const logger = createLogger(config).child({ service: 'migrate' });
  const platform = await createPlatform(config, logger, { mode: config.database.url ? 'distributed' : 'standalone', withDatabase: true, withSecrets: false });
  try {
    const applied = await runRegistryMigrations(platform.database!);
    logger.info({ applied }, applied.length ? 'migrations applied' : 'database schema is up to date');
  } finally {
    await platform.close();
  }
  return null;
});
