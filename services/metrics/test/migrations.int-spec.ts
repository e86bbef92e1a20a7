import { expect, it } from '@jest/globals';
import { describeMigrations } from '@modelyard/testing';
import { METRICS_MIGRATIONS, metricsDataSourceOptions, runMetricsMigrations } from '../src/index.js';

describeMigrations(
  {
    service: 'metrics',
    dataSourceOptions: metricsDataSourceOptions,
    run: runMetricsMigrations,
    migrations: METRICS_MIGRATIONS.map((m) => m.name),
    tables: [
      'metrics_models',
      'metrics_processed_events',
      'metrics_usage_actor_minutes',
      'metrics_usage_claims',
      'metrics_usage_minutes',
      'metrics_usage_token_minutes',
      'metrics_usage_user_minutes',
    ],
  },
  (dataSource) => {
    it('gives minutes written before tokens were recorded 0 tokens', async () => {
      const db = dataSource();
      // Back to before AddUsageTokens, undoing what came after it too.
      const after = METRICS_MIGRATIONS.length - METRICS_MIGRATIONS.findIndex((m) => m.name === 'AddUsageTokens1764230700000');
      for (let i = 0; i < after; i += 1) await db.undoLastMigration({ transaction: 'each' });
      await db.query(
        `INSERT INTO metrics_usage_minutes (model_id, minute, calls, successes, failures, latency, errors)
         VALUES ('7b0c1d6e-1c1a-4c39-9d49-3f1f0c2a9e11', '2026-11-27T08:00:00Z', 3, 2, 1, '{"40": 3}', '{"timeout": 1}')`,
      );

      await db.runMigrations({ transaction: 'each' });

      expect(await db.query('SELECT calls, input_tokens, output_tokens FROM metrics_usage_minutes')).toEqual([
        { calls: '3', input_tokens: '0', output_tokens: '0' },
      ]);
      await db.query('TRUNCATE metrics_usage_minutes');
    });

    it('keeps per-actor minutes written before users had ids, and adds the per-user and per-token tables empty', async () => {
      const db = dataSource();
      expect(METRICS_MIGRATIONS.at(-1)!.name).toBe('AddUsageByUserAndToken1764230800000');
      await db.undoLastMigration({ transaction: 'each' });
      await db.query(
        `INSERT INTO metrics_usage_actor_minutes (model_id, minute, actor, calls, failures, input_tokens, output_tokens)
         VALUES ('7b0c1d6e-1c1a-4c39-9d49-3f1f0c2a9e11', '2026-11-27T08:00:00Z', 'admin', 3, 1, 10, 2)`,
      );

      await db.runMigrations({ transaction: 'each' });

      expect(await db.query('SELECT actor, calls FROM metrics_usage_actor_minutes')).toEqual([{ actor: 'admin', calls: '3' }]);
      expect(await db.query('SELECT (SELECT count(*)::int FROM metrics_usage_user_minutes) AS users, (SELECT count(*)::int FROM metrics_usage_token_minutes) AS tokens')).toEqual([
        { users: 0, tokens: 0 },
      ]);
      await db.query('TRUNCATE metrics_usage_actor_minutes');
    });
  },
);
