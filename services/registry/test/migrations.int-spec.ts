import { expect, it } from '@jest/globals';
import { describeMigrations } from '@modelyard/testing';
import { registryDataSourceOptions, runRegistryMigrations } from '../src/index.js';

describeMigrations(
  {
    service: 'registry',
    dataSourceOptions: registryDataSourceOptions,
    run: runRegistryMigrations,
    migrations: ['CreateModelRegistry1764230400000', 'AddModelArtifacts1764316800000', 'AddModelSecrets1764403200000'],
    tables: ['models', 'outbox_events'],
  },
  (dataSource) => {
    it('has the indexes the list query relies on', async () => {
      const indexes = (
        await dataSource().query<{ indexname: string }[]>(`SELECT indexname FROM pg_indexes WHERE tablename = 'models'`)
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

    it('refuses a row that says it has a secret without one, and the reverse', async () => {
      const insert = (hasSecret: boolean, secret: string | null) =>
        dataSource().query(
          `INSERT INTO models (name, version, type, framework, source, status, config, owner, has_secret, secret)
           VALUES ($1, '1', 'llm', 'openai', 'openai', 'inactive', '{}'::jsonb, 'admin', $2, $3)`,
          [`m-${hasSecret}-${secret}`, hasSecret, secret],
        );
      await expect(insert(true, null)).rejects.toThrow(/ck_models_secret/);
      await expect(insert(false, 'v1.x.y.z.w')).rejects.toThrow(/ck_models_secret/);
      await expect(insert(true, 'v1.x.y.z.w')).resolves.toBeDefined();
    });
  },
);
