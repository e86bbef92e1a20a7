import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { EmbeddedDatabase, PostgresDatabase, type Database } from '@modelyard/platform';
import { createScratchDatabase, testDatabaseUrl } from './database.util.js';

export interface MigrationsUnderTest {
  /** Names the describe block, e.g. "registry". */
  service: string;
  dataSourceOptions(database: Database): DataSourceOptions;
  run(database: Database): Promise<string[]>;
  migrations: string[];
  /** The tables the migrations own (the migrations history table excluded). */
  tables: string[];
}

/**
 * What every service's migrations must satisfy, on PGlite and (when a server is given) on
 * PostgreSQL: they apply once, leave exactly the schema the entities describe, and undo cleanly.
 */
export function describeMigrations(spec: MigrationsUnderTest, extra?: (dataSource: () => DataSource) => void): void {
  const targets: Array<[string, () => Promise<{ database: Database; cleanup(): Promise<void> }>]> = [
    [
      'PGlite',
      async () => {
        const database = await EmbeddedDatabase.open(undefined);
        return { database, cleanup: () => database.close() };
      },
    ],
  ];
  const serverUrl = testDatabaseUrl();
  if (serverUrl) {
    targets.push([
      'PostgreSQL',
      async () => {
        const scratch = await createScratchDatabase(serverUrl);
        return { database: new PostgresDatabase(scratch.url, 2), cleanup: () => scratch.drop() };
      },
    ]);
  }

  describe.each(targets)(`${spec.service} migrations on %s`, (_name, open) => {
    let target: Awaited<ReturnType<typeof open>>;
    let dataSource: DataSource;

    beforeAll(async () => {
      target = await open();
    });
    afterAll(async () => {
      if (dataSource?.isInitialized) await dataSource.destroy();
      await target.cleanup();
    });

    const tables = async () => {
      const rows = await dataSource.query<{ tablename: string }[]>(
        `SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename = ANY($1) ORDER BY 1`,
        [spec.tables],
      );
      return rows.map((r) => r.tablename);
    };

    it('applies once, then finds the schema up to date', async () => {
      expect(await spec.run(target.database)).toEqual(spec.migrations);
      expect(await spec.run(target.database)).toEqual([]);
    });

    it('matches the entities exactly: TypeORM finds nothing to change', async () => {
      dataSource = new DataSource({ ...spec.dataSourceOptions(target.database), extra: { max: 1 } });
      await dataSource.initialize();
      const pending = await dataSource.driver.createSchemaBuilder().log();
      expect(pending.upQueries.map((q) => q.query)).toEqual([]);
      expect(await tables()).toEqual([...spec.tables].sort());
    });

    extra?.(() => dataSource);

    it('rolls back with down() and forward again with up()', async () => {
      for (let i = 0; i < spec.migrations.length; i++) await dataSource.undoLastMigration({ transaction: 'each' });
      expect(await tables()).toEqual([]);
      expect(await dataSource.runMigrations({ transaction: 'each' })).toHaveLength(spec.migrations.length);
      expect(await tables()).toEqual([...spec.tables].sort());
    });
  });
}
