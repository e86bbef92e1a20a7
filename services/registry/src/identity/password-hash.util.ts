import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/**
 * Password hashing with scrypt (node:crypto; no native dependency to install). Parameters follow
 * OWASP's Password Storage Cheat Sheet for scrypt: N = 2^17 (cost), r = 8 (block size), p = 1,
 * a 16-byte random salt and a 32-byte key — about 128 MiB of memory and a few hundred milliseconds
 * per hash on a 2-core machine, which is what makes a stolen hash expensive to guess. The cost is
 * stored with each hash, so raising it later leaves old hashes verifiable (they are re-hashed at
 * the next sign-in).
 *
 * Stored form: `scrypt$<log2 N>$<r>$<p>$<salt, base64>$<key, base64>`.
 */
export const DEFAULT_SCRYPT_LOG_N = 17;
const BLOCK_SIZE = 8;
const PARALLELISM = 1;
const SALT_BYTES = 16;
const KEY_BYTES = 32;

function derive(password: string, salt: Buffer, logN: number, r: number, p: number): Promise<Buffer> {
  const N = 2 ** logN;
  // scrypt needs 128·N·r bytes; node's default ceiling (32 MiB) is below what N = 2^17 takes.
  const options: ScryptOptions = { N, r, p, maxmem: 256 * N * r };
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFKC'), salt, KEY_BYTES, options, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

export async function hashPassword(password: string, logN = DEFAULT_SCRYPT_LOG_N): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, logN, BLOCK_SIZE, PARALLELISM);
  return ['scrypt', logN, BLOCK_SIZE, PARALLELISM, salt.toString('base64'), key.toString('base64')].join('$');
}

const STORED = /^scrypt\$(\d{1,2})\$(\d{1,2})\$(\d{1,2})\$([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+)$/;

/** Whether the password matches the stored hash; compared in constant time. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const match = STORED.exec(stored);
  if (!match) return false;
  const [, logN, r, p, salt, key] = match as unknown as [string, string, string, string, string, string];
  const expected = Buffer.from(key, 'base64');
  const actual = await derive(password, Buffer.from(salt, 'base64'), Number(logN), Number(r), Number(p));
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/** Whether a stored hash was made with less work than `logN` asks now (re-hash it at the next sign-in). */
export const needsRehash = (stored: string, logN = DEFAULT_SCRYPT_LOG_N): boolean => Number(STORED.exec(stored)?.[1] ?? 0) < logN;

/**
 * A hash of nothing anyone knows, verified against when the user does not exist (or has no
 * password), so that an unknown username takes as long to refuse as a wrong password.
 */
let decoy: Promise<string> | undefined;
export const decoyHash = (logN = DEFAULT_SCRYPT_LOG_N): Promise<string> => (decoy ??= hashPassword(randomBytes(24).toString('base64'), logN));
