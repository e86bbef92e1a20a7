import type { SessionStore, StoredSession } from '../session-store.port.js';
import { checkId, checkSession, SESSION_ID_TAKEN } from './session-input.util.js';

export interface InProcessSessionStoreOptions {
  /** The clock, in Unix milliseconds (default Date.now); tests pass their own. */
  now?: () => number;
  /**
   * How often, at most, a call also drops every expired session (default 60 s). Without it a
   * session never read again after it expired would stay in memory for the life of the process,
   * as Redis's own expiry would not let it.
   */
  sweepIntervalMs?: number;
}

interface Entry {
  readonly session: StoredSession;
  readonly expiresAtMs: number;
}

const DEFAULT_SWEEP_INTERVAL_MS = 60_000;

/** Sessions within one process, for the standalone build and tests: a map, with expiry on read. */
export class InProcessSessionStore implements SessionStore {
  private readonly sessions = new Map<string, Entry>();
  /** Session ids by user, so that deleteForUser need not look at every session. */
  private readonly byUser = new Map<string, Set<string>>();
  private readonly now: () => number;
  private readonly sweepIntervalMs: number;
  private nextSweepAt: number;
  private closed = false;

  constructor(options: InProcessSessionStoreOptions = {}) {
    this.now = options.now ?? Date.now;
    this.sweepIntervalMs = options.sweepIntervalMs ?? DEFAULT_SWEEP_INTERVAL_MS;
    if (!Number.isInteger(this.sweepIntervalMs) || this.sweepIntervalMs < 1) {
      throw new RangeError(`sweepIntervalMs must be a positive integer, got ${this.sweepIntervalMs}`);
    }
    this.nextSweepAt = this.now() + this.sweepIntervalMs;
  }

  async create(input: StoredSession): Promise<void> {
    this.assertOpen();
    const { session, expiresAtMs } = checkSession(input);
    const now = this.sweepIfDue();
    const existing = this.live(session.id, now);
    if (existing && existing.session.user_id !== session.user_id) throw new Error(SESSION_ID_TAKEN);
    this.forget(session.id);
    // Already expired: nothing to keep (Redis drops a key whose PEXPIREAT has passed, likewise).
    if (expiresAtMs <= now) return;
    this.sessions.set(session.id, { session, expiresAtMs });
    let ids = this.byUser.get(session.user_id);
    if (!ids) {
      ids = new Set();
      this.byUser.set(session.user_id, ids);
    }
    ids.add(session.id);
  }

  async get(id: string): Promise<StoredSession | null> {
    this.assertOpen();
    checkId('session id', id);
    const entry = this.live(id, this.sweepIfDue());
    // A copy, as the Redis adapter hands back a fresh object: a caller's change stays its own.
    return entry ? { ...entry.session } : null;
  }

  async delete(id: string): Promise<void> {
    this.assertOpen();
    checkId('session id', id);
    this.forget(id);
  }

  async deleteForUser(userId: string): Promise<number> {
    this.assertOpen();
    checkId('user id', userId);
    const now = this.now();
    let ended = 0;
    for (const id of [...(this.byUser.get(userId) ?? [])]) {
      if (this.live(id, now)) ended += 1;
      this.forget(id);
    }
    return ended;
  }

  async ping(): Promise<void> {
    this.assertOpen();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.sessions.clear();
    this.byUser.clear();
  }

  /** The session if it has not expired; an expired one is dropped on the way. */
  private live(id: string, now: number): Entry | undefined {
    const entry = this.sessions.get(id);
    if (entry && entry.expiresAtMs <= now) {
      this.forget(id);
      return undefined;
    }
    return entry;
  }

  private forget(id: string): void {
    const entry = this.sessions.get(id);
    if (!entry) return;
    this.sessions.delete(id);
    const ids = this.byUser.get(entry.session.user_id);
    ids?.delete(id);
    if (ids?.size === 0) this.byUser.delete(entry.session.user_id);
  }

  /** Drops every expired session once per interval: work proportional to the sessions, amortised. */
  private sweepIfDue(): number {
    const now = this.now();
    if (now < this.nextSweepAt) return now;
    this.nextSweepAt = now + this.sweepIntervalMs;
    for (const [id, entry] of this.sessions) if (entry.expiresAtMs <= now) this.forget(id);
    return now;
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('session store is closed');
  }
}
