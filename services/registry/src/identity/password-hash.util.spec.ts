import { describe, expect, it } from '@jest/globals';
import { hashPassword, needsRehash, verifyPassword } from './password-hash.util.js';

// A lower cost than production's 2^17 keeps the suite quick; the algorithm is the same.
const LOG_N = 12;

describe('password hashing', () => {
  it('verifies the right password and refuses near misses', async () => {
    const stored = await hashPassword('correct horse battery staple', LOG_N);
    expect(stored).toMatch(/^scrypt\$12\$8\$1\$[A-Za-z0-9+/=]{24}\$[A-Za-z0-9+/=]{44}$/);
    expect(await verifyPassword('correct horse battery staple', stored)).toBe(true);
    for (const wrong of ['correct horse battery stapl', 'Correct horse battery staple', '', 'correct horse battery staple ']) {
      expect(await verifyPassword(wrong, stored)).toBe(false);
    }
  });

  it('salts every hash, so one password never hashes the same twice', async () => {
    expect(await hashPassword('same password here', LOG_N)).not.toBe(await hashPassword('same password here', LOG_N));
  });

  it('treats a password the same in its composed and decomposed Unicode forms', async () => {
    const stored = await hashPassword('caf\u00e9 au lait 42', LOG_N);
    expect(await verifyPassword('cafe\u0301 au lait 42', stored)).toBe(true);
  });

  it('refuses damaged stored hashes instead of throwing', async () => {
    expect(await verifyPassword('x', 'not a hash')).toBe(false);
    expect(await verifyPassword('x', 'scrypt$12$8$1$@@$@@')).toBe(false);
  });

  it('says when a hash was made with less work than asked now', async () => {
    const stored = await hashPassword('correct horse battery staple', LOG_N);
    expect(needsRehash(stored, LOG_N)).toBe(false);
    expect(needsRehash(stored, LOG_N + 1)).toBe(true);
  });
});
