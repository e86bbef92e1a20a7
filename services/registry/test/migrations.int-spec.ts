import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { EmbeddedDatabase, PostgresDatabase, type Database } from '@modelyard/platform';
import { registryDataSourceOptions, runRegistryMigrations } from '../src/index.js';
import { createScratchDatabase, testDatabaseUrl } from '@modelyard/testing';

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

describe.each(targets)('registry migrations on %s', (_name, open) => {
  let target: Awaited<ReturnType<typeof open>>;
  let dataSource: DataSource;

  beforeAll(async () => {
    target = await open();
  });
  afterAll(async () => {
    if (dataSource?.isInitialized) await dataSource.destroy();
    await target.cleanup();
  });

  const tables = async () =>
    (
      await dataSource.query<{ tablename: string }[]>(
        `SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'registry_migrations' ORDER BY 1`,
      )
    ).map((r) => r.tablename);

  it('creates the schema once, then finds it up to date', async () => {
    expect(await runRegistryMigrations(target.database)).toEqual(['CreateModelRegistry1764230400000']);
    expect(await runRegistryMigrations(target.database)).toEqual([]);
  });

  it('matches the entities exactly: TypeORM finds nothing to change', async () => {
    dataSource = new DataSource({ ...registryDataSourceOptions(target.database), extra: { max: 1 } });
    await dataSource.initialize();
    const pending = await dataSource.driver.createSchemaBuilder().log();
    expect(pending.upQueries.map((q) => q.query)).toEqual([]);
    expect(await tables()).toEqual(['models', 'outbox_events']);
  });

  it('has the indexes the list query relies on', async () => {
    const indexes = (
      await dataSource.query<{ indexname: string }[]>(`SELECT indexname FROM pg_indexes WHERE tablename = 'models'`)
    ).map((r) => r.indexname);
    expect(indexes).toEqual(
      expect.arrayContaining([
        'ix_models_type_status_created',
        'ix_models_tags',
        'ix_models_name_trgm',
        'ix_models_description_trgm',
        'uq_models_name_version',
      ]),
    );
  });

  it('rolls back with down() and forward again with up()', async () => {
    await dataSource.undoLastMigration({ transaction: 'each' });
    expect(await tables()).toEqual([]);
    expect(await dataSource.runMigrations({ transaction: 'each' })).toHaveLength(1);
    expect(await tables()).toEqual(['models', 'outbox_events']);
  });
});
