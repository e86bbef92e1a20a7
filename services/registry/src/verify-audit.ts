import { DataSource } from 'typeorm';
import { createLogger, createPlatform, loadConfig, runProcess } from '@modelyard/platform';
import { AuditService } from './audit/audit.service.js';
import { registryDataSourceOptions } from './data-source.js';
import { OutboxService } from './outbox/outbox.service.js';

/**
 * `npm run audit-verify`: walks the audit log's hash chain and says whether every record is intact.
 * Exit 0 when it is, 1 with the first broken record (edited, removed, inserted, or the end cut off).
 */
await runProcess('audit-verify', async () => {
  const config = loadConfig();
  const logger = createLogger(config).child({ service: 'audit-verify' });
  const platform = await createPlatform(config, logger, { mode: config.database.url ? 'distributed' : 'standalone', withDatabase: true, withSecrets: false });
  const dataSource = new DataSource(registryDataSourceOptions(platform.database!));
  try {
    await dataSource.initialize();
    const result = await new AuditService(dataSource, new OutboxService()).verify();
    process.stdout.write(`${JSON.stringify(result)}\n`);
    if (!result.ok) process.exitCode = 1;
  } finally {
    if (dataSource.isInitialized) await dataSource.destroy();
    await platform.close();
  }
  return null;
});
