import { createHash } from 'node:crypto';

/** The hash before the first record. */
export const GENESIS_HASH = '0'.repeat(64);

/** What a record's hash covers: everything it says, in a fixed order, with sorted keys in `details`. */
export interface HashedAuditRecord {
  seq: string;
  id: string;
  occurred_at: string;
  action: string;
  result: string;
  actor_user_id: string | null;
  actor_username: string;
  actor_token_id: string | null;
  target_type: string | null;
  target_id: string | null;
  client_ip: string | null;
  request_id: string | null;
  details: Record<string, unknown>;
}

/**
 * JSON with object keys sorted at every depth, so that the same record always hashes the same,
 * whatever order PostgreSQL's jsonb gives its keys back in. Iterative: details can nest.
 */
export function canonicalJson(value: unknown): string {
  const sort = (item: unknown): unknown => {
    if (Array.isArray(item)) return item.map(sort);
    if (typeof item === 'object' && item !== null) {
      return Object.fromEntries(Object.keys(item).sort().map((key) => [key, sort((item as Record<string, unknown>)[key])]));
    }
    return item;
  };
  return JSON.stringify(sort(value));
}

/** SHA-256 over the previous hash and the record: a change anywhere in the chain shows downstream. */
export function auditHash(prevHash: string, record: HashedAuditRecord): string {
  const fields = [
    record.seq,
    record.id,
    record.occurred_at,
    record.action,
    record.result,
    record.actor_user_id,
    record.actor_username,
    record.actor_token_id,
    record.target_type,
    record.target_id,
    record.client_ip,
    record.request_id,
    record.details,
  ];
  return createHash('sha256').update(prevHash).update('\n').update(canonicalJson(fields)).digest('hex');
}
