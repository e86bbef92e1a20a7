import { describe, expect, it } from '@jest/globals';
import { auditHash, canonicalJson, GENESIS_HASH, type HashedAuditRecord } from './audit-hash.util.js';

const record: HashedAuditRecord = {
  seq: '1',
  id: '8b0f5f1e-3d2c-4a55-9d61-1e2f3a4b5c6d',
  occurred_at: '2026-12-06T10:00:00.000Z',
  action: 'model.update',
  result: 'success',
  actor_user_id: null,
  actor_username: 'admin',
  actor_token_id: null,
  target_type: 'model',
  target_id: 'm-1',
  client_ip: '127.0.0.1',
  request_id: 'req-1',
  details: { changed: { name: { from: 'a', to: 'b' } }, fields: ['name'] },
};

describe('canonicalJson', () => {
  it('sorts keys at every depth and keeps array order', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: null } })).toBe('{"a":{"c":null,"d":[3,{"y":2,"z":1}]},"b":1}');
  });
});

describe('auditHash', () => {
  it('is the same for the same record, whatever the key order of its details', () => {
    const reordered = { ...record, details: { fields: ['name'], changed: { name: { to: 'b', from: 'a' } } } };
    expect(auditHash(GENESIS_HASH, reordered)).toBe(auditHash(GENESIS_HASH, record));
    expect(auditHash(GENESIS_HASH, record)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('changes with any field, and with the previous hash', () => {
    const base = auditHash(GENESIS_HASH, record);
    const variants: Array<Partial<HashedAuditRecord>> = [
      { seq: '2' },
      { action: 'model.delete' },
      { result: 'failure' },
      { actor_username: 'mallory' },
      { target_id: 'm-2' },
      { client_ip: null },
      { details: { changed: { name: { from: 'a', to: 'c' } }, fields: ['name'] } },
    ];
    for (const change of variants) expect(auditHash(GENESIS_HASH, { ...record, ...change })).not.toBe(base);
    expect(auditHash('1'.repeat(64), record)).not.toBe(base);
  });

  it('tells a null apart from the text "null"', () => {
    expect(auditHash(GENESIS_HASH, { ...record, client_ip: 'null' })).not.toBe(auditHash(GENESIS_HASH, { ...record, client_ip: null }));
  });
});
