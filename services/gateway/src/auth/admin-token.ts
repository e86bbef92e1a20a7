import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { requireSetting, type AppConfig, type RunMode } from '@modelyard/platform';

const sha256 = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();

/** The file under the data folder holding the generated token's hash (never the token). */
export const ADMIN_TOKEN_HASH_FILE = 'admin-token.sha256';

/**
 * The bootstrap admin token(s): they stand for the built-in admin user. Only their SHA-256 digests
 * are held; a presented token is hashed and compared in constant time, so neither its length nor
 * its content leaks by timing.
 */
export class ApiTokens {
  constructor(private readonly tokens: ReadonlyArray<{ name: string; digest: Buffer }>) {}

  static fromSecrets(entries: ReadonlyArray<{ name: string; token: string }>): ApiTokens {
    return new ApiTokens(entries.map((e) => ({ name: e.name, digest: sha256(e.token) })));
  }

  /** Whether a presented token is a bootstrap token. Every stored digest is compared. */
  authenticate(presented: string): boolean {
    const digest = sha256(presented);
    let match = false;
    for (const token of this.tokens) {
      if (timingSafeEqual(digest, token.digest)) match = true;
    }
    return match;
  }
}

export interface AdminTokenBootstrap {
  tokens: ApiTokens;
  /** Set only on the first standalone start without MODELYARD_ADMIN_TOKEN: to be shown once. */
  generatedToken?: string;
}

/**
 * MODELYARD_ADMIN_TOKEN when set. Otherwise, in standalone mode, a token generated on first start
 * whose hash is kept in the data folder (readable by the owner only) and that is printed once.
 */
export async function bootstrapAdminToken(config: AppConfig, mode: RunMode): Promise<AdminTokenBootstrap> {
  if (config.auth.adminToken) {
    return { tokens: ApiTokens.fromSecrets([{ name: 'admin', token: config.auth.adminToken }]) };
  }
  if (mode === 'distributed') requireSetting(undefined, 'MODELYARD_ADMIN_TOKEN', 'when the gateway runs as its own process');
  const file = join(config.dataDir, ADMIN_TOKEN_HASH_FILE);
  const stored = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return null;
    throw error;
  });
  if (stored !== null) {
    const digest = Buffer.from(stored.trim(), 'hex');
    if (digest.length !== 32) throw new Error(`${file} does not hold a SHA-256 digest; delete it to generate a new admin token`);
    return { tokens: new ApiTokens([{ name: 'admin', digest }]) };
  }
  const token = `my_${randomBytes(32).toString('base64url')}`;
  await mkdir(config.dataDir, { recursive: true });
  await writeFile(file, `${sha256(token).toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
  return { tokens: ApiTokens.fromSecrets([{ name: 'admin', token }]), generatedToken: token };
}
