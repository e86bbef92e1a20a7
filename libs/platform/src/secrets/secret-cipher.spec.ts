import { mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateSecretKey, parseSecretKey, secretHint, SecretCipher, secretKeyId, SecretKeyError, SecretOpenError } from './secret-cipher.js';
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

  describe('every way opening fails throws SecretOpenError, naming neither the secret nor a key', () => {
    const sealWith = (master: Buffer) => new SecretCipher(master).seal(secret);
    const flipFirstBit = (sealed: string, index: number) => {
      const parts = sealed.split('.');
      const bytes = Buffer.from(parts[index]!, 'base64url');
      bytes[0] = bytes[0]! ^ 1;
      parts[index] = bytes.toString('base64url');
      return parts.join('.');
    };
    /** Runs `open`, insists it threw a SecretOpenError, and returns that error for its message. */
    const failureOf = (cipher: SecretCipher, sealed: string): SecretOpenError => {
      expect(() => cipher.open(sealed)).toThrow(SecretOpenError);
      try {
        cipher.open(sealed);
      } catch (error) {
        return error as SecretOpenError;
      }
      throw new Error('unreachable: toThrow above already failed the test');
    };
    const expectNothingSecretIn = (error: Error, ...keys: Buffer[]) => {
      const text = JSON.stringify(error) + String(error) + error.stack;
      expect(text).not.toContain(secret);
      for (const k of keys) {
        expect(text).not.toContain(k.toString('base64'));
        expect(text).not.toContain(k.toString('hex'));
      }
    };

    it('a tampered ciphertext', () => {
      const master = key();
      const error = failureOf(new SecretCipher(master), flipFirstBit(sealWith(master), 3));
      expect(error.message).toMatch(/failed its integrity check/);
      expectNothingSecretIn(error, master);
    });

    it('a tampered tag', () => {
      const master = key();
      const error = failureOf(new SecretCipher(master), flipFirstBit(sealWith(master), 4));
      expect(error.message).toMatch(/failed its integrity check/);
      expectNothingSecretIn(error, master);
    });

    it('a wrong key that is configured: the key id names it, but it did not seal the secret', () => {
      const [sealer, other] = [key(), key()];
      const parts = sealWith(sealer).split('.');
      parts[1] = secretKeyId(other);
      const error = failureOf(new SecretCipher(other, [sealer]), parts.join('.'));
      expect(error.message).toMatch(/failed its integrity check/);
      expectNothingSecretIn(error, sealer, other);
    });

    it('an unknown key id', () => {
      const [sealer, current] = [key(), key()];
      const error = failureOf(new SecretCipher(current), sealWith(sealer));
      expect(error.message).toContain(`master key ${secretKeyId(sealer)}, which is not configured`);
      expectNothingSecretIn(error, sealer, current);
    });
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
