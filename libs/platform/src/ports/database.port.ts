import type pg from 'pg';

/** Port: where the PostgreSQL database is, for TypeORM's postgres driver (`pg`). */
export interface Database {
  /** `embedded` is PGlite in this process; `postgres` is a real server. */
  readonly kind: 'embedded' | 'postgres';
  /** Connection settings for `pg` / TypeORM (`url` or host/port), including the pool size. */
  readonly connection: {
    url?: string;
    host?: string;
    port?: number;
    username?: string;
    database?: string;
    /** PGlite serves one connection at a time, so the embedded pool is 1. */
    poolSize: number;
    /**
     * The `pg` module to use instead of the real one (TypeORM's `driver` option): the embedded
     * database hands every user the same one-connection pool through it.
     */
    driver?: typeof pg;
  };
  ping(): Promise<void>;
  close(): Promise<void>;
}

export const DATABASE = Symbol('Database');
