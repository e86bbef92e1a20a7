import { expect, it } from '@jest/globals';
import { describeMigrations } from '@modelyard/testing';
import { registryDataSourceOptions, runRegistryMigrations } from '../src/index.js';

describeMigrations(
  {
    service: 'registry',
    dataSourceOptions: registryDataSourceOptions,
    run: runRegistryMigrations,
    migrations: ['CreateModelRegistry1764230400000', 'AddModelArtifacts1764316800000'],
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
  },
);
