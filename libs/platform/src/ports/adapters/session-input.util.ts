import type { StoredSession } from '../session-store.port.js';

/** Ids are hex SHA-256 (64 characters); the bound only keeps a caller's mistake from making huge keys. */
const MAX_ID_LENGTH = 256;

/** Raised by `create` for an id that a live session of another user holds. */
export const SESSION_ID_TAKEN = 'session id already in use by another user';

/**
 * Checks a session every adapter accepts, so both refuse the same bad input the same way, and
 * returns a copy holding only the port's fields (what the Redis adapter's JSON round trip keeps).
 */
export function checkSession(session: StoredSession): { session: StoredSession; expiresAtMs: number } {
  const { id, user_id, created_at, expires_at, client_ip } = session;
  checkId('session id', id);
  checkId('user id', user_id);
  if (typeof created_at !== 'string') throw new TypeError('created_at must be an ISO 8601 string');
  const expiresAtMs = typeof expires_at === 'string' ? Date.parse(expires_at) : Number.NaN;
  if (!Number.isFinite(expiresAtMs)) throw new RangeError('expires_at must be an ISO 8601 date-time');
  if (client_ip !== null && typeof client_ip !== 'string') throw new TypeError('client_ip must be a string or null');
  return { session: { id, user_id, created_at, expires_at, client_ip }, expiresAtMs };
}

export function checkId(what: string, value: string): void {
  if (typeof value !== 'string' || value.length === 0) throw new TypeError(`a ${what} must be a non-empty string`);
  if (value.length > MAX_ID_LENGTH) throw new RangeError(`a ${what} must be at most ${MAX_ID_LENGTH} characters`);
}
