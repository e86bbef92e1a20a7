import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import pg from 'pg';
import type { Database } from '../ports/database.port.js';

/** PostgreSQL's socket file name for a port; `pg` finds `<host dir>/.s.PGSQL.<port>`. */
const SOCKET_PORT = 5432;
/** PGlite has no autovacuum worker: without this, statistics are never gathered and dead rows pile up. */
const MAINTENANCE_INTERVAL_MS = 10 * 60_000;
const FIRST_MAINTENANCE_MS = 30_000;

/**
 * Standalone mode's PostgreSQL: PGlite (real PostgreSQL compiled to WASM) stored in the data
 * folder, served on a private Unix socket so TypeORM's ordinary `pg` driver and the same
 * migrations work unchanged. The socket, not a TCP port: the embedded server has no
 * authentication, so only this machine's user may reach it.
 *
 * Every user in the process (each service's TypeORM data source, maintenance, tests) shares ONE
 * connection through one pool: the socket server keeps a connection's statements together only
 * inside a transaction, so two connections could interleave the messages of their parameterised
 * queries ("unnamed prepared statement does not exist"). One pool of one connection cannot.
 */
export class EmbeddedDatabase implements Database {
  readonly kind = 'embedded' as const;
  private readonly pool: pg.Pool;
  private readonly driver: typeof pg;
  private maintenance: NodeJS.Timeout | undefined;
  private closed = false;

  private constructor(
    private readonly db: PGlite,
    private readonly server: PGLiteSocketServer,
    private readonly socketDir: string,
  ) {
    this.pool = new pg.Pool({ host: socketDir, port: SOCKET_PORT, user: 'postgres', database: 'postgres', max: 1 });
    this.pool.on('error', () => undefined);
    const pool = this.pool;
    // TypeORM calls `new driver.Pool(options)` and later `pool.end()`: hand it the shared pool,
    // and keep its end for close() below (several data sources come and go over its lifetime).
    const shared = new Proxy(pool, {
      get(target, property) {
        if (property === 'end') return (callback?: (error?: Error) => void) => (callback?.(), Promise.resolve());
        const value: unknown = Reflect.get(target, property, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    this.driver = { ...pg, Pool: function SharedPool() { return shared; } as unknown as typeof pg.Pool };
    this.scheduleMaintenance(FIRST_MAINTENANCE_MS);
  }

  static async open(dataDir: string | undefined): Promise<EmbeddedDatabase> {
    // `undefined` keeps the database in memory (tests); a folder makes it survive restarts.
    if (dataDir) await mkdir(dataDir, { recursive: true });
    const db = await PGlite.create({ dataDir, extensions: { pg_trgm } });
    const socketDir = await mkdtemp(join(tmpdir(), 'modelyard-pg-'));
    // PGlite executes one statement stream at a time and the socket server multiplexes its
    // clients onto it (keeping a transaction's statements together). The app's pool holds one
    // connection; the spare slots absorb a closing connection that the server has not yet
    // reaped when the next one opens (migrations, then the service), and short-lived tools.
    const server = new PGLiteSocketServer({ db, path: join(socketDir, `.s.PGSQL.${SOCKET_PORT}`), maxConnections: 4 });
    await server.start();
    return new EmbeddedDatabase(db, server, socketDir);
  }

  get connection() {
    return { host: this.socketDir, port: SOCKET_PORT, username: 'postgres', database: 'postgres', poolSize: 1, driver: this.driver };
  }

  /** Runs SQL on the shared connection (maintenance, tests). */
  async query<T extends pg.QueryResultRow>(text: string, params?: unknown[]): Promise<T[]> {
    return (await this.pool.query<T>(text, params)).rows;
  }

  async ping(): Promise<void> {
    await this.pool.query('select 1');
  }

  /** VACUUM (ANALYZE), the job PostgreSQL's autovacuum does: fresh statistics, reclaimed dead rows. */
  async maintain(): Promise<void> {
    await this.pool.query('VACUUM (ANALYZE)');
  }

  private scheduleMaintenance(delayMs: number): void {
    if (this.closed) return;
    this.maintenance = setTimeout(() => {
      this.maintain()
        .catch(() => undefined) // a busy or closing database: the next round will do it
        .finally(() => this.scheduleMaintenance(MAINTENANCE_INTERVAL_MS));
    }, delayMs);
    this.maintenance.unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.maintenance);
    await this.pool.end();
    await this.server.stop();
    await this.db.close();
    await rm(this.socketDir, { recursive: true, force: true });
  }
}
