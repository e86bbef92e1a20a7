import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '@modelyard/platform';
import { ADMIN_TOKEN_HASH_FILE, ApiTokens, bootstrapAdminToken } from './admin-token.js';

describe('ApiTokens', () => {
  const tokens = ApiTokens.fromSecrets([
    { name: 'admin', token: 'correct-horse-battery-staple' },
    { name: 'ci', token: 'another-long-token-value' },
  ]);

  it('recognises each bootstrap token', () => {
    expect(tokens.authenticate('correct-horse-battery-staple')).toBe(true);
    expect(tokens.authenticate('another-long-token-value')).toBe(true);
  });

  it('refuses near misses of any length', () => {
    for (const guess of ['', 'correct', 'correct-horse-battery-staplE', 'correct-horse-battery-staple ', 'x'.repeat(10_000)]) {
      expect(tokens.authenticate(guess)).toBe(false);
    }
  });
});

describe('bootstrapAdminToken', () => {
  let dataDir: string;
  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'modelyard-auth-'));
  });
  afterEach(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });
  const config = (env: Record<string, string> = {}) => loadConfig({ MODELYARD_DATA_DIR: dataDir, ...env });

  it('uses MODELYARD_ADMIN_TOKEN and writes nothing', async () => {
    const { tokens, generatedToken } = await bootstrapAdminToken(config({ MODELYARD_ADMIN_TOKEN: 'a-configured-admin-token' }), 'standalone');
    expect(generatedToken).toBeUndefined();
    expect(tokens.authenticate('a-configured-admin-token')).toBe(true);
    await expect(stat(join(dataDir, ADMIN_TOKEN_HASH_FILE))).rejects.toThrow();
  });

  it('generates a token once in standalone mode, storing only its hash with mode 0600', async () => {
    const first = await bootstrapAdminToken(config(), 'standalone');
    expect(first.generatedToken).toMatch(/^my_/);
    const file = join(dataDir, ADMIN_TOKEN_HASH_FILE);
    expect(await readFile(file, 'utf8')).not.toContain(first.generatedToken);
    expect((await stat(file)).mode & 0o777).toBe(0o600);

    const second = await bootstrapAdminToken(config(), 'standalone');
    expect(second.generatedToken).toBeUndefined();
    expect(second.tokens.authenticate(first.generatedToken!)).toBe(true);
  });

  it('requires MODELYARD_ADMIN_TOKEN when the gateway runs on its own', async () => {
    await expect(bootstrapAdminToken(config(), 'distributed')).rejects.toThrow(ConfigError);
    await expect(bootstrapAdminToken(config(), 'distributed')).rejects.toThrow(/MODELYARD_ADMIN_TOKEN must be set/);
  });

  it('refuses a damaged hash file instead of locking everyone out silently', async () => {
    await writeFile(join(dataDir, ADMIN_TOKEN_HASH_FILE), 'not a digest\n');
    await expect(bootstrapAdminToken(config(), 'standalone')).rejects.toThrow(/does not hold a SHA-256 digest/);
  });
});
