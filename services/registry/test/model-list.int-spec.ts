import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { DataSource, type Logger as TypeOrmLogger } from 'typeorm';
import type { AccessScope, ListModelsQueryDto } from '@modelyard/contracts';
import { EmbeddedDatabase, PostgresDatabase, type Database, type Platform } from '@modelyard/platform';
import { createScratchDatabase, testDatabaseUrl } from '@modelyard/testing';
import { registryDataSourceOptions, runRegistryMigrations } from '../src/index.js';
import { ModelEntity } from '../src/models/entities/model.entity.js';
import { ModelsRepository } from '../src/models/models.repository.js';
import { PlannerStatisticsService } from '../src/models/planner-statistics.service.js';

/** What a list sends: the statements, so a test can tell a reused total from a new count. */
class StatementLog implements TypeOrmLogger {
  statements: string[] = [];
  logQuery(query: string): void {
    if (!/^(START TRANSACTION|BEGIN|COMMIT|ROLLBACK)/.test(query)) this.statements.push(query);
  }
  logQueryError(): void {}
  logQuerySlow(): void {}
  logSchemaBuild(): void {}
  logMigration(): void {}
  log(): void {}
  counts(): number {
    return this.statements.filter((s) => s.includes('COUNT(1)')).length;
  }
}

const targets: Array<[string, () => Promise<{ database: Database; cleanup(): Promise<void> }>]> = [
  ['PGlite', async () => {
    const database = await EmbeddedDatabase.open(undefined);
    return { database, cleanup: () => database.close() };
  }],
];
const serverUrl = testDatabaseUrl();
if (serverUrl) {
  targets.push(['PostgreSQL', async () => {
    const scratch = await createScratchDatabase(serverUrl);
    return { database: new PostgresDatabase(scratch.url, 2), cleanup: () => scratch.drop() };
  }]);
}

const query = (extra: Partial<ListModelsQueryDto> = {}): ListModelsQueryDto => ({ sort: '-created_at', page: 1, page_size: 20, ...extra }) as ListModelsQueryDto;

describe.each(targets)('registry model lists on %s', (_name, open) => {
  let target: Awaited<ReturnType<typeof open>>;
  let ds: DataSource;
  const statements = new StatementLog();
  let repo: ModelsRepository;
  const owner = randomUUID();
  const reader = randomUUID();
  const team = randomUUID();
  let scope: AccessScope;

  const version = async () => Number((await ds.query<Array<{ version: string }>>('SELECT version FROM model_list_version'))[0]!.version);
  const addModel = async (name: string, visibility: 'private' | 'internal', ownerId = owner): Promise<string> => {
    const [row] = await ds.query<Array<{ id: string }>>(
      `INSERT INTO models (name, version, type, framework, source, status, config, owner, owner_id, visibility)
       VALUES ($1, '1', 'llm', 'onnx', 'upload', 'active', '{}'::jsonb, 'someone', $2, $3) RETURNING id`,
      [name, ownerId, visibility],
    );
    return row!.id;
  };

  beforeAll(async () => {
    target = await open();
    await runRegistryMigrations(target.database);
    ds = new DataSource({ ...registryDataSourceOptions(target.database), logging: ['query'], logger: statements });
    await ds.initialize();
    repo = new ModelsRepository(ds.getRepository(ModelEntity));
    await ds.query(`INSERT INTO users (id, username, role) VALUES ($1, 'owner', 'maintainer'), ($2, 'reader', 'user')`, [owner, reader]);
    await ds.query(`INSERT INTO teams (id, name) VALUES ($1, 'nlp')`, [team]);
    await ds.query(`INSERT INTO team_members (team_id, user_id) VALUES ($1, $2)`, [team, reader]);
    scope = { all: false, user_id: reader, role: 'user', team_ids: [team], model_ids: null };
  });
  afterAll(async () => {
    if (ds?.isInitialized) await ds.destroy();
    await target?.cleanup();
  });

  it('bumps the list version once for each committed change a count could see, and for nothing else', async () => {
    const start = await version();
    await ds.query(
      `INSERT INTO models (name, version, type, framework, source, status, config, owner)
       SELECT 'bulk-' || i, '1', 'llm', 'onnx', 'upload', 'active', '{}'::jsonb, 'someone' FROM generate_series(1, 300) AS i`,
    );
    expect(await version()).toBe(start + 1); // 300 rows, one transaction: one bump

    await ds.query(`UPDATE models SET progress = NULL, artifacts = '[]'::jsonb, updated_at = now() WHERE name = 'bulk-1'`);
    expect(await version()).toBe(start + 1); // transfers' bookkeeping changes no count

    await ds.query(`UPDATE models SET status = 'inactive' WHERE name = 'bulk-1'`);
    expect(await version()).toBe(start + 2);

    await ds.transaction(async (manager) => {
      await manager.query(`UPDATE models SET visibility = 'internal' WHERE name = 'bulk-2'`);
      await manager.query(`UPDATE models SET tags = '{chat}' WHERE name = 'bulk-3'`);
    });
    expect(await version()).toBe(start + 3);

    await ds.transaction(async (manager) => {
      await manager.query(`DELETE FROM models WHERE name = 'bulk-4'`);
      throw new Error('rolled back');
    }).catch(() => undefined);
    expect(await version()).toBe(start + 3);

    const [{ id }] = await ds.query<Array<{ id: string }>>(`SELECT id FROM models WHERE name = 'bulk-5'`);
    await ds.query(`INSERT INTO model_grants (model_id, team_id, level) VALUES ($1, $2, 'read')`, [id, team]);
    expect(await version()).toBe(start + 4);
    await ds.query(`DELETE FROM model_grants WHERE model_id = $1`, [id]);
    expect(await version()).toBe(start + 5);
    await ds.query(`DELETE FROM models WHERE name LIKE 'bulk-%'`);
    expect(await version()).toBe(start + 6);
  });

  it('lists exactly what a user may read, and reuses a total only until something changes', async () => {
    const internal = await addModel('a-internal', 'internal');
    const own = await addModel('b-own', 'private', reader);
    const teamGrant = await addModel('c-team', 'private');
    const userGrant = await addModel('d-user', 'private');
    const hidden = await addModel('e-hidden', 'private');
    await ds.query(`INSERT INTO model_grants (model_id, team_id, level) VALUES ($1, $2, 'use')`, [teamGrant, team]);
    await ds.query(`INSERT INTO model_grants (model_id, user_id, level) VALUES ($1, $2, 'read')`, [userGrant, reader]);

    statements.statements = [];
    const all = await repo.list(query({ sort: 'name' }), scope);
    expect(all.items.map((m) => m.id)).toEqual([internal, own, teamGrant, userGrant]);
    expect(all.total).toBe(4);
    // The whole list fitted on its first page: nothing to count.
    expect(statements.counts()).toBe(0);

    // Other pages and sorts of the same list, nothing changed: the page alone, that total reused.
    const first = await repo.list(query({ sort: 'name', page_size: 2 }), scope);
    expect(first.items.map((m) => m.id)).toEqual([internal, own]);
    expect(first.total).toBe(4);
    const again = await repo.list(query({ sort: '-name', page: 2, page_size: 1 }), scope);
    expect(again.items.map((m) => m.id)).toEqual([teamGrant]);
    expect(again.total).toBe(4);
    expect(statements.counts()).toBe(0);

    // A grant elsewhere (another connection, another replica: only the database knows): counted again.
    await ds.query(`INSERT INTO model_grants (model_id, user_id, level) VALUES ($1, $2, 'read')`, [hidden, reader]);
    expect((await repo.list(query({ sort: 'name', page_size: 2 }), scope)).total).toBe(5);
    expect(statements.counts()).toBe(1);
    expect((await repo.list(query({ sort: 'name', page: 3, page_size: 2 }), scope)).total).toBe(5);
    expect(statements.counts()).toBe(1);
    expect((await repo.list(query({ sort: 'name' }), scope)).items.map((m) => m.id)).toContain(hidden);

    await ds.query(`UPDATE models SET visibility = 'private' WHERE id = $1`, [internal]);
    expect((await repo.list(query({ sort: 'name', page_size: 2 }), scope)).total).toBe(4);
    // A search: the matches sorted, the same rule applied.
    const found = await repo.list(query({ q: 'own', sort: 'name' }), scope);
    expect(found.items.map((m) => m.id)).toEqual([own]);
    expect(found.total).toBe(1);
    // Past the last page: no rows to carry the version, so the total is counted.
    const past = await repo.list(query({ page: 9 }), scope);
    expect(past).toEqual({ items: [], total: 4 });
    expect((await repo.list(query(), { all: true, model_ids: null })).total).toBe(5);
  });
});

describe('registry planner statistics on the embedded database', () => {
  let database: EmbeddedDatabase;
  let ds: DataSource;

  beforeAll(async () => {
    database = await EmbeddedDatabase.open(undefined);
    await runRegistryMigrations(database);
    ds = new DataSource(registryDataSourceOptions(database));
    await ds.initialize();
  });
  afterAll(async () => {
    if (ds?.isInitialized) await ds.destroy();
    await database?.close();
  });

  it('vacuums and analyses the list tables a bulk load changed past autovacuum\'s threshold, then leaves them until they change again', async () => {
    const logger = { debug: () => undefined, warn: () => undefined } as unknown as ConstructorParameters<typeof PlannerStatisticsService>[2];
    const platform = { database } as unknown as Platform;
    const service = new PlannerStatisticsService(ds, platform, logger);
    await ds.query(
      `INSERT INTO models (name, version, type, framework, source, status, config, owner)
       SELECT 'bulk-' || i, '1', 'llm', 'onnx', 'upload', 'active', '{}'::jsonb, 'someone' FROM generate_series(1, 500) AS i`,
    );
    // Counters reach pg_stat_user_tables when the backend reports them (at most once a second on its own).
    await ds.query('SELECT pg_stat_force_next_flush()');
    await ds.query('SELECT 1');

    expect(await service.refresh()).toContain('models');
    // Vacuumed too: that is what empties the trigram indexes' pending lists a bulk load fills.
    const [stats] = await ds.query<Array<{ analysed: boolean; vacuumed: boolean; rows: number }>>(
      `SELECT s.last_analyze IS NOT NULL AS analysed, s.last_vacuum IS NOT NULL AS vacuumed, c.reltuples::float8 AS rows
       FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid WHERE s.relname = 'models'`,
    );
    expect(stats).toEqual({ analysed: true, vacuumed: true, rows: 500 });
    expect(await service.refresh()).toEqual([]);
  });
});
