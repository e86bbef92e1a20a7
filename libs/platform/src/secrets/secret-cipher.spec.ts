import { mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateSecretKey, parseSecretKey, secretHint, SecretCipher, SecretKeyError, SecretOpenError } from './secret-cipher.js';
import { loadOrCreateKeyFile } from './secret-key-file.util.js';

const key = () => parseSecretKey(generateSecretKey());

describe('SecretCipher', () => {
  const secret = 'sk-proj-RECOGNISABLE-0123456789abcdef';

  it('opens what it sealed, and the sealed form holds neither the secret nor the key', () => {
    const master = key();
    const cipher = new SecretCipher(master);
    const sealed = cipher.seal(secret);
    expect(cipher.open(sealed)).toBe(secret);
    expect(sealed).not.toContain(secret);
    expect(sealed).not.toContain(master.toString('base64'));
    expect(sealed.startsWith(`v1.${cipher.currentKeyId}.`)).toBe(true);
  });

  it('uses a fresh nonce each time', () => {
    const cipher = new SecretCipher(key());
    expect(cipher.seal(secret)).not.toBe(cipher.seal(secret));
  });

  it('refuses an altered ciphertext, tag or nonce', () => {
    const cipher = new SecretCipher(key());
    const parts = cipher.seal(secret).split('.');
    for (const index of [2, 3, 4]) {
      const altered = [...parts];
      const bytes = Buffer.from(altered[index]!, 'base64url');
      bytes[0] = bytes[0]! ^ 1;
      altered[index] = bytes.toString('base64url');
      expect(() => cipher.open(altered.join('.'))).toThrow(SecretOpenError);
    }
    expect(() => cipher.open('not-sealed')).toThrow('not a sealed secret');
  });

  it('opens with a previous key, seals with the current one, and says when a key is missing', () => {
    const oldKey = key();
    const newKey = key();
    const before = new SecretCipher(oldKey).seal(secret);
    const rotated = new SecretCipher(newKey, [oldKey]);
    expect(rotated.isStale(before)).toBe(true);
    expect(rotated.open(before)).toBe(secret);
    const resealed = rotated.seal(secret);
    expect(rotated.isStale(resealed)).toBe(false);
    expect(SecretCipher.keyIdOf(resealed)).toBe(rotated.currentKeyId);

    const forgotten = new SecretCipher(newKey);
    expect(() => forgotten.open(before)).toThrow(/not configured.*MODELYARD_SECRET_KEYS_PREVIOUS/);
  });

  it('never puts the secret in an error', () => {
    const sealed = new SecretCipher(key()).seal(secret);
    try {
      new SecretCipher(key()).open(sealed);
      throw new Error('expected a failure');
    } catch (error) {
      expect(JSON.stringify(error) + String(error) + (error as Error).stack).not.toContain(secret);
    }
  });
});

describe('parseSecretKey', () => {
  it('accepts base64 and hex of 32 bytes', () => {
    const bytes = Buffer.alloc(32, 7);
    expect(parseSecretKey(bytes.toString('base64'))).toEqual(bytes);
    expect(parseSecretKey(bytes.toString('base64url'))).toEqual(bytes);
    expect(parseSecretKey(bytes.toString('hex'))).toEqual(bytes);
  });

  it.each(['', 'short', Buffer.alloc(16).toString('base64'), Buffer.alloc(48, 255).toString('base64'), 'z'.repeat(64)])('refuses %j', (text) => {
    expect(() => parseSecretKey(text)).toThrow(SecretKeyError);
  });
});

describe('secretHint', () => {
  it('shows the last four characters of a long secret only', () => {
    expect(secretHint('sk-abcdefghijklmnop1234')).toBe('1234');
    expect(secretHint('short-key')).toBeNull();
  });
});

describe('loadOrCreateKeyFile', () => {
  it('creates one key readable by the owner only, then reads the same key back', async () => {
    const path = join(await mkdtemp(join(tmpdir(), 'modelyard-keys-')), 'data', 'secret.key');
    const first = await loadOrCreateKeyFile(path);
    expect(first.created).toBe(true);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    const again = await loadOrCreateKeyFile(path);
    expect(again.created).toBe(false);
    expect(again.current).toEqual(first.current);
    expect(again.previous).toEqual([]);
  });

  it('reads previous keys after the current one, and names the file when a line is bad', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'modelyard-keys-'));
    const [current, previous] = [generateSecretKey(), generateSecretKey()];
    await writeFile(join(dir, 'ok.key'), `${current}\n# retired after rotation\n${previous}\n`);
    const keys = await loadOrCreateKeyFile(join(dir, 'ok.key'));
    expect(keys.current).toEqual(parseSecretKey(current));
    expect(keys.previous).toEqual([parseSecretKey(previous)]);
    await writeFile(join(dir, 'bad.key'), 'not a key\n');
    await expect(loadOrCreateKeyFile(join(dir, 'bad.key'))).rejects.toThrow(/bad\.key must be 32 random bytes/);
    expect(await readFile(join(dir, 'bad.key'), 'utf8')).toBe('not a key\n');
  });
});
