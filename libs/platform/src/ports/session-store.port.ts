/**
 * Port: signed-in sessions, shared by every gateway replica. Real adapter: Redis (distributed);
 * in-process twin: a map (standalone). Sessions are found by the SHA-256 of their bearer token, so
 * the store never holds a token anyone could present.
 */
export interface StoredSession {
  /** Hex SHA-256 of the session's bearer token. */
  id: string;
  user_id: string;
  created_at: string;
  expires_at: string;
  client_ip: string | null;
}

export interface SessionStore {
  /** Stores a session until its `expires_at` (after which `get` no longer finds it). */
  create(session: StoredSession): Promise<void>;
  /** The session if it exists and has not expired; null otherwise. */
  get(id: string): Promise<StoredSession | null>;
  /** Ends one session (sign-out). Ending a session that does not exist is not an error. */
  delete(id: string): Promise<void>;
  /** Ends every session of a user (disabled, deleted, password changed); returns how many ended. */
  deleteForUser(userId: string): Promise<number>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export const SESSION_STORE = Symbol('SessionStore');
