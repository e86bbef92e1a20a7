import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import type { Database } from '../ports/database.port.js';

/** PostgreSQL's socket file name for a port; `pg` finds `<host dir>/.s.PGSQL.<port>`. */
const SOCKET_PORT = 5432;

/**
 * Standalone mode's PostgreSQL: PGlite (real PostgreSQL compiled to WASM) stored in the data
 * folder, served on a private Unix socket so TypeORM's ordinary `pg` driver and the same
 * migrations work unchanged. The socket, not a TCP port: the embedded server has no
 * authentication, so only this machine's user may reach it.
 */
export class EmbeddedDatabase implements Database {
  readonly kind = 'embedded' as const;

  private constructor(
    private readonly db: PGlite,
    private readonly server: PGLiteSocketServer,
    private readonly socketDir: string,
  ) {}

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
    return { host: this.socketDir, port: SOCKET_PORT, username: 'postgres', database: 'postgres', poolSize: 1 };
  }

  async ping(): Promise<void> {
    await this.db.query('select 1');
  }

  async close(): Promise<void> {
    await this.server.stop();
    await this.db.close();
    await rm(this.socketDir, { recursive: true, force: true });
  }
}
