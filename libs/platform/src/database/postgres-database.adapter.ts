import pg from 'pg';
import type { Database } from '../ports/database.port.js';

/** A real PostgreSQL server, reached by URL. */
export class PostgresDatabase implements Database {
  readonly kind = 'postgres' as const;

  constructor(
    private readonly url: string,
    private readonly poolSize = 10,
  ) {}

  get connection() {
    return { url: this.url, poolSize: this.poolSize };
  }

  async ping(): Promise<void> {
    const client = new pg.Client({ connectionString: this.url, connectionTimeoutMillis: 3000 });
    try {
      await client.connect();
      await client.query('select 1');
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  async close(): Promise<void> {}
}
