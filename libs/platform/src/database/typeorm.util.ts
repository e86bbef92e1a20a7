import { DataSource, type DataSourceOptions, type MixedList, type EntitySchema } from 'typeorm';
import type { Database } from '../ports/database.port.js';

/** What a service owns in the database: its entities, its migrations and its own history table. */
export interface ServiceSchema {
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type -- TypeORM's own entity type
  entities: MixedList<Function | string | EntitySchema>;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type -- TypeORM's own migration type
  migrations: MixedList<Function | string>;
  migrationsTableName: string;
}

/** TypeORM options for a service's tables on the database port, whichever adapter it is. */
export function typeormOptions(database: Database, schema: ServiceSchema): DataSourceOptions {
  const c = database.connection;
  return {
    type: 'postgres',
    ...(c.url ? { url: c.url } : { host: c.host, port: c.port, username: c.username, database: c.database }),
    ...(c.driver && { driver: c.driver }),
    // PGlite has no uuid-ossp; gen_random_uuid() is built into PostgreSQL 13+.
    uuidExtension: 'pgcrypto',
    ...schema,
    synchronize: false,
    migrationsRun: false,
    extra: { max: c.poolSize },
  };
}

/**
 * The explicit start-up step: applies a service's pending migrations with a short-lived data
 * source, then closes it. Returns the names of the migrations applied.
 */
export async function runMigrations(database: Database, schema: ServiceSchema): Promise<string[]> {
  const dataSource = new DataSource({ ...typeormOptions(database, schema), extra: { max: 1 } });
  await dataSource.initialize();
  try {
    return (await dataSource.runMigrations({ transaction: 'each' })).map((m) => m.name);
  } finally {
    await dataSource.destroy();
  }
}
