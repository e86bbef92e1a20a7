import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/** AES-256-GCM: 32-byte keys, 12-byte nonces (the size GCM is specified for), 16-byte tags. */
const KEY_BYTES = 32;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
/** Binds every ciphertext to its purpose: a sealed secret cannot be replayed as another kind of token. */
const ASSOCIATED_DATA = Buffer.from('modelyard/secret/v1');
const FORMAT = 'v1';

/**
 * A sealed secret as stored and carried: `v1.<key id>.<nonce>.<ciphertext>.<tag>` (base64url). The
 * key id names the master key that sealed it, so keys can be rotated: old keys open, the current
 * one seals.
 */
export type SealedSecret = string;

export class SecretKeyError extends Error {
  override readonly name = 'SecretKeyError';
}

/** Raised when a sealed secret cannot be opened. Never carries the secret or the key. */
export class SecretOpenError extends Error {
  override readonly name = 'SecretOpenError';
}

/** Parses a master key: 32 bytes written as base64 (44 characters) or hex (64 characters). */
export function parseSecretKey(text: string): Buffer {
  const trimmed = text.trim();
  if (/^[0-9a-f]{64}$/i.test(trimmed)) return Buffer.from(trimmed, 'hex');
  if (/^[A-Za-z0-9+/_-]{43}=?$/.test(trimmed)) return Buffer.from(trimmed, 'base64');
  throw new SecretKeyError('must be 32 random bytes written as base64 (44 characters) or hex (64 characters), e.g. the output of `openssl rand -base64 32`');
}

export function generateSecretKey(): string {
  return randomBytes(KEY_BYTES).toString('base64');
}

/** A key's id: the first 12 hex digits of its SHA-256, safe to store and print. */
export const secretKeyId = (key: Buffer): string => createHash('sha256').update(key).digest('hex').slice(0, 12);

/** The last characters a record may show of a secret: none for short ones, where four would say too much. */
export const secretHint = (secret: string): string | null => (secret.length >= 12 ? secret.slice(-4) : null);

/**
 * Seals and opens secrets (provider API keys, endpoint header values, Hugging Face tokens) with
 * AES-256-GCM. Holds the current master key, which seals, and any previous keys, which only open,
 * so rotation can re-seal what the old ones sealed.
 */
export class SecretCipher {
  private readonly keys = new Map<string, Buffer>();
  readonly currentKeyId: string;

  constructor(current: Buffer, previous: readonly Buffer[] = []) {
    for (const key of [current, ...previous]) {
      if (key.length !== KEY_BYTES) throw new SecretKeyError(`a master key must be ${KEY_BYTES} bytes`);
    }
    this.currentKeyId = secretKeyId(current);
    this.keys.set(this.currentKeyId, current);
    for (const key of previous) this.keys.set(secretKeyId(key), key);
  }

  seal(secret: string): SealedSecret {
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.keys.get(this.currentKeyId)!, nonce, { authTagLength: TAG_BYTES });
    cipher.setAAD(ASSOCIATED_DATA);
    const ciphertext = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
    return [FORMAT, this.currentKeyId, nonce.toString('base64url'), ciphertext.toString('base64url'), cipher.getAuthTag().toString('base64url')].join('.');
  }

  open(sealed: SealedSecret): string {
    const parts = sealed.split('.');
    if (parts.length !== 5 || parts[0] !== FORMAT) throw new SecretOpenError('not a sealed secret');
    const [, keyId, nonce, ciphertext, tag] = parts as [string, string, string, string, string];
    const key = this.keys.get(keyId);
    if (!key) {
      throw new SecretOpenError(
        `the secret was sealed with master key ${keyId}, which is not configured (current key: ${this.currentKeyId}); ` +
          'add the old key to MODELYARD_SECRET_KEYS_PREVIOUS',
      );
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(nonce, 'base64url'), { authTagLength: TAG_BYTES });
      decipher.setAAD(ASSOCIATED_DATA);
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
    } catch {
      throw new SecretOpenError(`the secret sealed with master key ${keyId} failed its integrity check (altered or truncated)`);
    }
  }

  /** The id of the key that sealed a secret (null when it is not a sealed secret). */
  static keyIdOf(sealed: SealedSecret): string | null {
    const parts = sealed.split('.');
    return parts.length === 5 && parts[0] === FORMAT ? parts[1]! : null;
  }

  /** Whether a secret should be re-sealed with the current key. */
  isStale(sealed: SealedSecret): boolean {
    return SecretCipher.keyIdOf(sealed) !== this.currentKeyId;
  }
}
