import { writeFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import {
  ConfigError,
  createLogger,
  createPlatform,
  generateSecretKey,
  loadConfig,
  loadOrCreateKeyFile,
  parseSecretKey,
  runProcess,
  SecretCipher,
} from '@modelyard/platform';
import { registryDataSourceOptions } from './data-source.js';
import { rotateSealedSecrets } from './models/secret-rotation.util.js';

/**
 * `npm run rotate-secrets`: re-seals every stored secret with the current master key.
 * - Keys from the environment: set MODELYARD_SECRET_KEY to the new key and MODELYARD_SECRET_KEYS_PREVIOUS
 *   to the old one(s), run this (or POST /api/v1/admin/secrets/rotate while running), then drop the old keys.
 * - Standalone key file (no MODELYARD_SECRET_KEY), with Modelyard stopped: `npm run rotate-secrets -- --new-key`
 *   writes a new current key into <data dir>/secret.key, re-seals everything, then forgets the old keys.
 */
await runProcess('rotate-secrets', async () => {
  const config = loadConfig();
  const logger = createLogger(config).child({ service: 'rotate-secrets' });
  const newKey = process.argv.includes('--new-key');
  const keyFile = join(config.dataDir, 'secret.key');
  let cipher: SecretCipher | undefined;
  let retire: (() => Promise<void>) | undefined;
  if (newKey) {
    if (config.secrets.key) {
      throw new ConfigError(['--new-key rotates the standalone key file; with MODELYARD_SECRET_KEY set, set it to the new key and MODELYARD_SECRET_KEYS_PREVIOUS to the old one instead']);
    }
    const { current, previous } = await loadOrCreateKeyFile(keyFile);
    const fresh = generateSecretKey();
    const keep = [current, ...previous].map((key) => key.toString('base64'));
    // The old keys stay in the file until everything is re-sealed: a crash half-way loses nothing.
    await replaceFile(keyFile, [fresh, ...keep].join('\n') + '\n');
    cipher = new SecretCipher(parseSecretKey(fresh), [current, ...previous]);
    retire = () => replaceFile(keyFile, `${fresh}\n`);
  }
  const platform = await createPlatform(config, logger, { mode: config.database.url ? 'distributed' : 'standalone', withDatabase: true });
  const dataSource = new DataSource(registryDataSourceOptions(platform.database!));
  try {
    await dataSource.initialize();
    const result = await rotateSealedSecrets(dataSource, cipher ?? platform.secrets!);
    if (result.failed.length === 0) await retire?.();
    logger.info({ key_id: result.key_id, rotated: result.rotated, already_current: result.already_current, failed: result.failed }, 'secrets re-sealed');
    process.stdout.write(`${JSON.stringify(result)}\n`);
    if (result.failed.length > 0) process.exitCode = 1;
  } finally {
    if (dataSource.isInitialized) await dataSource.destroy();
    await platform.close();
  }
  return null;
});

async function replaceFile(path: string, text: string): Promise<void> {
  await writeFile(`${path}.tmp`, text, { mode: 0o600 });
  await rename(`${path}.tmp`, path);
}
