import { expect, it } from '@jest/globals';
import { describeMigrations } from '@modelyard/testing';
import { registryDataSourceOptions, runRegistryMigrations } from '../src/index.js';

describeMigrations(
  {
    service: 'registry',
    dataSourceOptions: registryDataSourceOptions,
    run: runRegistryMigrations,
    migrations: ['CreateModelRegistry1764230400000', 'AddModelArtifacts1764316800000', 'AddModelSecrets1764403200000', 'AddSecretOrigin1765000000000', 'AddIdentityAccessAudit1765100000000', 'AddModelListVersion1765200000000'],
    tables: ['models', 'outbox_events', 'users', 'teams', 'team_members', 'api_tokens', 'model_grants', 'audit_events', 'audit_chain_head', 'model_list_version'],
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
      const insert = (hasSecret: boolean, secret: string | null, origin: string | null = secret && 'openai:default') =>
        dataSource().query(
          `INSERT INTO models (name, version, type, framework, source, status, config, owner, has_secret, secret, secret_origin)
           VALUES ($1, '1', 'llm', 'openai', 'openai', 'inactive', '{}'::jsonb, 'admin', $2, $3, $4)`,
          [`m-${hasSecret}-${secret}-${origin}`, hasSecret, secret, origin],
        );
      await expect(insert(true, null)).rejects.toThrow(/ck_models_secret/);
      await expect(insert(false, 'v1.x.y.z.w')).rejects.toThrow(/ck_models_secret/);
      await expect(insert(true, 'v1.x.y.z.w')).resolves.toBeDefined();
    });

    it('binds each secret stored before the origin column to the endpoint it holds', async () => {
      // Back to before AddSecretOrigin (the identity and list-version migrations came after it).
      for (let undo = 0; undo < 3; undo++) await dataSource().undoLastMigration({ transaction: 'each' });
      try {
        const insert = (name: string, source: string, endpoint: string | null) =>
          dataSource().query(
            `INSERT INTO models (name, version, type, framework, source, status, config, owner, has_secret, secret, endpoint)
             VALUES ($1, '1', 'llm', 'custom', $2, 'inactive', '{}'::jsonb, 'admin', true, 'v1.x.y.z.w', $3)`,
            [name, source, endpoint],
          );
        await insert('legacy-openai', 'openai', 'https://API.Example.com:443/v1/chat/completions');
        await insert('legacy-anthropic', 'anthropic', null);
        await insert('legacy-endpoint', 'endpoint', 'http://10.1.2.3:8000/predict');
        await insert('legacy-hub', 'huggingface', null);
      } finally {
        await dataSource().runMigrations({ transaction: 'each' });
      }
      const rows = await dataSource().query<{ name: string; secret_origin: string }[]>(
        `SELECT name, secret_origin FROM models WHERE name LIKE 'legacy-%' ORDER BY name`,
      );
      expect(Object.fromEntries(rows.map((row) => [row.name, row.secret_origin]))).toEqual({
        'legacy-anthropic': 'anthropic:default',
        'legacy-endpoint': 'http://10.1.2.3:8000',
        'legacy-hub': 'huggingface:hub',
        'legacy-openai': 'https://api.example.com',
      });
    });

    it('refuses a secret without the origin it may be sent to, and an origin without a secret', async () => {
      const insert = (secret: string | null, origin: string | null) =>
        dataSource().query(
          `INSERT INTO models (name, version, type, framework, source, status, config, owner, has_secret, secret, secret_origin)
           VALUES ($1, '1', 'llm', 'openai', 'openai', 'inactive', '{}'::jsonb, 'admin', $2, $3, $4)`,
          [`o-${secret}-${origin}`, secret !== null, secret, origin],
        );
      await expect(insert('v1.x.y.z.w', null)).rejects.toThrow(/ck_models_secret_origin/);
      await expect(insert(null, 'https://api.example.com')).rejects.toThrow(/ck_models_secret_origin/);
    });
  },
);
